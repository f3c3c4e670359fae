"""Live captions end to end in real Chromium: the server's microphone plays the shared real
Vietnamese voices, the real recogniser captions them in its worker, and the pages show what
the server sends: the hall's screen and a 360 px phone ("Theo dõi", an anonymous follower)
once the broadcast is on air, the secretary always; when the turn ends the hall's band goes
and the secretary's text box holds the machine draft at once."""

from __future__ import annotations

import time

from tests.captions.conftest import admin, hall, hall_voices, open_hall, wait_for  # noqa: F401
from tests.e2e.conftest import login
from tests.e2e.test_captions_pages import FITS, PHONE, SCREEN, TABLET, shots

LINES = "(sel) => [...document.querySelectorAll(sel)].map((p) => [p.className, p.textContent])"


async def test_real_voices_reach_the_screen_the_phone_and_the_secretary(browser, hall, admin, tmp_path):  # noqa: F811
    base, _app = hall
    h = await open_hall(admin)
    device = await admin.ok("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"},
                            status=201)
    errors: list[str] = []
    screen = await browser.new_page(viewport=SCREEN)
    phone_ctx = await browser.new_context(viewport=PHONE, is_mobile=True)
    phone = await phone_ctx.new_page()
    clerk_ctx = await browser.new_context(viewport=TABLET)
    clerk = await clerk_ctx.new_page()
    for p in (screen, phone, clerk):
        p.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await screen.goto(f"{base}/display/{h.cid}?token={device['token']}")
        await phone.goto(f"{base}/r/{h.slug}/theo-doi")
        await login(clerk, base, "admin")
        await clerk.goto(f"{base}/#/c/{h.cid}/secretary")
        await screen.wait_for_selector("#qr-box:not([hidden])")
        await phone.wait_for_function("window.followSocket && window.followSocket.connected")
        await clerk.wait_for_selector("#live-state.held")

        await h.on_air()
        await h.start()
        # words as they are recognised, then whole sentences, on every page
        await screen.wait_for_selector("#captions:not([hidden]) .cap-final", timeout=40000)
        await phone.wait_for_selector("#follow-captions:not([hidden]) .cap-final", timeout=10000)
        await clerk.wait_for_selector("#live-text:not([hidden]) .cap-final", timeout=10000)
        hall_lines = await screen.evaluate(LINES, "#caption-lines .cap-line")
        assert 1 <= len(hall_lines) <= 2 and all(t.strip() for _, t in hall_lines), hall_lines
        assert await phone.evaluate(FITS) == []
        await screen.screenshot(path=str(shots(tmp_path) / "captions-real-hall.png"))
        await phone.screenshot(path=str(shots(tmp_path) / "captions-real-phone.png"))
        # the secretary's live text holds the sentences the hall saw (the hall keeps the last two)
        finals = [t for c, t in await clerk.evaluate(LINES, "#live-lines .cap-line") if "cap-final" in c]
        shown = [t for c, t in hall_lines if "cap-final" in c]
        assert shown and all(t in finals for t in shown), (shown, finals)

        await clerk.click(f"#turn-list li[data-turn='{h.turn}'] button")  # keep this turn open
        await h.end()
        ended = time.monotonic()
        await screen.wait_for_selector("#captions", state="hidden", timeout=5000)
        await clerk.wait_for_function("document.getElementById('transcript').value.trim().length > 0",
                                      timeout=5000)
        draft_s = time.monotonic() - ended
        draft = await clerk.input_value("#transcript")
        assert all(t in draft for t in finals), (finals, draft)
        assert await clerk.is_visible("#draft-badge")
        assert draft_s < 5, draft_s
        assert not errors, errors
    finally:
        await phone_ctx.close()
        await clerk_ctx.close()
        await screen.close()
