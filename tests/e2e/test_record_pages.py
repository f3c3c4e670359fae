"""Log in, plan a conference, announce it and open its public page, in real Chromium."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import login


async def test_plan_announce_and_public_page(browser, live_server, tmp_path: Path):
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, live_server.base)
    await page.goto(live_server.base + "/#/plan/2026")
    await page.click("#new-conference")
    form = page.locator("#conference-form")
    # a bad submission first: the form says what is wrong and nothing is created
    await form.locator("input[name=title]").fill("Hội nghị đối thoại quý IV")
    await form.locator("input[name=venue]").fill("Hội trường UBND xã")
    await form.locator("input[name=starts_at]").fill("2026-12-18T08:00")
    await form.locator("input[name=ends_at]").fill("2026-12-18T07:00")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#conference-form .form-error")
    assert "kết thúc" in await page.inner_text("#conference-form .form-error")
    await form.locator("input[name=ends_at]").fill("2026-12-18T11:30")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#announce")
    # the new conference's own page (wait for it: the plan may still be leaving)
    await page.wait_for_selector("h1:has-text('Hội nghị đối thoại quý IV')")
    await page.click("#announce")
    link = page.locator("#public-link")
    await link.wait_for()
    href = await link.get_attribute("href")
    public = await browser.new_page()
    await public.goto(live_server.base + href)
    text = await public.inner_text("body")
    assert "THÔNG BÁO" in text and "Hội nghị đối thoại quý IV" in text
    assert "08 giờ 00" in text and "18/12/2026" in text and "Hội trường UBND xã" in text
    # the page renders with the shipped font, so diacritics do not depend on the system
    font_ok = await public.evaluate("document.fonts.check('16px \"Be Vietnam Pro\"', 'Đối thoại')")
    assert font_ok
    await public.screenshot(path=str(tmp_path / "announcement.png"), full_page=True)
    await page.screenshot(path=str(tmp_path / "conference.png"), full_page=True)
    assert not errors, errors
