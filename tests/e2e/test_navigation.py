"""A page that loads slowly never paints over the page the user has moved to."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import login


async def test_a_slow_page_does_not_replace_the_next_one(browser, live_server):
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, live_server.base)

    released = asyncio.Event()

    async def slow_plan(route):  # the yearly plan answers only after the user has moved on
        await released.wait()
        await route.continue_()

    await page.route("**/api/conferences?year=*", slow_plan)
    await page.goto(live_server.base + "/#/plan/2025")  # starts loading the plan, held back
    await page.goto(live_server.base + "/#/broadcast")
    await page.wait_for_selector("#onair-toggle")
    released.set()  # now the plan's answer arrives, late
    await page.wait_for_timeout(800)
    assert await page.is_visible("#onair-toggle")
    assert "Kế hoạch" not in await page.inner_text("#view")
    # and going back to the plan still works
    await page.unroute("**/api/conferences?year=*")
    await page.goto(live_server.base + "/#/plan/2025")
    await page.wait_for_selector("#view h1 >> text=2025")
    assert errors == []
