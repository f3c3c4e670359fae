"""Accessibility in real Chromium against `doithoai serve`: axe-core (vendored in
tests/vendor/axe.min.js) finds no WCAG 2.1 A/AA violation on any page (the tablet's pages after
login, the login screen, the public screen, the phone registration form with and without its
errors, the public announcement and results); and what axe cannot see: the tablet has one
live region that says only what matters, the public screen's countdown is not read out every
second, the phone form's errors are tied to their fields, the focus stays on the queue after
a command, row buttons name their person, every page has one title."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import login
from tests.e2e.test_hall_polish import PHONE, TABLET, public_pages, seed, tablet_pages

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def violations(page) -> list[Any]:
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("""(tags) => axe.run(document, { runOnly: { type: "tag", values: tags } })
      .then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })))""",
                                TAGS)
    return found


async def one_title(page) -> str:
    titles = await page.evaluate("[...document.querySelectorAll('title')].map((t) => t.textContent)")
    assert len(titles) == 1 and titles[0].strip(), titles
    return titles[0]


async def test_every_page_passes_axe_and_speaks_only_what_matters(browser, live_server):
    s = await seed(live_server.base)
    base = live_server.base
    errors: list[str] = []
    page = await browser.new_page(viewport=TABLET)
    page.on("pageerror", lambda e: errors.append(str(e)))

    await page.goto(base + "/")
    await page.wait_for_selector("#login-form")
    assert await violations(page) == [], "login"
    await login(page, base)
    titles = set()
    for path in tablet_pages(s):
        await page.goto(base + path)
        await page.wait_for_selector("#view:not([aria-busy]) h1")
        if "/queue" in path:
            await page.wait_for_selector("#q-version:not(:empty)")
        assert await violations(page) == [], path
        titles.add(await one_title(page))
        # one live region, which is not the page: the clock's four ticks a second are not read
        live = await page.evaluate("[...document.querySelectorAll('[aria-live]')].map((e) => e.id)")
        assert live == ["announce"], (path, live)
    assert len(titles) >= 10  # each kind of page has its own title

    # the queue: row buttons name their person; a command keeps the focus; the call is announced
    await page.goto(f"{base}/#/c/{s['cid']}/queue")
    call = page.locator("#q-waiting .q-call").first
    await call.wait_for()
    labels = await page.evaluate("[...document.querySelectorAll('#q-waiting .q-row')].map((r) => "
                                 "[...r.querySelectorAll('.q-call, .q-defer, .q-withdraw')].map((b) => b.getAttribute('aria-label')))")
    assert labels[0] == ["Mời Trần Văn Bình", "Hoãn Trần Văn Bình", "Rút Trần Văn Bình"], labels
    await call.focus()
    await page.keyboard.press("Enter")  # the first in line is called without a reason
    await page.wait_for_selector("#q-current .q-name:has-text('Trần Văn Bình')")
    assert await page.evaluate("document.activeElement.getAttribute('aria-label')") == "Mời Lê Thị Cúc"
    await page.wait_for_function("document.getElementById('announce').textContent.includes('Đã mời Trần Văn Bình')")
    await page.focus("#q-current .q-start")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#q-current .q-pause")
    assert await page.evaluate("document.activeElement.closest('#q-current') !== null")

    # the phone form: its errors are tied to their fields
    phone = await browser.new_page(viewport=PHONE)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    await phone.goto(base + s["register"])
    assert await violations(phone) == [], "register"
    await one_title(phone)
    await phone.click("form.phone-form button[type=submit]")
    await phone.wait_for_selector(".field-error")
    for name in ("display_name", "hamlet"):
        field = phone.locator(f"form.phone-form [name={name}]")
        assert await field.get_attribute("aria-invalid") == "true"
        said = await phone.evaluate(f"document.getElementById(document.querySelector('[name={name}]').getAttribute('aria-describedby')).textContent")
        assert said.startswith("Vui lòng nhập"), said
    assert await violations(phone) == [], "register with errors"

    # the public pages on a phone; the hall's screen on a wide screen
    for path in public_pages(s):
        await phone.set_viewport_size({"width": 1280, "height": 720} if path.startswith("/display/") else PHONE)
        await phone.goto(base + path)
        if path.startswith("/display/"):
            await phone.wait_for_selector("#clock:not(:empty)")
            # the countdown is not a live region: screen readers hear who speaks, not each second
            assert await phone.evaluate("document.getElementById('clock').closest('[aria-live]') === null")
            assert await phone.evaluate("[...document.querySelectorAll('[aria-live]')].map((e) => e.id)") == ["say"]
        assert await violations(phone) == [], path
        await one_title(phone)
    assert not errors, errors
