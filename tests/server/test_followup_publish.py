"""Documents besides the notice (reply, report, invitation, announcement) with a PDF;
publishing: the dispatch record of an issued document and the public results page,
through the real HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import subprocess

from sqlalchemy import func, select

from server.db.models import Document
from server.keys import SESSIONMAKER
from tests.conftest import ApiClient
from tests.server.test_followup_api import fetch
from tests.server.test_followup_support import make_conference, setup_commune


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
    async with app[SESSIONMAKER]() as db:
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
    assert reply["content"]["addressee"] == "Hoàng Văn Đông, bon Bu Prăng, xã Đức An"
    reply = await client.ok("POST", f"/api/documents/{reply['id']}/issue", {"issued_on": "2026-03-05"})
    assert reply["number"] == "01/UBND"
    report = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "report"}, status=201)
    t = report["content"]["totals"]
    assert (t["total"], t["answered"], t["pending"], t["forwarded"], t["resolved"]) == (4, 1, 2, 1, 0)
    inv = await client.ok("POST", f"/api/conferences/{cid}/documents",
                          {"kind": "invitation", "participant_id": made["people"][0]["id"]}, status=201)
    assert inv["content"]["invitee"] == "Đại biểu Một"
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
