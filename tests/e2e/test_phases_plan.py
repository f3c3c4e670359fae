"""The run-of-show's planned minutes set on the tablet (#/c/<id>/settings) in real
Chromium against `doithoai serve`: wrong values (not whole minutes, out of bounds) are
refused in Vietnamese before anything is sent; a good plan is saved, the moderator's tablet
times the current phase against it and the hall screen (1920x1080) shows it; the audit log
names these actions in Vietnamese and filters by those names. axe-core finds no violation."""

from __future__ import annotations

import aiohttp
import pytest

from server.domain import limits
from tests.conftest import ADMIN_PASSWORD, ApiClient, start_live_server, stop_live_server
from tests.e2e.conftest import login
from tests.e2e.test_screens import CONF, TABLET, cmd, ready, violations


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_live_server(tmp_path_factory.mktemp("phases"))
    try:
        yield live
    finally:
        stop_live_server(live)


async def test_planned_minutes_are_set_on_the_tablet_and_used_by_tablet_and_screen(browser, server):
    base = server.base
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        cid = (await api.ok("POST", "/api/conferences", CONF, status=201))["id"]
        dev = await api.ok("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"}, status=201)

        errors: list[str] = []
        page = await browser.new_page(viewport=TABLET)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await login(page, base)
        await page.goto(f"{base}/#/c/{cid}")
        await ready(page, "#rules-link")
        await page.click("#rules-link")
        await ready(page, "#phases-form")
        labels = await page.locator("#phases-form label.fld span").all_inner_texts()
        assert labels[:5] == ["Khai mạc, báo cáo (phút)", "Nhân dân phát biểu ý kiến (phút)",
                              "Lãnh đạo trả lời (phút)", "Chủ tọa kết luận (phút)", "Bế mạc (phút)"], labels
        assert await page.input_value("#phases-form input[name=opinions]") == "90"
        assert await page.inner_text("#phases-total") == "Tổng cộng: 2 giờ 55 phút."
        assert await violations(page) == []

        # not whole minutes, zero, above the bound: refused on the tablet, in Vietnamese
        hint = f"Nhập số phút nguyên từ {limits.PHASE_MINUTES_MIN} đến {limits.PHASE_MINUTES_MAX}."
        for bad in ("2.5", "0", str(limits.PHASE_MINUTES_MAX + 1), ""):
            await page.fill("#phases-form input[name=opinions]", bad)
            await page.click("#phases-save")
            box = page.locator("#phases-form .form-error")
            await box.wait_for()
            assert await box.inner_text() == f"Nhân dân phát biểu ý kiến (phút): {hint[0].lower()}{hint[1:]}", bad
            assert await page.get_attribute("#phases-form input[name=opinions]", "aria-invalid") == "true"
            assert await page.evaluate("document.activeElement.name") == "opinions"
        assert (await api.ok("GET", f"/api/conferences/{cid}/queue"))["version"] == 0
        assert await violations(page) == []

        # a good plan is saved, with its reason, and the rules above still save
        await page.fill("#phases-form input[name=opinions]", "120")
        await page.fill("#phases-form input[name=opening]", "15")
        assert await page.inner_text("#phases-total") == "Tổng cộng: 3 giờ 20 phút."
        await page.fill("#phases-form input[name=reason]", "Nhiều thôn đăng ký")
        await page.click("#phases-save")
        await page.wait_for_selector("text=Đã lưu thời gian dự kiến các phần.")
        assert not await page.locator("#phases-form .form-error").count()
        snap = await api.ok("GET", f"/api/conferences/{cid}/queue")
        assert snap["state"]["settings"]["phase_minutes"] == {
            "opening": 15, "opinions": 120, "answers": 45, "conclusion": 15, "closing": 5}
        await page.fill("input[name=speaking_seconds]", "200")
        await page.click("#settings-save")
        await page.wait_for_selector("#banner:has-text('Đã lưu quy tắc phát biểu.'), #settings-form .form-error")
        assert not await page.locator("#settings-form .form-error").count(), \
            await page.inner_text("#settings-form .form-error")
        snap = await api.ok("GET", f"/api/conferences/{cid}/queue")
        assert snap["state"]["settings"]["speaking_seconds"] == 200
        assert snap["state"]["settings"]["phase_minutes"]["opinions"] == 120  # kept
        events = await api.ok("GET", f"/api/audit?conference_id={cid}&action=queue.update_settings")
        assert [e["reason"] for e in events][-1] == "Nhiều thôn đăng ký"

        # the moderator's tablet and the hall screen time the phase against the plan
        screen = await browser.new_page(viewport={"width": 1920, "height": 1080})
        screen.on("pageerror", lambda e: errors.append(f"screen: {e}"))
        await screen.goto(f"{base}/display/{cid}?token={dev['token']}")
        await screen.wait_for_selector("#speaker")
        await page.goto(f"{base}/#/c/{cid}/queue")
        await page.wait_for_selector("#q-version:not(:empty)")
        await api.ok("POST", f"/api/conferences/{cid}/queue/commands",
                     cmd("set_phase", snap["version"], phase="opinions"))
        await page.wait_for_function(
            "/^đã dùng 0:0\\d \\/ 120:00 dự kiến$/.test(document.querySelector('#q-phases li.x-now .x-phase-time')?.textContent)")
        assert await page.text_content("#q-phases li[data-key=opening] .x-phase-time") == \
            "đã dùng 0:00 / 15:00 dự kiến"
        await screen.wait_for_function("document.getElementById('phase')?.textContent === 'Nhân dân phát biểu ý kiến'")
        await screen.wait_for_function(
            "document.getElementById('phase-time')?.textContent === 'Đã 0 phút / dự kiến 120 phút'")
        assert await screen.is_visible("#phase-time")
        sizes = await screen.evaluate("({h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth})")
        assert sizes["h"] <= 1080 and sizes["w"] <= 1920, sizes

        # the audit log names each action in Vietnamese, and its filter offers them by name
        await page.goto(f"{base}/#/audit?conference_id={cid}")
        await ready(page, "#audit tbody tr")
        whats = await page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
        assert whats == ["Hàng đợi: Chuyển phần hội nghị", "Hàng đợi: Đổi quy tắc phát biểu",
                         "Hàng đợi: Đổi quy tắc phát biểu", "Thêm hội nghị"], whats
        assert "queue." not in await page.inner_text("#audit")
        options = await page.locator("#audit-filter select[name=action] option").all_inner_texts()
        assert "Hàng đợi phát biểu: tất cả" in options and "Hàng đợi: Chuyển phần hội nghị" in options
        assert not [o for o in options if "." in o and " " not in o], options  # no code shown
        await page.select_option("#audit-filter select[name=action]", label="Hàng đợi: Chuyển phần hội nghị")
        await page.click("#audit-run")
        await page.wait_for_function("document.querySelectorAll('#audit tbody tr').length === 1")
        assert "action=queue.set_phase" in page.url
        assert await violations(page) == []
        assert errors == [], errors
