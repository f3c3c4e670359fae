"""The secretary's tablet in real Chromium against `doithoai serve`: typed text is saved,
survives a reload and a dropped connection, and a concurrent edit shows both texts."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp

from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.e2e.conftest import login
from tests.server.test_record_api import CONF


def cmd(kind: str, version: int, **kw) -> dict:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": version, **kw}


async def test_secretary_text_survives_reload_outage_and_conflict(browser, live_server, tmp_path: Path):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(live_server.base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        conf = await api.ok("POST", "/api/conferences", CONF, status=201)
        cid = conf["id"]
        fields = await api.ok("GET", "/api/fields")
        pet = await api.ok("POST", "/api/petitions", {
            "conference_id": cid, "raised_by": "Nguyễn Văn Ấn", "hamlet": "Thôn 3",
            "field_id": fields[0]["id"], "content": "Đường thôn 3 xuống cấp"}, status=201)
        qpath = f"/api/conferences/{cid}/queue/commands"
        reg = cmd("register_turn", 0, display_name="Nguyễn Văn Ấn", hamlet="Thôn 3",
                  petition_ids=[pet["id"]])
        turn = reg["command_id"]
        await api.ok("POST", qpath, reg)
        await api.ok("POST", qpath, cmd("call_next", 1))
        await api.ok("POST", qpath, cmd("start", 2, turn_id=turn))

        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await login(page, live_server.base)
        await page.goto(f"{live_server.base}/#/c/{cid}/secretary")
        # the page follows the live queue to the turn that has the floor
        await page.wait_for_selector("#turn-name:has-text('Nguyễn Văn Ấn')")
        await page.wait_for_selector("#live-state:has-text('trực tiếp')")
        typed = "Ông Ấn đề nghị xã sớm bê tông hóa đường thôn 3."
        await page.locator("#transcript").click()
        await page.keyboard.type(typed)
        await page.wait_for_selector("#save-state:has-text('Đã lưu')", timeout=10_000)
        assert (await api.ok("GET", f"/api/turns/{turn}/transcript"))["text"] == typed

        await page.reload()
        await page.wait_for_selector("#transcript")
        await page.wait_for_function("document.querySelector('#transcript').value.length > 0")
        assert await page.input_value("#transcript") == typed

        # the connection drops: what is typed stays on the tablet and is sent when it is back
        await context.set_offline(True)
        more = typed + " Đoạn dài khoảng 800 mét."
        await page.fill("#transcript", more)
        await page.wait_for_selector("#save-state:has-text('Chưa gửi được')", timeout=10_000)
        kept = await page.evaluate(f"localStorage.getItem('doithoai:transcript:{turn}')")
        assert kept and "800 mét" in kept
        # meanwhile someone else saves another text for the same turn
        cur = await api.ok("GET", f"/api/turns/{turn}/transcript")
        theirs = "Ông An phản ánh đường thôn 3 bị hư hỏng."
        await api.ok("PUT", f"/api/turns/{turn}/transcript", {"text": theirs, "base_revision": cur["revision"]})
        await context.set_offline(False)
        # the tablet's text is refused as stale and both texts are shown, nothing is lost
        await page.wait_for_selector("#conflict:not([hidden])", timeout=15_000)
        assert "800 mét" in await page.inner_text("#conflict .mine")
        assert theirs in await page.inner_text("#conflict .theirs")
        await page.screenshot(path=str(tmp_path / "conflict.png"), full_page=True)
        await page.click("#keep-both")
        await page.wait_for_selector("#save-state:has-text('Đã lưu')", timeout=10_000)
        final = (await api.ok("GET", f"/api/turns/{turn}/transcript"))["text"]
        assert theirs in final and "800 mét" in final
        assert await page.evaluate(f"localStorage.getItem('doithoai:transcript:{turn}')") is None

        # the petition's file shows the turn's transcript
        await page.goto(f"{live_server.base}/#/p/{pet['id']}")
        await page.wait_for_selector(".turn .transcript")
        assert "800 mét" in await page.inner_text(".turn .transcript")
        await page.screenshot(path=str(tmp_path / "petition.png"), full_page=True)
        await context.close()
        assert not errors, errors
