"""E-mail reminders against a real local SMTP server, calendar overrides edited in the
app, and the overview for the higher level with its CSV/XLSX exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.api.schemas import UserIn
from server.commands.accounts import add_user
from server.commands.petitions import ensure_default_fields
from server.db.models import Answer, AuditEvent, Commune, Conference, Petition, PetitionField
from server.domain.local_time import local_date
from server.followup.models import ReminderLog
from server.followup.reminders import send_due_reminders
from server.keys import CONFIG, SESSIONMAKER
from tests.conftest import ADMIN_PASSWORD, ApiClient, free_port
from tests.server.test_followup_support import make_conference, setup_commune


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def smtp_server() -> tuple[Controller, Inbox, int]:
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    return ctl, inbox, port


async def reminder_rows(app) -> list[ReminderLog]:
    async with app[SESSIONMAKER]() as db:
        return list((await db.execute(select(ReminderLog).order_by(ReminderLog.item_key))).scalars())


async def test_email_reminders_sent_once_a_day(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    status, body = await client.call("POST", "/api/deadlines/remind")
    assert status == 409 and body["error"]["code"] == "smtp_not_configured"
    recent = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT08:00")
    cid = (await make_conference(client, app, starts_at=recent, title="Hội nghị tháng trước"))["conference"]["id"]
    ctl, inbox, port = smtp_server()
    try:
        status, body = await client.call("PUT", "/api/settings/smtp", {
            "host": "127.0.0.1", "port": port, "from": "nhacviec@ducan.gov.vn",
            "to": ["chutich@ducan.gov.vn", "vanphong@ducan.gov.vn"], "password": "bi-mat"})
        assert status == 200 and body["has_password"] and "password" not in body
        got = await client.ok("GET", "/api/settings/smtp")
        assert got["to"] == ["chutich@ducan.gov.vn", "vanphong@ducan.gov.vn"] and "password" not in got
        board = await client.ok("GET", "/api/deadlines")
        pending = board["counts"]["total"]
        assert pending >= 2
        first = await client.ok("POST", "/api/deadlines/remind")
        assert first == {"sent": pending, "already": 0, "error": None}
        second = await client.ok("POST", "/api/deadlines/remind")
        assert second == {"sent": 0, "already": pending, "error": None}
        # the daily task's function, same day: nothing new either
        assert (await send_due_reminders(app))[1]["sent"] == 0
        assert len(inbox.messages) == 1
        rcpts, raw = inbox.messages[0]
        assert rcpts == ["chutich@ducan.gov.vn", "vanphong@ducan.gov.vn"]
        msg = message_from_bytes(raw, policy=policy.default)
        assert "Xã Đức An" in msg["Subject"] and f"{pending} thời hạn" in msg["Subject"]
        text = msg.get_content()
        assert "Thông báo kết luận của Chủ tịch UBND xã" in text and "Quá hạn" in text
        assert f"/#/c/{cid}/followup" in text
        assert "0912345678" not in text
        rows = await reminder_rows(app)
        assert len(rows) == pending and {r.status for r in rows} == {"sent"}
        # the next day the same deadlines are reminded again, once
        # the server's day is Vietnam's, which is not the machine's UTC day after 17:00 UTC
        tomorrow = local_date(datetime.now(UTC)) + timedelta(days=1)
        assert (await send_due_reminders(app, tomorrow))[1]["sent"] == pending
        assert len(inbox.messages) == 2
    finally:
        ctl.stop()


async def test_failed_send_is_retried_later(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    recent = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT08:00")
    await make_conference(client, app, starts_at=recent)
    dead_port = free_port()  # nothing listens there
    await client.ok("PUT", "/api/settings/smtp", {"host": "127.0.0.1", "port": dead_port,
                                                  "from": "a@b.vn", "to": ["c@d.vn"]})
    status, body = await client.call("POST", "/api/deadlines/remind")
    assert status == 502 and body["error"]["code"] == "smtp_failed"
    assert await reminder_rows(app) == []  # nothing recorded as sent
    ctl, inbox, port = smtp_server()
    try:
        await client.ok("PUT", "/api/settings/smtp", {"host": "127.0.0.1", "port": port,
                                                      "from": "a@b.vn", "to": ["c@d.vn"]})
        assert (await client.ok("POST", "/api/deadlines/remind"))["sent"] >= 2
        assert len(inbox.messages) == 1
    finally:
        ctl.stop()
    status, body = await client.call("PUT", "/api/settings/smtp", {"host": "127.0.0.1", "from": "khong-phai-thu",
                                                                   "to": []})
    assert status == 422 and {f["field"] for f in body["error"]["fields"]} == {"from", "to"}


async def test_calendar_overrides_edited_by_the_administrator(client: ApiClient, app_server, anon: ApiClient):
    _, app = app_server
    await setup_commune(client)
    got = await client.ok("GET", "/api/calendar/2026")
    assert got["overrides"]["days_off"] == []
    assert [e["date"] for e in got["shipped"]["days_off"]] == ["2026-01-02"]
    days = {d["date"]: d for d in await client.ok("GET", "/api/calendar/2026/days")}
    assert days["2026-01-10"]["working"] is True  # shipped swap: Saturday worked
    assert days["2026-09-02"]["working"] is False
    # a conference on Friday 02/10/2026: 10 working days end Friday 16/10/2026
    cid = (await make_conference(client, app, starts_at="2026-10-02T08:00"))["conference"]["id"]
    d = await client.ok("GET", f"/api/conferences/{cid}/deadlines")
    assert {x["key"]: x["due"] for x in d["conference"]}["conclusion_notice"] == "2026-10-16"

    bad = {"days_off": [{"date": "2026-10-05", "name": "Nghỉ"}, {"date": "2026-10-05", "name": "Lặp"}]}
    status, body = await client.call("PUT", "/api/calendar/2026", bad)
    assert status == 422 and body["error"]["code"] == "calendar.duplicate_date"
    status, body = await client.call("PUT", "/api/calendar/2026", {"days_off": [{"date": "2027-01-04", "name": "x"}]})
    assert status == 422 and body["error"]["code"] == "calendar.wrong_year"
    path = app[CONFIG].data_dir / "calendar-overrides" / "2026.json"
    assert not path.exists()
    viewer = ApiClient(client.base, anon.http)
    await viewer.login("viewer1")
    status, _ = await viewer.call("PUT", "/api/calendar/2026", {"days_off": []})
    assert status == 403

    good = {"note": "Quyết định nghỉ bão", "days_off": [{"date": "2026-10-05", "name": "Nghỉ do bão"}],
            "working_days": [], "holidays": []}
    saved = await client.ok("PUT", "/api/calendar/2026", good)
    assert saved["overrides"]["days_off"] == [{"date": "2026-10-05", "name": "Nghỉ do bão"}]
    assert json.loads(path.read_text(encoding="utf-8"))["days_off"][0]["name"] == "Nghỉ do bão"
    days = {d["date"]: d for d in await client.ok("GET", "/api/calendar/2026/days")}
    assert days["2026-10-05"] == {"date": "2026-10-05", "name": "Nghỉ do bão", "working": False,
                                  "weekday": 0, "status": "announced", "status_label": "đã công bố",
                                  "source": "Quản trị viên ghi trong tệp ngày nghỉ"}
    # the deadline moves by the added day off, without a restart
    d = await client.ok("GET", f"/api/conferences/{cid}/deadlines")
    assert {x["key"]: x["due"] for x in d["conference"]}["conclusion_notice"] == "2026-10-19"
    async with app[SESSIONMAKER]() as db:
        n = (await db.execute(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "calendar.update"))).scalar_one()
    assert n == 1


async def test_overview_across_communes_and_exports(client: ApiClient, app_server, anon: ApiClient):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app, starts_at="2026-02-13T08:00")
    await make_conference(client, app, starts_at="2026-12-20T08:00", title="Hội nghị cuối năm")
    # the conclusion notice on 05/03 (before its deadline 06/03), the reply sent on 10/03
    notice = await client.ok("POST", f"/api/conferences/{made['conference']['id']}/documents",
                             {"kind": "conclusion"}, status=201)
    await client.ok("POST", f"/api/documents/{notice['id']}/issue", {"issued_on": "2026-03-05"})
    # a second commune of the same province, and one of another province
    async with app[SESSIONMAKER]() as db, db.begin():
        other = Commune(name="Xã Nam Bình", issuing_body="ỦY BAN NHÂN DÂN XÃ NAM BÌNH", place_name="Nam Bình",
                        province="Lâm Đồng")
        far = Commune(name="Xã Xa Lạ", issuing_body="ỦY BAN NHÂN DÂN XÃ XA LẠ", place_name="Xa Lạ",
                      province="Đắk Lắk")
        db.add_all([other, far])
        await db.flush()
        await ensure_default_fields(db, other.id)
        await db.flush()
        f = (await db.execute(select(PetitionField).where(PetitionField.commune_id == other.id)
                              .order_by(PetitionField.position))).scalars().first()
        c = Conference(commune_id=other.id, year=2026, title="Đối thoại Nam Bình",
                       starts_at=datetime(2026, 5, 5, 1, tzinfo=UTC), venue="Nhà văn hóa", public_slug="nam-binh-1")
        db.add(c)
        await db.flush()
        late = Petition(commune_id=other.id, conference_id=c.id, raised_by="Đinh Văn E", field_id=f.id,
                        content="Điện chiếu sáng")
        db.add(late)
        await db.flush()
        # answered three weeks after the conference: after its 10-working-day deadline (19/05)
        db.add(Answer(petition_id=late.id, answered_by="Chủ tịch", outcome="answered",
                      created_at=datetime(2026, 5, 26, 3, tzinfo=UTC)))
        await add_user(db, "test", other.id, UserIn(username="tinh", full_name="Sở Nội vụ",
                                                    role="overseer", password=ADMIN_PASSWORD))

    own = await client.ok("GET", "/api/overview?year=2026")
    assert [r["commune"] for r in own["communes"]] == ["Xã Đức An"]
    row = own["communes"][0]
    assert row["conferences_planned"] == 2 and row["conferences_held"] == 1
    assert row["petitions"] == 8
    assert row["by_state"] == {"open": 0, "answered": 2, "assigned": 2, "verifying": 2, "forwarded": 2,
                               "resolved": 0}
    # on time: the answered and forwarded ones of both conferences (answers on the conference
    # day); February's verifying and assigned ones are past their deadlines without a reply or
    # resolution; December's verifying and assigned ones are not due yet and not counted
    # (an assigned date typed before the conference counts from the conference day).
    assert (row["on_time"], row["counted"]) == (4, 6)

    overseer = ApiClient(client.base, anon.http)
    await overseer.login("tinh")
    data = await overseer.ok("GET", "/api/overview?year=2026")
    assert [r["commune"] for r in data["communes"]] == ["Xã Nam Bình", "Xã Đức An"]
    nb = data["communes"][0]
    assert (nb["petitions"], nb["on_time"], nb["counted"]) == (1, 0, 1)
    assert data["totals"]["petitions"] == 9 and data["totals"]["communes"] == 2
    fields = {f["field"]: f["total"] for f in data["fields"]}
    assert sum(fields.values()) == 9
    status, _ = await overseer.call("GET", "/api/overview?year=2025")
    assert status == 200

    async with overseer.http.get(client.base + "/api/overview.csv?year=2026") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
        raw = await resp.read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Xã, phường" and rows[0][-1] == "Tỷ lệ đúng hạn (%)"
    assert rows[1][0] == "Xã Nam Bình" and rows[2][:5] == ["Xã Đức An", "2026", "1", "2", "8"]
    assert rows[2][-1] == "66.7"
    async with overseer.http.get(client.base + "/api/overview.xlsx?year=2026") as resp:
        assert resp.status == 200
        wb = load_workbook(io.BytesIO(await resp.read()))
    assert wb.sheetnames == ["Tổng hợp", "Theo lĩnh vực"]
    sheet = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert sheet[2][:5] == ("Xã Đức An", 2026, 1, 2, 8) and sheet[2][-1] == 66.7
    assert sum(r[2] for r in list(wb["Theo lĩnh vực"].iter_rows(values_only=True))[1:]) == 9

    viewer = ApiClient(client.base, anon.http)
    await viewer.login("viewer1")
    status, body = await viewer.call("GET", "/api/overview")
    assert status == 403
