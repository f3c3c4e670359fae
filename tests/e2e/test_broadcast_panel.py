"""The broadcast panel in real Chromium: live level, on air with a chime, a relay turns green."""

from __future__ import annotations

import aiohttp

from tests.conftest import ApiClient
from tests.e2e.conftest import login
from tests.server.test_bulletins import sox_tone, upload


async def test_panel_goes_on_air_and_lists_a_reporting_relay(browser, live_server, tmp_path):
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, live_server.base)
    await page.goto(live_server.base + "/#/broadcast")
    await page.wait_for_selector("#onair-toggle")
    assert "Chưa phát sóng" in await page.inner_text("#onair-state")
    # the level meter follows the server's test tone
    await page.wait_for_function(
        "Number(document.querySelector('[role=meter]').getAttribute('aria-valuenow')) > -30")
    await page.click("#onair-toggle")
    await page.wait_for_selector("#onair-state.onair")
    # a relay with its device token reports; the panel lists it green without a reload
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = ApiClient(live_server.base, http)
        await admin.login("admin2")
        dev = await admin.ok("POST", "/api/devices", {"name": "Cụm loa thôn 3", "kind": "relay"},
                             status=201)
        async with http.post(live_server.base + "/api/relays/report", json={
                "name": "Cụm loa thôn 3", "connected": True, "buffer_ms": 120,
                "last_audio_at": None, "errors": []},
                headers={"Authorization": f"Bearer {dev['token']}"}) as r:
            assert r.status in (200, 204), await r.text()
        async with http.post(live_server.base + "/api/relays/report", json={"name": "x"},
                             headers={"Authorization": "Bearer dt_sai"}) as r:
            assert r.status in (401, 403)
    await page.wait_for_selector("#relays >> text=Cụm loa thôn 3")
    status = await page.inner_text("#relays")
    assert "Đã kết nối" in status
    # a bulletin uploaded without a time plays at once and shows on the panel with its progress
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = ApiClient(live_server.base, http)
        await admin.login("admin2")
        conf = await admin.ok("POST", "/api/conferences", {
            "title": "Hội nghị", "starts_at": "2026-12-18T08:00", "venue": "Hội trường"}, status=201)
        code, body = await upload(admin, conf["id"], sox_tone(tmp_path / "b.wav", 700, 6.0),
                                  title="Bản tin trả lời kiến nghị")
        assert code == 201, body
    await page.wait_for_selector("#bulletin >> text=Bản tin trả lời kiến nghị", timeout=15000)
    await page.wait_for_function("document.querySelector('#bulletin progress').value > 0")
    assert not errors, errors
