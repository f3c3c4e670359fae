"""Shared set-up of the follow-up tests: a commune with a conference on known dates,
checked-in participants, petitions and the chairman's answers (rows written through
the database session, as the answers API of the secretary's page would)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from server.db.models import Answer, Participant
from server.keys import SESSIONMAKER
from tests.conftest import ApiClient

COMMUNE = {
    "name": "Xã Đức An", "issuing_body": "ỦY BAN NHÂN DÂN XÃ ĐỨC AN", "body_code": "UBND",
    "place_name": "Đức An", "province": "Lâm Đồng", "higher_authority": "Ủy ban nhân dân tỉnh Lâm Đồng",
    "chairman_name": "Nguyễn Văn Chủ",
}
PHONES = ("0912345678", "0987654321", "0909000111", "0388777666")


async def setup_commune(client: ApiClient) -> None:
    await client.ok("PATCH", "/api/commune", COMMUNE)


async def make_conference(client: ApiClient, app: Any, starts_at: str = "2026-02-13T08:00",
                          title: str = "Hội nghị đối thoại với Nhân dân năm 2026") -> dict[str, Any]:
    """A conference with 3 checked-in participants and 4 petitions, each with an answer:
    answered (consented name), assigned (due 2026-03-20), verifying, forwarded."""
    conf = await client.ok("POST", "/api/conferences", {
        "title": title, "starts_at": starts_at, "ends_at": starts_at[:11] + "11:00",
        "venue": "Hội trường UBND xã Đức An", "chair_name": "Nguyễn Văn Chủ",
        "council_name": "bà Phạm Thị Hội", "content": "Đất đai; giao thông nông thôn"}, status=201)
    cid = conf["id"]
    people = []
    for name, kind in (("Đại biểu Một", "delegate"), ("Đại diện Hai", "citizen_rep"),
                       ("Người Ba", "citizen"), ("Vắng Mặt", "citizen")):
        people.append(await client.ok("POST", f"/api/conferences/{cid}/participants",
                                      {"full_name": name, "kind": kind, "phone": PHONES[0]}, status=201))
    for p in people[:3]:
        await client.ok("POST", f"/api/conferences/{cid}/participants/{p['id']}/check-in", {"checked_in": True})
    fields = {f["code"]: f for f in await client.ok("GET", "/api/fields")}
    field_ids = [f["id"] for f in fields.values()]
    specs = [
        ("Lê Văn Cường", True, "Thôn 1", "Đề nghị làm rõ quy hoạch khu dân cư thôn 1", field_ids[0]),
        ("Trần Thị Bình", False, "Thôn 3", "Đường liên thôn 3 xuống cấp, đề nghị sửa chữa", field_ids[1]),
        ("Hoàng Văn Đông", False, "Bon Bu Prăng", "Tranh chấp ranh giới đất với hộ liền kề", field_ids[0]),
        ("Y Bih Niê", False, "Buôn Jun", "Đề nghị cấp giấy chứng nhận quyền sử dụng đất", field_ids[0]),
    ]
    petitions = []
    for i, (who, consent, hamlet, text, fid) in enumerate(specs):
        petitions.append(await client.ok("POST", "/api/petitions", {
            "conference_id": cid, "raised_by": who, "consent_full_name": consent, "hamlet": hamlet,
            "phone": PHONES[i], "field_id": fid, "content": text, "source": "during"}, status=201))
    answers = [
        ("answered", "", None, "Quy hoạch đã được công bố tại trụ sở xã; người dân xem và góp ý."),
        ("assigned", "Công chức Địa chính - Xây dựng", date(2026, 3, 20), "Khảo sát, lập dự toán sửa chữa."),
        ("verifying", "Công chức Địa chính - Xây dựng", None, "Kiểm tra hồ sơ địa chính và thực địa."),
        ("forwarded", "Văn phòng Đăng ký đất đai tỉnh Lâm Đồng", None, "Chuyển hồ sơ để giải quyết."),
    ]
    async with app[SESSIONMAKER]() as db, db.begin():
        for p, (outcome, unit, due, text) in zip(petitions, answers, strict=True):
            db.add(Answer(petition_id=p["id"], answered_by="Nguyễn Văn Chủ", outcome=outcome,
                          unit=unit, due_date=due, text=text,
                          created_at=datetime.fromisoformat(starts_at + ":00+07:00").astimezone(UTC)))
    return {"conference": conf, "petitions": petitions, "people": people}


async def checked_in(app: Any, cid: int) -> int:
    async with app[SESSIONMAKER]() as db:
        return len(list((await db.execute(select(Participant).where(
            Participant.conference_id == cid, Participant.checked_in_at.is_not(None)))).scalars()))
