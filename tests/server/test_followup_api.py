"""Deadlines, documents and dispatch records through the real HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess

from docx import Document as read_docx
from sqlalchemy import func, select

from server.db.models import AuditEvent, Document
from tests.conftest import ApiClient
from tests.server.test_followup_support import PHONES, make_conference, setup_commune


def by_key(items: list[dict]) -> dict[str, dict]:
    return {i["key"]: i for i in items}


async def test_conference_deadlines_on_known_dates_and_done_from_documents(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)  # Friday 13/02/2026, the day before Tết
    cid = made["conference"]["id"]
    d = await client.ok("GET", f"/api/conferences/{cid}/deadlines?on=2026-03-02")
    conf = by_key(d["conference"])
    # 10 working days, Tết 14/02-22/02 off: 23/02 ... 06/03/2026 (docs/deadlines.md)
    assert conf["conclusion_notice"]["due"] == "2026-03-06"
    assert conf["report_higher_level"]["due"] == "2026-03-06"
    assert conf["conclusion_notice"]["status"] == "upcoming"  # 4 working days left
    pet = {p["petition_id"]: p for p in d["petitions"]}
    verifying = pet[made["petitions"][2]["id"]]
    assert verifying["state"] == "verifying"
    # 30 working days from 13/02/2026: 23/02 .. 03/04/2026 (Hùng Kings day is 26/04)
    assert by_key(verifying["deadlines"])["verification_reply"]["due"] == "2026-04-03"
    assigned = pet[made["petitions"][1]["id"]]
    assert by_key(assigned["deadlines"])["assigned"]["due"] == "2026-03-20"
    assert pet[made["petitions"][0]["id"]]["deadlines"] == []  # answered at the conference

    d = await client.ok("GET", f"/api/conferences/{cid}/deadlines?on=2026-03-04")
    assert by_key(d["conference"])["conclusion_notice"]["status"] == "due_soon"

    board = await client.ok("GET", "/api/deadlines?on=2026-03-09")
    keys = [i["item_key"] for i in board["items"]]
    assert keys[:2] == [f"conference:{cid}:conclusion_notice", f"conference:{cid}:report_higher_level"]
    assert board["items"][0]["status"] == "overdue" and board["items"][0]["status_label"] == "Quá hạn"
    assert board["counts"]["overdue"] == 2
    # phone numbers never reach the board
    assert not any(p in str(board) for p in PHONES)

    # issuing the conclusion notice (05/03) marks it done, on time; sending the report marks that done
    notice = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
    await client.ok("POST", f"/api/documents/{notice['id']}/issue", {"issued_on": "2026-03-05"})
    report = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "report"}, status=201)
    await client.ok("POST", f"/api/documents/{report['id']}/issue", {"issued_on": "2026-03-05"})
    d = await client.ok("GET", f"/api/conferences/{cid}/deadlines?on=2026-03-09")
    conf = by_key(d["conference"])
    assert conf["conclusion_notice"]["status"] == "done" and not conf["conclusion_notice"]["late"]
    assert conf["report_higher_level"]["status"] == "overdue"  # issued but not sent yet
    status, body = await client.call("POST", f"/api/documents/{report['id']}/dispatches",
                                     {"recipient": "Ủy ban nhân dân tỉnh Lâm Đồng", "channel": "email"})
    assert status == 201, body
    d = await client.ok("GET", f"/api/conferences/{cid}/deadlines?on=2026-03-09")
    # sent today (after the due day): done, and marked late
    rep = by_key(d["conference"])["report_higher_level"]
    assert rep["status"] == "done" and rep["late"] is True
    board = await client.ok("GET", "/api/deadlines?on=2026-03-09")
    assert f"conference:{cid}:conclusion_notice" not in [i["item_key"] for i in board["items"]]


async def test_nav_count_sees_overdue_deadlines(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    assert (await client.ok("GET", "/api/deadlines/count"))["total"] == 0
    await make_conference(client, app, starts_at="2026-10-01T08:00", title="Hội nghị quý III")
    n = await client.ok("GET", "/api/deadlines/count")
    assert n["overdue"] >= 2 and n["total"] == n["overdue"] + n["due_today"] + n["due_soon"]


async def issue_many(client: ApiClient, cid: int, n: int, issued_on: str) -> list[dict]:
    drafts = [await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "invitation"}, status=201)
              for _ in range(n)]
    results = await asyncio.gather(*(client.call("POST", f"/api/documents/{d['id']}/issue",
                                                 {"issued_on": issued_on}) for d in drafts))
    assert all(s == 200 for s, _ in results), results
    return [b for _, b in results]


async def test_numbers_restart_each_year_and_never_repeat_under_concurrent_issues(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    cid = (await make_conference(client, app))["conference"]["id"]
    issued = await issue_many(client, cid, 4, "2026-03-02")
    assert sorted(d["seq"] for d in issued) == [1, 2, 3, 4]
    assert {d["number"] for d in issued} == {"01/GM-UBND", "02/GM-UBND", "03/GM-UBND", "04/GM-UBND"}
    assert all(d["year"] == 2026 for d in issued)
    next_year = await issue_many(client, cid, 2, "2027-01-05")
    assert sorted(d["seq"] for d in next_year) == [1, 2]
    # the kind code follows the document: a notice gets TB, in the same sequence
    notice = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
    notice = await client.ok("POST", f"/api/documents/{notice['id']}/issue", {"issued_on": "2026-03-05"})
    assert notice["number"] == "05/TB-UBND"
    status, body = await client.call("POST", f"/api/documents/{notice['id']}/issue", {})
    assert status == 409 and body["error"]["code"] == "document_issued"
    async with app["sessionmaker"]() as db:
        rows = (await db.execute(select(Document.year, Document.seq).where(Document.seq.is_not(None)))).all()
    assert len(rows) == len(set(rows)) == 7


def docx_text(data: bytes) -> str:
    doc = read_docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                parts.extend(p.text for p in cell.paragraphs)
    return "\n".join(parts)


async def fetch(client: ApiClient, path: str) -> tuple[int, bytes, str]:
    async with client.http.get(client.base + path) as resp:
        return resp.status, await resp.read(), resp.headers.get("Content-Type", "")


async def test_conclusion_draft_edit_issue_and_docx(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    cid = made["conference"]["id"]
    draft = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
    assert draft["status"] == "draft" and draft["number"] == "" and draft["problems"] == []
    c = draft["content"]
    assert [p["outcome"] for p in c["petitions"]] == ["answered", "assigned", "needs_verification", "forwarded"]
    # public document: full name only with consent, otherwise the short name
    assert [p["petitioner"] for p in c["petitions"]] == ["Lê Văn Cường", "Trần T. B.", "Hoàng V. Đ.", "Y B. N."]
    assert c["petitions"][2]["due"] == "2026-04-03"  # the profile's reply date
    assert c["conference"]["attendance_total"] == 3
    assert [g["count"] for g in c["conference"]["attendance"]] == [1, 1, 1]

    # an edit: the chairman's wording of one conclusion
    petitions = c["petitions"]
    petitions[1]["conclusion"] = "Giao công chức Địa chính khảo sát ngay trong tháng 3"
    edited = await client.ok("PATCH", f"/api/documents/{draft['id']}", {"content": {"petitions": petitions}})
    assert edited["content"]["petitions"][1]["conclusion"].startswith("Giao công chức Địa chính")
    # wrong types and frozen fields are refused with the place of the error
    status, body = await client.call("PATCH", f"/api/documents/{draft['id']}",
                                     {"content": {"conference": {"venue": 5}}})
    assert status == 422 and body["error"]["fields"][0]["field"] == "conference.venue"
    status, body = await client.call("PATCH", f"/api/documents/{draft['id']}",
                                     {"content": {"header": {"number": 99}}})
    assert status == 422 and body["error"]["code"] == "frozen_field"
    # an edit the builder refuses is stored but reported as a problem, and issue is refused
    petitions[1]["unit"] = ""
    bad = await client.ok("PATCH", f"/api/documents/{draft['id']}", {"content": {"petitions": petitions}})
    assert bad["problems"][0]["code"] == "document.petition_no_unit"
    status, body = await client.call("POST", f"/api/documents/{draft['id']}/issue", {"issued_on": "2026-03-05"})
    assert status == 422 and body["error"]["code"] == "document.petition_no_unit"
    petitions[1]["unit"] = "Công chức Địa chính - Xây dựng"
    await client.ok("PATCH", f"/api/documents/{draft['id']}", {"content": {"petitions": petitions}})

    status, data, ctype = await fetch(client, f"/api/documents/{draft['id']}/docx")
    assert status == 200 and "wordprocessingml" in ctype
    text = docx_text(data)
    assert "Số:" in text and "ngày" in text and "năm 2026" in text

    issued = await client.ok("POST", f"/api/documents/{draft['id']}/issue", {"issued_on": "2026-03-05"})
    assert issued["number"] == "01/TB-UBND" and issued["status"] == "issued"
    status, body = await client.call("PATCH", f"/api/documents/{draft['id']}",
                                     {"content": {"conference": {"venue": "Khác"}}})
    assert status == 409 and body["error"]["code"] == "document_issued"
    status, data, _ = await fetch(client, f"/api/documents/{draft['id']}/docx")
    text = docx_text(data)
    assert "Số: 01/TB-UBND" in text
    assert "Đức An, ngày 05 tháng 3 năm 2026" in text
    assert "ỦY BAN NHÂN DÂN" in text and "XÃ ĐỨC AN" in text
    assert "Lê Văn Cường" in text and "Trần T. B." in text
    assert "Trần Thị Bình" not in text and "Hoàng Văn Đông" not in text
    assert "khảo sát ngay trong tháng 3" in text
    assert "Văn phòng Đăng ký đất đai tỉnh Lâm Đồng" in text
    assert "03/04/2026" in text and "20/03/2026" in text
    assert "Nguyễn Văn Chủ" in text  # signer
    assert not any(p in text for p in PHONES)
    async with app["sessionmaker"]() as db:
        actions = list((await db.execute(select(AuditEvent.action).where(
            AuditEvent.entity == "document"))).scalars())
    assert actions.count("document.edit") == 3 and "document.issue" in actions


async def test_reply_report_invitation_announcement_and_pdf(client: ApiClient, app_server, tmp_path):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    cid = made["conference"]["id"]
    verifying, answered = made["petitions"][2]["id"], made["petitions"][0]["id"]
    status, body = await client.call("POST", f"/api/conferences/{cid}/documents",
                                     {"kind": "reply", "petition_id": answered})
    assert status == 409 and body["error"]["code"] == "not_verifying"
    reply = await client.ok("POST", f"/api/conferences/{cid}/documents",
                            {"kind": "reply", "petition_id": verifying}, status=201)
    assert reply["petition_id"] == verifying and reply["content"]["reply_by"] == "2026-04-03"
    # the reply goes to the person: full name and hamlet, never the phone
    assert reply["content"]["addressee"].startswith("Ông (bà) Hoàng Văn Đông, Bon Bu Prăng")
    reply = await client.ok("POST", f"/api/documents/{reply['id']}/issue", {"issued_on": "2026-03-05"})
    assert reply["number"] == "01/UBND"
    report = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "report"}, status=201)
    t = report["content"]["totals"]
    assert (t["total"], t["answered"], t["pending"], t["forwarded"], t["resolved"]) == (4, 1, 2, 1, 0)
    inv = await client.ok("POST", f"/api/conferences/{cid}/documents",
                          {"kind": "invitation", "participant_id": made["people"][0]["id"]}, status=201)
    assert inv["content"]["invitee"].startswith("Ông (bà) Đại biểu Một")
    ann = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "announcement"}, status=201)
    assert ann["problems"] == [] and report["problems"] == [] and inv["problems"] == []
    listed = await client.ok("GET", f"/api/conferences/{cid}/documents")
    assert [d["kind"] for d in listed] == ["reply", "report", "invitation", "announcement"]

    status, pdf, ctype = await fetch(client, f"/api/documents/{reply['id']}/pdf")
    assert status == 200 and ctype == "application/pdf" and pdf.startswith(b"%PDF")
    path = tmp_path / "reply.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "01/UBND" in text and "Hoàng Văn Đông" in text and "03/04/2026" in text
    # a second download reuses the converted file (same bytes, no new conversion)
    status, again, _ = await fetch(client, f"/api/documents/{reply['id']}/pdf")
    assert again == pdf


async def test_dispatch_record_and_permissions(client: ApiClient, app_server, anon: ApiClient):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    cid = made["conference"]["id"]
    draft = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
    status, body = await client.call("POST", f"/api/documents/{draft['id']}/dispatches", {"recipient": "Thôn 1"})
    assert status == 409 and body["error"]["code"] == "document_not_issued"
    await client.ok("POST", f"/api/documents/{draft['id']}/issue", {})
    for who, channel in (("Trưởng thôn 1", "paper"), ("Bảng tin trụ sở UBND xã", "posted"),
                         ("Ông Lê Văn Cường", "hand")):
        await client.ok("POST", f"/api/documents/{draft['id']}/dispatches",
                        {"recipient": who, "channel": channel, "note": "đã ký nhận"}, status=201)
    rows = await client.ok("GET", f"/api/documents/{draft['id']}/dispatches")
    assert [r["recipient"] for r in rows] == ["Trưởng thôn 1", "Bảng tin trụ sở UBND xã", "Ông Lê Văn Cường"]
    assert rows[1]["channel_label"] == "Niêm yết"
    status, body = await client.call("POST", f"/api/documents/{draft['id']}/dispatches",
                                     {"recipient": "", "channel": "pigeon"})
    assert status == 422 and {f["field"] for f in body["error"]["fields"]} == {"recipient", "channel"}
    assert len(await client.ok("GET", f"/api/documents/{draft['id']}/dispatches")) == 3
    # a viewer reads but cannot draft or issue; nobody outside reads
    viewer = ApiClient(client.base, anon.http)
    await viewer.login("viewer1")
    status, body = await viewer.call("POST", f"/api/conferences/{cid}/documents", {"kind": "report"})
    assert status == 403
    assert (await viewer.call("GET", f"/api/documents/{draft['id']}"))[0] == 200
    async with app["sessionmaker"]() as db:
        n = (await db.execute(select(func.count(Document.id)))).scalar_one()
    assert n == 1
    status, _, _ = await fetch(ApiClient(client.base, anon.http), "/api/documents/999999/docx")
    assert status == 404


async def test_public_results_page_has_no_personal_data(client: ApiClient, app_server, anon: ApiClient):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    conf = made["conference"]
    url = f"/c/{conf['public_slug']}/results"
    status, page = await anon.call("GET", url)
    assert status == 404 and "chưa được công bố" in page
    draft = await client.ok("POST", f"/api/conferences/{conf['id']}/documents", {"kind": "conclusion"}, status=201)
    await client.ok("POST", f"/api/documents/{draft['id']}/issue", {"issued_on": "2026-03-05"})
    status, page = await anon.call("GET", url)
    assert status == 200
    assert "01/TB-UBND" in page and "05/03/2026" in page
    assert "Lê Văn Cường - Thôn 1" in page  # consented
    assert "Trần T. B. - Thôn 3" in page and "Trần Thị Bình" not in page
    assert "Hoàng V. Đ. - Bon Bu Prăng" in page and "Hoàng Văn Đông" not in page
    assert "Y B. N. - Buôn Jun" in page and "Y Bih Niê" not in page
    assert not re.search(r"0\d{9}", page)  # no phone number at all
    assert "Đại biểu Một" not in page and "Vắng Mặt" not in page  # participants are not listed
    assert "Đang kiểm tra, xác minh" in page and "Đã chuyển cơ quan có thẩm quyền" in page
    assert "20/03/2026" in page and 'name="viewport"' in page and "@media print" not in page
    assert "window.print()" in page
    status, _ = await anon.call("GET", "/c/khong-co/results")
    assert status == 404
