"""Deadlines, documents and dispatch records through the real HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io

from docx import Document as read_docx
from sqlalchemy import select

from server.db.models import AuditEvent, Document
from server.keys import SESSIONMAKER
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
    other_year = await issue_many(client, cid, 2, "2025-12-29")
    assert sorted(d["seq"] for d in other_year) == [1, 2]
    # the kind code follows the document: a notice gets TB, in the same sequence
    notice = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
    notice = await client.ok("POST", f"/api/documents/{notice['id']}/issue", {"issued_on": "2026-03-05"})
    assert notice["number"] == "05/TB-UBND"
    status, body = await client.call("POST", f"/api/documents/{notice['id']}/issue", {})
    assert status == 409 and body["error"]["code"] == "document_issued"
    async with app[SESSIONMAKER]() as db:
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
    async with app[SESSIONMAKER]() as db:
        actions = list((await db.execute(select(AuditEvent.action).where(
            AuditEvent.entity == "document"))).scalars())
    assert actions.count("document.edit") == 3 and "document.issue" in actions
