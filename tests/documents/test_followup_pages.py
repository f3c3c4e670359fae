"""In real Chromium against `doithoai serve`: the petition page shows the tracking code,
prints the desk receipt (A5, read back from Chromium's PDF with pdftotext) and warns of a
case to verify without a unit; the follow-up page drafts the minutes with the secretary's
name; the calendar page and the document card warn of an estimated year; the commune's own
day off is added on the calendar page."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import aiohttp
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.session import session_factory
from server.keys import SESSIONMAKER
from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.e2e.conftest import browser, login  # noqa: F401
from tests.e2e.test_accessibility import violations
from tests.server.test_followup_support import make_conference, setup_commune

A5_POINTS = (419.53, 595.28)


async def _made(live_server, starts_at: str = "2027-01-20T08:00"):
    engine = create_async_engine(f"sqlite+aiosqlite:///{live_server.data_dir / 'doithoai.sqlite3'}")
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            client = ApiClient(live_server.base, http)
            await client.login("admin2", ADMIN_PASSWORD)
            await setup_commune(client)
            made = await make_conference(client, {SESSIONMAKER: session_factory(engine)},
                                         starts_at=starts_at)
            pid = made["petitions"][0]["id"]
            await client.ok("POST", f"/api/petitions/{pid}/answers", {
                "answered_by": "Nguyễn Văn Chủ", "outcome": "verifying", "text": "Cần kiểm tra."},
                status=201)
            made["tracking"] = await client.ok("GET", f"/api/petitions/{pid}/tracking")
    finally:
        await engine.dispose()
    return made


async def test_petition_page_receipt_warning_minutes_and_estimated_year(browser, live_server, tmp_path: Path):  # noqa: F811
    made = await _made(live_server)
    cid, pid = made["conference"]["id"], made["petitions"][0]["id"]
    code = made["tracking"]["code"]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, live_server.base)

    # the petition page: the code, the warning of the answer without a unit, the receipt
    await page.goto(f"{live_server.base}/#/p/{pid}")
    await page.wait_for_selector("#tracking-code")
    assert await page.inner_text("#tracking-code") == code
    warning = page.locator(".answer-warning")
    assert "chưa ghi đơn vị, người chịu trách nhiệm xác minh" in await warning.inner_text()
    async with context.expect_page() as opened:
        await page.click("#receipt-a5")
    receipt = await opened.value
    await receipt.wait_for_load_state()
    assert await receipt.inner_text("#tracking-code") == code
    assert await violations(receipt) == []
    pdf = tmp_path / "phieu.pdf"
    await receipt.pdf(path=str(pdf), prefer_css_page_size=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    assert abs(float(size[2]) - A5_POINTS[0]) < 1 and abs(float(size[4]) - A5_POINTS[1]) < 1, size
    assert next(line for line in info.splitlines() if line.startswith("Pages:")).split()[-1] == "1"
    text = unicodedata.normalize("NFC", subprocess.run(["pdftotext", "-layout", str(pdf), "-"],
                                                       capture_output=True, text=True, check=True).stdout)
    assert "PHIẾU TIẾP NHẬN KIẾN NGHỊ" in text and code in text and "/tra-cuu" in text
    assert "In phiếu" not in text  # the button is not printed
    await receipt.close()

    # the follow-up page: the minutes drafted with the secretary's name; the 2027 warning
    await page.goto(f"{live_server.base}/#/c/{cid}/followup")
    await page.wait_for_selector("#minutes-form")
    await page.fill("#minutes-form input[name=secretary_name]", "Hà Thị Thư")
    await page.fill("#minutes-form input[name=secretary_title]", "Công chức Văn phòng - Thống kê xã")
    await page.click("#draft-minutes")
    card = page.locator("#documents .doc-card").first
    await card.wait_for()
    assert "Biên bản" in await card.locator("h3").inner_text()
    doc_warning = card.locator(".doc-warning")
    assert "Lịch ngày nghỉ năm 2027 còn ngày dự kiến" in await doc_warning.inner_text()
    await card.locator("button.edit").click()
    editor = card.locator(".doc-editor")
    await editor.wait_for()
    assert await editor.locator("input[value='Hà Thị Thư']").count() == 1
    await page.screenshot(path=str(tmp_path / "bien-ban.png"), full_page=True)

    # the calendar page
    await page.goto(f"{live_server.base}/#/calendar/2027")
    await page.wait_for_selector("#calendar-estimated")
    assert "Tết Nguyên đán: 04/02-10/02" in await page.inner_text("#calendar-estimated")
    assert "dự kiến, chưa có quyết định" in await page.inner_text("#special-days")
    await page.goto(f"{live_server.base}/#/calendar/2026")
    await page.wait_for_selector("#special-days")
    assert await page.locator("#calendar-estimated").count() == 0
    # the install's administrator sees both the install's form and the commune's own days
    assert await page.locator("#calendar-form").count() == 1
    await page.click("#add-local")
    row = page.locator("#local-days-form .entry").last
    await row.locator("input[type=date]").fill("2026-03-02")
    await row.locator("input:not([type=date])").fill("Lễ hội đình làng")
    await page.click("#local-days-form button[type=submit]")
    await page.wait_for_selector("#special-days >> text=Lễ hội đình làng")
    assert "Nghỉ" in await page.locator("#special-days tr", has_text="Lễ hội đình làng").inner_text()
    assert errors == []
    await context.close()
