"""Through the real HTTP API, on SQLite and PostgreSQL: the minutes drafted with the
secretary's own name, issued with a number and read back; the desk receipt with the
tracking code; the warning of an estimated calendar year on the calendar and on a draft;
the warning of a case to verify recorded without a responsible unit."""

from __future__ import annotations

import io
import re

from docx import Document as read_docx
from sqlalchemy import func, select

from server.db.models import Document
from server.keys import SESSIONMAKER
from tests.conftest import ApiClient
from tests.server.test_followup_support import PHONES, make_conference, setup_commune

SECRETARY = {"secretary_name": "Hà Thị Thư", "secretary_title": "Công chức Văn phòng - Thống kê xã"}


async def _documents(app) -> int:
    async with app[SESSIONMAKER]() as db:
        return (await db.execute(select(func.count(Document.id)))).scalar_one()


async def _docx_text(client: ApiClient, url: str) -> str:
    async with client.http.get(client.base + url) as r:
        assert r.status == 200
        d = read_docx(io.BytesIO(await r.read()))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [p.text for row in t.rows for c in row.cells for p in c.paragraphs]
    return "\n".join(parts)


async def test_minutes_drafted_issued_numbered_over_http(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    cid = made["conference"]["id"]

    # every field is checked; a refused draft writes nothing
    before = await _documents(app)
    for bad in ({"secretary_name": "x" * 201}, {"secretary_title": 5}, {"secretary_name": ["x"]}):
        status, body = await client.call("POST", f"/api/conferences/{cid}/documents",
                                          {"kind": "minutes", **bad})
        assert status == 422, (bad, status, body)
        assert body["error"]["message"]
    assert await _documents(app) == before

    draft = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "minutes", **SECRETARY},
                            status=201)
    assert draft["kind"] == "minutes" and draft["status"] == "draft" and draft["problems"] == []
    sec = draft["content"]["conference"]["secretary"]
    assert sec == {"name": "Hà Thị Thư", "role": "Công chức Văn phòng - Thống kê xã"}
    assert draft["content"]["invited"] == 4 and draft["content"]["invited_present"] == 3
    assert len(draft["content"]["petitions"]) == 4
    assert draft["warnings"] == []  # 2026: every day of the calendar is decided

    text = await _docx_text(client, draft["docx_url"])
    assert re.search(r"Số:\s+/BB-UBND", text)
    for line in ("Thư ký: Hà Thị Thư - Công chức Văn phòng - Thống kê xã.",
                 "Số người được mời: 04 người; có mặt 03 người.",
                 "Tại hội nghị không có lượt phát biểu nào được ghi lại.",
                 "Tình trạng: Đang kiểm tra, xác minh."):
        assert line in text.splitlines(), (line, text)
    assert "Quản trị viên" not in text
    assert not any(p in text for p in PHONES)

    issued = await client.ok("POST", f"/api/documents/{draft['id']}/issue", {"issued_on": "2026-02-20"})
    assert issued["number"] == "01/BB-UBND"
    text = await _docx_text(client, issued["docx_url"])
    assert "Số: 01/BB-UBND" in text and "Đức An, ngày 20 tháng 02 năm 2026" in text

    # the next minutes take the secretary of the last ones when none is typed
    again = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "minutes"}, status=201)
    assert again["content"]["conference"]["secretary"]["name"] == "Hà Thị Thư"
    # and so does the older internal export of the minutes, not the account exporting
    export = await _docx_text(client, f"/api/conferences/{cid}/minutes.docx")
    assert "Hà Thị Thư" in export


async def test_receipt_carries_the_tracking_code_and_the_lookup(client: ApiClient, anon: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    pid = made["petitions"][1]["id"]
    tracking = await client.ok("GET", f"/api/petitions/{pid}/tracking")
    async with client.http.get(f"{client.base}/api/petitions/{pid}/receipt") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
        html = await r.text()
    assert f'<span class="code" id="tracking-code">{tracking["code"]}</span>' in html
    # the address phones can reach (the configured public address, else this server's)
    assert re.search(r'<strong id="lookup-address">http://[^<]+/tra-cuu</strong>', html)
    assert "<svg" in html
    assert "size: A5 portrait" in html and "Trần Thị Bình" in html
    assert "bộ phận một cửa của xã Đức An" in html
    assert not any(p in html for p in PHONES)
    async with client.http.get(f"{client.base}/api/petitions/{pid}/receipt?paper=a4") as r:
        assert "size: A4 portrait" in await r.text()
    status, body = await client.call("GET", f"/api/petitions/{pid}/receipt?paper=b5")
    assert status == 422 and body["error"]["message"]
    # only staff of the commune print it
    status, _ = await anon.call("GET", f"/api/petitions/{pid}/receipt")
    assert status == 401
    # the code on the receipt opens the petition on the public page
    async with anon.http.get(f"{anon.base}/tra-cuu", params={"ma": tracking["code"]}) as r:
        assert r.status == 200 and "Đường liên thôn 3 xuống cấp" in await r.text()


async def test_estimated_year_warnings_on_calendar_and_draft(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    assert (await client.ok("GET", "/api/calendar/2026"))["warning"] is None
    warning = (await client.ok("GET", "/api/calendar/2027"))["warning"]
    assert warning.startswith("Lịch ngày nghỉ năm 2027 còn ngày dự kiến, chưa có quyết định")
    assert "Tết Nguyên đán: 04/02-10/02" in warning
    days = await client.ok("GET", "/api/calendar/2027/days")
    assert any(d["status"] == "estimated" and d["status_label"] == "dự kiến, chưa có quyết định" for d in days)

    made = await make_conference(client, app, starts_at="2027-01-20T08:00",
                                 title="Hội nghị đối thoại với Nhân dân năm 2027")
    cid = made["conference"]["id"]
    draft = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
    assert [w["code"] for w in draft["warnings"]] == ["calendar_estimated"]
    assert draft["warnings"][0]["message"] == warning
    listed = await client.ok("GET", f"/api/conferences/{cid}/documents")
    assert listed[0]["warnings"] == draft["warnings"]
    assert (await client.ok("GET", f"/api/documents/{draft['id']}"))["warnings"] == draft["warnings"]


async def test_verification_without_unit_is_kept_with_a_warning(client: ApiClient, app_server):
    _, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)
    pid = made["petitions"][0]["id"]
    answer = await client.ok("POST", f"/api/petitions/{pid}/answers", {
        "answered_by": "Nguyễn Văn Chủ", "outcome": "verifying", "text": "Cần kiểm tra hồ sơ."}, status=201)
    assert len(answer["warnings"]) == 1
    assert answer["warnings"][0].startswith("Kiến nghị cần kiểm tra, xác minh nhưng chưa ghi đơn vị")
    detail = await client.ok("GET", f"/api/petitions/{pid}/detail")
    assert detail["answers"][-1]["warnings"] == answer["warnings"]
    fixed = await client.ok("POST", f"/api/petitions/{pid}/answers", {
        "answered_by": "Nguyễn Văn Chủ", "outcome": "verifying", "unit": "Công chức Tư pháp - Hộ tịch",
        "text": "Cần kiểm tra hồ sơ."}, status=201)
    assert fixed["warnings"] == []
    assert (await client.ok("GET", f"/api/petitions/{pid}/detail"))["answers"][-1]["warnings"] == []


async def test_install_calendar_and_a_communes_own_days_off(client: ApiClient, app_server):
    base, app = app_server
    await setup_commune(client)
    made = await make_conference(client, app)  # Friday 13/02/2026
    cid = made["conference"]["id"]
    # a second commune with its own administrator and the same conference day
    from server.api.schemas import UserIn
    from server.commands.accounts import add_user
    from server.commands.petitions import ensure_default_fields
    from server.db.models import Commune
    from tests.conftest import ADMIN_PASSWORD

    async with app[SESSIONMAKER]() as db, db.begin():
        other = Commune(name="Xã Nam Bình", issuing_body="ỦY BAN NHÂN DÂN XÃ NAM BÌNH", body_code="UBND",
                        place_name="Nam Bình", higher_authority="Ủy ban nhân dân tỉnh Lâm Đồng")
        db.add(other)
        await db.flush()
        await ensure_default_fields(db, other.id)
        await add_user(db, "test", other.id, UserIn(username="admin_nb", full_name="Quản trị Nam Bình",
                                                   role="admin", password=ADMIN_PASSWORD))
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        nb = ApiClient(base, http)
        await nb.login("admin_nb", ADMIN_PASSWORD)
        await setup_commune(nb)
        made_nb = await make_conference(nb, app)
        cid_nb = made_nb["conference"]["id"]

        # the install's calendar: only the install's administrator (first commune)
        cal = await nb.ok("GET", "/api/calendar/2026")
        assert cal["editable"] is False and cal["local"] == []
        assert (await client.ok("GET", "/api/calendar/2026"))["editable"] is True
        status, body = await nb.call("PUT", "/api/calendar/2026", {"version": 1, "days_off": [
            {"date": "2026-03-02", "name": "Nghỉ"}]})
        assert status == 403 and "quản trị viên cấp tỉnh" in body["error"]["message"]

        # the commune's own day off: checked, then only its deadlines move
        for bad in ({"days": [{"date": "2027-03-02", "name": "Lễ hội"}]},
                    {"days": [{"date": "2026-03-02", "name": ""}]},
                    {"days": [{"date": "2026-03-02"}]}, {"days": "x"}):
            status, body = await nb.call("PUT", "/api/calendar/2026/local", bad)
            assert status in (400, 422) and body["error"]["message"], (bad, body)
        saved = await nb.ok("PUT", "/api/calendar/2026/local",
                            {"days": [{"date": "2026-03-02", "name": "Lễ hội đình làng Nam Bình"}]})
        assert saved["local"][0]["date"] == "2026-03-02"
        assert (await nb.ok("GET", "/api/calendar/2026"))["local"][0]["name"] == "Lễ hội đình làng Nam Bình"
        days = {d["date"]: d for d in await nb.ok("GET", "/api/calendar/2026/days")}
        assert days["2026-03-02"]["working"] is False
        assert "2026-03-02" not in {d["date"] for d in await client.ok("GET", "/api/calendar/2026/days")}

        mine = await nb.ok("GET", f"/api/conferences/{cid_nb}/deadlines?on=2026-03-02")
        theirs = await client.ok("GET", f"/api/conferences/{cid}/deadlines?on=2026-03-02")
        due = {i["key"]: i["due"] for i in mine["conference"]}
        assert due["conclusion_notice"] == "2026-03-09"  # one working day later than 06/03
        assert {i["key"]: i["due"] for i in theirs["conference"]}["conclusion_notice"] == "2026-03-06"

        # emptied: back to the install's calendar
        await nb.ok("PUT", "/api/calendar/2026/local", {"days": []})
        mine = await nb.ok("GET", f"/api/conferences/{cid_nb}/deadlines?on=2026-03-02")
        assert {i["key"]: i["due"] for i in mine["conference"]}["conclusion_notice"] == "2026-03-06"
