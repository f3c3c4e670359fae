"""After the conference, in real Chromium against `doithoai serve`: draft the conclusion
notice, edit it, issue it, record its dispatch, open the public results page; then the
board, the overview and the calendar pages render."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.session import session_factory
from server.keys import SESSIONMAKER
from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.e2e.conftest import login
from tests.server.test_followup_support import make_conference, setup_commune


async def test_issue_conclusion_notice_and_open_public_results(browser, live_server, tmp_path: Path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{live_server.data_dir / 'doithoai.sqlite3'}")
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            client = ApiClient(live_server.base, http)
            await client.login("admin2", ADMIN_PASSWORD)
            await setup_commune(client)
            made = await make_conference(client, {SESSIONMAKER: session_factory(engine)})
    finally:
        await engine.dispose()
    cid = made["conference"]["id"]

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, live_server.base)
    await page.goto(f"{live_server.base}/#/c/{cid}/followup")
    await page.wait_for_selector("#conference-deadlines")
    deadlines = await page.inner_text("#conference-deadlines")
    assert "Thông báo kết luận của Chủ tịch UBND xã" in deadlines and "06/03/2026" in deadlines
    assert "Quá hạn" in deadlines
    assert "Trang kết quả công khai có sau khi ban hành" in await page.inner_text("#view")

    await page.click("#draft-conclusion")
    card = page.locator("#documents .doc-card").first
    await card.wait_for()
    assert "Bản nháp" in await card.inner_text()
    await card.locator("button.edit").click()
    editor = card.locator(".doc-editor")
    await editor.wait_for()
    conclusion = editor.locator("textarea").filter(has_text="Khảo sát, lập dự toán sửa chữa.")
    await conclusion.fill("Giao công chức Địa chính khảo sát, lập dự toán trong tháng 3")
    await editor.locator("button[type=submit]").click()
    await page.wait_for_selector("#documents .doc-card .issue-form")
    await page.locator("#documents .doc-card input[name=issued_on]").fill("2026-03-05")
    await page.locator("#documents .doc-card .issue-form button[type=submit]").click()
    number = page.locator("#documents .doc-card .doc-number")
    await number.wait_for()
    assert await number.inner_text() == "Số 01/TB-UBND"

    form = page.locator("#documents .dispatch-form")
    await form.locator("input[name=recipient]").fill("Trưởng thôn 3")
    await form.locator("select[name=channel]").select_option("posted")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#documents li:has-text('Trưởng thôn 3')")
    assert "Niêm yết" in await page.inner_text("#documents")

    link = page.locator("#results-link")
    await link.wait_for()
    href = await link.get_attribute("href")
    assert href.endswith("/results")
    public = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    await public.goto(live_server.base + href)
    text = await public.inner_text("body")
    assert "KẾT QUẢ HỘI NGHỊ ĐỐI THOẠI" in text and "01/TB-UBND" in text
    assert "khảo sát, lập dự toán trong tháng 3" not in text  # the page shows the recorded answers
    assert "Lê Văn Cường - Thôn 1" in text and "Trần T. B. - Thôn 3" in text
    assert "Trần Thị Bình" not in text and not re.search(r"0\d{9}", text)
    assert "Đang kiểm tra, xác minh" in text
    width = await public.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    await public.screenshot(path=str(tmp_path / "results-phone.png"), full_page=True)

    await page.goto(f"{live_server.base}/#/deadlines")
    await page.wait_for_selector("#board")
    assert "Báo cáo kết quả hội nghị lên cấp trên" in await page.inner_text("#board")
    await page.wait_for_selector("#deadline-count:not([hidden])")
    await page.goto(f"{live_server.base}/#/overview/2026")
    await page.wait_for_selector("#chart-fields rect")
    assert "1 xã" in await page.inner_text("#overview-totals")
    await page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    await page.goto(f"{live_server.base}/#/calendar/2026")
    await page.wait_for_selector("#special-days")
    assert "02/01/2026" in await page.inner_text("#special-days")
    await page.screenshot(path=str(tmp_path / "calendar.png"), full_page=True)
    assert not errors, errors
