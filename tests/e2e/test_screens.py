"""The conference-day screens in real Chromium against `doithoai serve`: the queue's rules
changed on the tablet reach the queue (and a change made meanwhile elsewhere is refused and
reloaded); one's own password is changed and the new one logs in; an account is locked and
its role changed; a conference is recorded as held; the audit log is filtered and its CSV
downloaded with the same filters; on the queue page the list is closed (the phone form then
refuses), the run-of-show moves (the public screen says which part it is) and the balance
shows a finished turn's time. Each new page passes axe-core."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import ADMIN_PASSWORD, ApiClient, start_live_server, stop_live_server
from tests.e2e.conftest import login

CONF = {"title": "Hội nghị đối thoại với Nhân dân xã Đức An năm 2026",
        "starts_at": "2026-12-18T08:00", "venue": "Hội trường UBND xã", "format": "in_person"}
TABLET = {"width": 1280, "height": 900}
AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"


async def violations(page) -> list[Any]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE))
    return await page.evaluate("""() => axe.run(document, { runOnly: { type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })))""")


def cmd(kind: str, version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": version, **kw}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `doithoai serve` for both tests (each makes its own conference and accounts)."""
    live = start_live_server(tmp_path_factory.mktemp("screens"))
    try:
        yield live
    finally:
        stop_live_server(live)


async def ready(page, selector: str) -> None:
    await page.wait_for_selector(f"#view:not([aria-busy]) {selector}")


async def test_rules_accounts_status_audit_and_password(browser, server, tmp_path: Path):
    base = server.base
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        cid = (await api.ok("POST", "/api/conferences", CONF, status=201))["id"]
        clerk = await api.ok("POST", "/api/users", {"username": "thuky1", "full_name": "Trần Thị Thư",
                                                    "role": "secretary", "password": ADMIN_PASSWORD}, status=201)
        await api.ok("POST", "/api/users", {"username": "chutri1", "full_name": "Nguyễn Văn Chủ",
                                            "role": "chair", "password": ADMIN_PASSWORD}, status=201)

        page = await browser.new_page(viewport=TABLET)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await login(page, base)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 4" not in m.text else None)

        # the queue's rules: changed on the tablet, in the queue's state at once
        await page.goto(f"{base}/#/c/{cid}/settings")
        await ready(page, "#settings-form")
        assert await page.title() == "Quy tắc phát biểu — Đối Thoại"
        assert await page.input_value("input[name=speaking_seconds]") == "180"
        await page.fill("input[name=speaking_seconds]", "240")
        assert await page.inner_text("#hint-speaking_seconds") == "= 4 phút"
        await page.uncheck("input[name=first_timers_first]")
        await page.fill("input[name=hamlet_budget_seconds]", "600")
        await page.fill("input[name=reason]", "Hội nghị đông người")
        await page.click("#settings-save")
        await page.wait_for_selector("#banner:has-text('Đã lưu quy tắc phát biểu')")
        assert await page.evaluate("document.activeElement.id") == "settings-save"
        snap = await api.ok("GET", f"/api/conferences/{cid}/queue")
        rules = snap["state"]["settings"]
        assert (rules["speaking_seconds"], rules["first_timers_first"], rules["hamlet_budget_seconds"]) == (240, False, 600)
        assert rules["registrations_open"] is True
        assert await violations(page) == []
        # another tablet changes a rule meanwhile: the save is refused and the rules reloaded
        await api.ok("POST", f"/api/conferences/{cid}/queue/commands", cmd(
            "update_settings", snap["version"], settings={**rules, "warning_seconds": 45}))
        await page.fill("input[name=speaking_seconds]", "200")
        await page.click("#settings-save")
        await page.wait_for_selector("#settings-form .form-error:has-text('máy khác')")
        assert await page.input_value("input[name=warning_seconds]") == "45"
        assert await page.input_value("input[name=speaking_seconds]") == "240"

        # accounts: lock one (the focus stays on its button), change a role, refuse locking oneself
        await page.goto(f"{base}/#/accounts")
        await ready(page, "#accounts")
        assert await violations(page) == []
        row = page.locator(f"#accounts tr[data-key='{clerk['id']}']")
        await row.locator(".x-lock").click()
        await row.locator(".x-state:has-text('Đã khóa')").wait_for()
        assert await page.evaluate("document.activeElement.getAttribute('aria-label')") == "Mở khóa tài khoản Trần Thị Thư"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            status, _ = await ApiClient(base, other).call("POST", "/api/session", {
                "username": "thuky1", "password": ADMIN_PASSWORD})
            assert status in (401, 403), status
        await row.locator("select.x-role").select_option("moderator")
        await row.locator(".x-save-role").click()
        await page.wait_for_selector("#banner:has-text('Điều hành phát biểu')")
        users = {u["username"]: u for u in await api.ok("GET", "/api/users")}
        assert (users["thuky1"]["role"], users["thuky1"]["active"]) == ("moderator", False)
        me = page.locator(f"#accounts tr[data-key='{users['admin2']['id']}']")
        await me.locator(".x-lock").click()
        await page.wait_for_selector("#banner.error:has-text('Không thể tự khóa')")

        # the conference was held; setting it again is refused in Vietnamese
        await page.goto(f"{base}/#/c/{cid}/status")
        await ready(page, "#conference-status")
        assert await violations(page) == []
        await page.click("button[data-status=held]")
        await page.wait_for_selector("#conference-status-now:has-text('Đã tổ chức')")
        assert (await api.ok("GET", f"/api/conferences/{cid}"))["status"] == "held"
        await page.click("button[data-status=held]")
        await page.wait_for_selector("#banner.error:has-text('không chuyển sang')")

        # the audit log, filtered by conference and kind of action; the CSV has the same filters
        await page.goto(f"{base}/#/audit")
        await ready(page, "#audit tbody tr")
        assert await violations(page) == []
        await page.select_option("#audit-filter select[name=conference_id]", str(cid))
        await page.select_option("#audit-filter select[name=action]", "queue.")
        await page.click("#audit-run")
        await page.wait_for_function("document.querySelectorAll('#audit tbody tr').length === 2")
        text = await page.inner_text("#audit tbody")
        assert "Đổi quy tắc phát biểu" in text and "Hội nghị đông người" in text and "Đổi trạng thái" not in text
        assert await page.evaluate("document.activeElement.id") == "audit-run"
        assert f"conference_id={cid}" in page.url and "action=queue." in page.url
        href = await page.get_attribute("#audit-csv", "href")
        assert href == f"/api/audit.csv?conference_id={cid}&action=queue."
        async with page.expect_download() as caught:
            await page.click("#audit-csv")
        saved = tmp_path / "audit.csv"
        await (await caught.value).save_as(saved)
        data = saved.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        lines = data.decode("utf-8-sig").strip().splitlines()
        assert len(lines) == 3 and all("queue.update_settings" in line for line in lines[1:]), lines

        # the chair's own password: a wrong old one is refused; the new one logs in
        await page.click("#logout")
        await page.wait_for_selector("#login-form")
        await login(page, base, "chutri1", ADMIN_PASSWORD)
        # the bar, by role: a chair reads the audit log but does not manage accounts
        assert await page.is_visible("nav a[href='#/audit']")
        assert not await page.is_visible("nav a[href='#/accounts']")
        await page.click("nav a[href='#/account']")
        await ready(page, "#password-form")
        assert "chutri1" in await page.inner_text("#account-facts")
        assert await violations(page) == []
        await page.fill("input[name=old_password]", "khong-dung-mat-khau")
        await page.fill("input[name=new_password]", "mat-khau-moi-2026")
        await page.fill("input[name=new_password_again]", "mat-khau-moi-2026")
        await page.click("#password-save")
        await page.wait_for_selector("#password-form .form-error:has-text('Mật khẩu hiện tại không đúng')")
        await page.fill("input[name=old_password]", ADMIN_PASSWORD)
        await page.click("#password-save")
        await page.wait_for_selector("#banner:has-text('Đã đổi mật khẩu')")
        assert await page.input_value("input[name=new_password]") == ""
        await page.click("#logout")
        await page.wait_for_selector("#login-form")
        await login(page, base, "chutri1", "mat-khau-moi-2026")
        assert "Nguyễn Văn Chủ" in await page.inner_text("#who")
        assert errors == [], errors


async def test_queue_list_run_of_show_and_balance(browser, server):
    base = server.base
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        conf = await api.ok("POST", "/api/conferences", CONF, status=201)
        cid = conf["id"]
        dev = await api.ok("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"}, status=201)
        # one finished turn of a little over a second
        q = f"/api/conferences/{cid}/queue/commands"
        turn = cmd("register_turn", 0, display_name="Nguyễn Văn Ấn", hamlet="Thôn 3")
        v = (await api.ok("POST", q, turn))["version"]
        v = (await api.ok("POST", q, cmd("call_next", v)))["version"]
        v = (await api.ok("POST", q, cmd("start", v, turn_id=turn["command_id"])))["version"]
        await asyncio.sleep(1.3)
        await api.ok("POST", q, cmd("end", v, turn_id=turn["command_id"]))

    errors: list[str] = []
    tab = await browser.new_page(viewport=TABLET)
    tab.on("pageerror", lambda e: errors.append(f"tablet: {e}"))
    await login(tab, base)
    # a phone opens the form while the list is still open
    phone = await browser.new_page(viewport={"width": 390, "height": 844})
    await phone.goto(f"{base}/r/{conf['public_slug']}")
    await phone.fill("input[name=display_name]", "Lê Văn Đức")
    await phone.fill("input[name=hamlet]", "Thôn 2")
    screen = await browser.new_page(viewport={"width": 1920, "height": 1080})
    screen.on("pageerror", lambda e: errors.append(f"screen: {e}"))
    await screen.goto(f"{base}/display/{cid}?token={dev['token']}")

    await tab.goto(f"{base}/#/c/{cid}/queue")
    await tab.wait_for_selector("#q-version:not(:empty)")
    await tab.wait_for_selector("#q-list-toggle:not([disabled])")

    # the balance: the finished turn's time, minutes:seconds
    await tab.click("#q-balance-box summary")
    people = tab.locator("#q-balance-people tbody tr")
    assert await people.count() == 1
    cells = await people.first.locator("td").all_inner_texts()
    assert cells[:3] == ["Nguyễn Văn Ấn", "Thôn 3", "1"], cells
    assert re.fullmatch(r"0:0[1-3]", cells[3]), cells
    assert re.fullmatch(r"0:0[1-3]", await tab.inner_text("#q-balance-hamlets tbody td.x-secs")), cells

    # closing the list: the button keeps the focus and says what it now does
    await tab.fill("#q-list-reason", "Đã đủ thời gian")
    await tab.click("#q-list-toggle")
    await tab.wait_for_selector("#q-list-state.x-list-closed")
    assert await tab.inner_text("#q-list-toggle") == "Mở lại danh sách"
    assert await tab.evaluate("document.activeElement.id") == "q-list-toggle"
    assert await tab.input_value("#q-list-reason") == ""
    # the phone form opened before is refused, and opened again says the list is closed
    await phone.click("button[type=submit]")
    await phone.wait_for_selector("text=đã đóng danh sách đăng ký phát biểu")
    await phone.goto(f"{base}/r/{conf['public_slug']}")
    await phone.wait_for_selector("h1:has-text('ĐÃ ĐÓNG DANH SÁCH ĐĂNG KÝ')")

    # the run-of-show: moving to the citizens' opinions; the public screen says so under the title
    await screen.wait_for_selector("#speaker")
    assert not await screen.is_visible("#phase")
    go = tab.locator("#q-phases li[data-key=opinions] .x-phase-go")
    assert await go.get_attribute("aria-label") == "Chuyển sang phần: Nhân dân phát biểu ý kiến"
    await go.click()
    await tab.wait_for_selector("#q-phases li[data-key=opinions].x-now")
    assert await tab.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Chuyển sang phần: Nhân dân phát biểu ý kiến"
    assert await tab.get_attribute("#q-phases li[data-key=opinions] .x-phase-go", "aria-disabled") == "true"
    await screen.wait_for_function("document.getElementById('phase')?.textContent === 'Nhân dân phát biểu ý kiến'")
    assert await screen.is_visible("#phase")
    sizes = await screen.evaluate("({h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth})")
    assert sizes["h"] <= 1080 and sizes["w"] <= 1920, sizes
    # the time used runs against the plan
    await tab.wait_for_function(
        "/^đã dùng 0:0[1-9] \\/ 90:00 dự kiến$/.test(document.querySelector('#q-phases li.x-now .x-phase-time').textContent)")
    assert await violations(tab) == []
    # reopening the list
    await tab.click("#q-list-toggle")
    await tab.wait_for_selector("#q-list-state.x-list-open")
    assert await tab.inner_text("#q-list-toggle") == "Đóng danh sách đăng ký"
    assert errors == [], errors
