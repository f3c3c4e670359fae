"""A written opinion sent from a phone (/r/<slug>, "Gửi ý kiến") waits for the secretary's
review on the conference page; the secretary's "Đã xem" button (named with the person)
clears it, in real Chromium against `doithoai serve`. A viewer sees that it waits but has no
button. axe-core finds no violation on the page."""

from __future__ import annotations

import aiohttp
import pytest

from tests.conftest import ADMIN_PASSWORD, ApiClient, start_live_server, stop_live_server
from tests.e2e.conftest import login
from tests.e2e.test_screens import CONF, TABLET, ready, violations

PHONE = {"width": 390, "height": 844}
NAME = "Hoàng Thị Mai"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_live_server(tmp_path_factory.mktemp("opinion"))
    try:
        yield live
    finally:
        stop_live_server(live)


async def test_the_secretary_marks_a_written_opinion_as_reviewed(browser, server):
    base = server.base
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        conf = await api.ok("POST", "/api/conferences", CONF, status=201)
        cid = conf["id"]
        await api.ok("POST", f"/api/conferences/{cid}/announce")
        for username, role, name in (("thuky2", "secretary", "Trần Thị Thư"),
                                     ("xem2", "viewer", "Lê Văn Xem")):
            await api.ok("POST", "/api/users", {"username": username, "full_name": name,
                                                "role": role, "password": ADMIN_PASSWORD}, status=201)

        # a citizen writes instead of speaking
        errors: list[str] = []
        phone = await browser.new_page(viewport=PHONE)
        phone.on("pageerror", lambda e: errors.append(f"phone: {e}"))
        await phone.goto(f"{base}/r/{conf['public_slug']}")
        await phone.fill("#o_name", NAME)
        await phone.fill("#o_hamlet", "Thôn 4")
        await phone.fill("#o_content", "Đề nghị sửa cầu tràn qua suối thôn 4 trước mùa mưa.")
        await phone.click("form[action$='/y-kien'] button[type=submit]")
        await phone.wait_for_selector("#tracking-code")
        written = [p for p in await api.ok("GET", f"/api/petitions?conference_id={cid}")]
        assert [(p["source"], p["needs_review"]) for p in written] == [("written", True)], written
        pid = written[0]["id"]

        # a viewer sees it waits, without a button
        viewer = await browser.new_page(viewport=TABLET)
        viewer.on("pageerror", lambda e: errors.append(f"viewer: {e}"))
        await login(viewer, base, "xem2", ADMIN_PASSWORD)
        await viewer.goto(f"{base}/#/c/{cid}")
        await ready(viewer, "#petitions")
        assert await viewer.locator("#petitions .x-review").count() == 1
        assert await viewer.locator("#petitions button.x-reviewed").count() == 0

        # the secretary: the button names the person; clicking it clears the wait
        page = await browser.new_page(viewport=TABLET)
        page.on("pageerror", lambda e: errors.append(f"secretary: {e}"))
        await login(page, base, "thuky2", ADMIN_PASSWORD)
        await page.goto(f"{base}/#/c/{cid}")
        await ready(page, "#petitions")
        row = page.locator("#petitions tr", has=page.locator(".x-review"))
        assert await row.count() == 1
        assert "Ý kiến bằng văn bản tại hội nghị" in await row.inner_text()
        button = page.get_by_role("button", name=f"Đã xem ý kiến của {NAME}")
        assert await button.inner_text() == "Đã xem"
        assert await violations(page) == []
        await button.click()
        await page.wait_for_function("!document.querySelector('#petitions .x-review')")
        assert await page.locator("#petitions button.x-reviewed").count() == 0
        got = await api.ok("GET", f"/api/petitions/{pid}")
        assert got["needs_review"] is False and got["source"] == "written"
        events = await api.ok("GET", "/api/audit?action=petition.update")
        assert events and events[0]["actor"].endswith(":Trần Thị Thư") and \
            events[0]["after"].get("needs_review") is False, events[:1]
        # the viewer's page, read again, no longer shows it waiting
        await viewer.reload()
        await ready(viewer, "#petitions")
        assert await viewer.locator("#petitions .x-review").count() == 0
        assert errors == [], errors
