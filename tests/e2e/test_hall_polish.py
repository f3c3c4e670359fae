"""A conference day without a technician, in real Chromium against `doithoai serve`: a
200-character name never pushes a button off a 1280-px tablet or makes a phone scroll
sideways; the interface speaks Vietnamese (no "null", no "tone:440"); the login screen shows
only the login form; a revoked public screen says so plainly; the icon is served; the door's
check-in list is searched without diacritics; the secretary replays a turn's recording; the
broadcast page says in large type when the loudspeakers are silent and why; dates are
Vietnam's whatever the tablet's own time zone."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.e2e.conftest import login

LONG = "Nguyễn" + "A" * 194  # 200 characters, no space to break at
# the conference was held a week ago: its conclusion notice can be issued today
HELD = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) - timedelta(days=7)).date()
TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def cmd(kind: str, version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": version, **kw}


async def seed(base: str) -> dict[str, Any]:
    """A conference whose every text is as long as allowed: a long-named speaker who has spoken
    (so the turn has a recording), two waiting, one waiting for approval, four people to check
    in, a petition answered, the conclusion notice issued and dispatched, a display device and
    a revoked one."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        conf = await api.ok("POST", "/api/conferences", {
            "title": f"Hội nghị {LONG}", "starts_at": f"{HELD}T08:00", "venue": f"Hội trường {LONG[:180]}",
            "chair_name": "Nguyễn Văn Chủ"}, status=201)
        cid = conf["id"]
        people = ["Nguyễn Văn Ấn", "Lê Văn Đức", "Trần Thị Bình", LONG]
        for name in people:
            await api.ok("POST", f"/api/conferences/{cid}/participants", {
                "full_name": name, "kind": "citizen", "hamlet": f"Thôn {LONG[:150]}" if name == LONG else "Thôn 2"},
                status=201)
        field = (await api.ok("GET", "/api/fields"))[0]["id"]
        pet = await api.ok("POST", "/api/petitions", {
            "conference_id": cid, "raised_by": LONG, "hamlet": "Thôn 3", "field_id": field,
            "content": f"Đường {LONG}", "consent_full_name": True}, status=201)
        await api.ok("POST", "/api/petitions", {"conference_id": cid, "raised_by": "Trần Thị Bình",
                                                "field_id": field, "content": "Đèn đường thôn 2"}, status=201)
        q = f"/api/conferences/{cid}/queue/commands"
        for _ in range(100):  # the recorder writes from the first audio on: the turn must come after
            if (await api.ok("GET", "/api/broadcast"))["recorder"]["state"] == "recording":
                break
            await asyncio.sleep(0.1)
        first = cmd("register_turn", 0, display_name=LONG, hamlet="Thôn 3", topic=f"Đường {LONG}",
                    petition_ids=[pet["id"]])
        await api.ok("POST", q, first)
        await api.ok("POST", q, cmd("call_next", 1))
        await api.ok("POST", q, cmd("start", 2, turn_id=first["command_id"]))
        await asyncio.sleep(0.5)  # half a second of speech to replay
        await api.ok("POST", q, cmd("end", 3, turn_id=first["command_id"]))
        await api.ok("POST", q, cmd("register_turn", 4, display_name="Trần Văn Bình", hamlet="Thôn 2"))
        await api.ok("POST", q, cmd("register_turn", 5, display_name="Lê Thị Cúc", hamlet="Thôn 4"))
        screen = await api.ok("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"}, status=201)
        old = await api.ok("POST", "/api/devices", {"name": "Màn hình cũ", "kind": "display"}, status=201)
        await api.ok("DELETE", f"/api/devices/{old['id']}")
        await api.ok("POST", f"/api/petitions/{pet['id']}/answers", {
            "answered_by": "Nguyễn Văn Chủ", "outcome": "answered", "text": f"Đã trả lời {LONG}"})
        await api.ok("POST", f"/api/conferences/{cid}/announce")
        doc = await api.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "conclusion"}, status=201)
        await api.ok("POST", f"/api/documents/{doc['id']}/issue", {"issued_on": str(HELD + timedelta(days=1))})
        await api.ok("POST", f"/api/documents/{doc['id']}/dispatches", {
            "recipient": f"Trưởng thôn {LONG[:100]}", "channel": "posted"}, status=201)
        conf = await api.ok("GET", f"/api/conferences/{cid}")
        reg = await api.ok("GET", f"/api/conferences/{cid}/registration")
        return {"cid": cid, "pid": pet["id"], "turn": first["command_id"], "public": conf["public_url"],
                "register": "/r/" + reg["url"].rsplit("/", 1)[1], "token": screen["token"],
                "revoked": old["token"], "people": people}


def tablet_pages(s: dict[str, Any]) -> list[str]:
    cid = s["cid"]
    return [f"/#/plan/{HELD.year}", f"/#/c/{cid}", f"/#/c/{cid}/queue", f"/#/c/{cid}/secretary",
            f"/#/c/{cid}/followup", f"/#/p/{s['pid']}", "/#/calendar/2026", "/#/calendar/2028",
            "/#/broadcast", f"/#/overview/{HELD.year}", "/#/admin", "/#/deadlines/all", "/#/search?q=nguyen",
            f"/#/c/{cid}/settings", f"/#/c/{cid}/status", "/#/account", "/#/accounts", "/#/audit"]


def public_pages(s: dict[str, Any]) -> list[str]:
    return [s["public"], s["public"] + "/results", s["register"],
            f"/display/{s['cid']}?token={s['token']}"]


# The page fits its width: no sideways scrolling, every visible button inside the viewport.
FITS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) {
    const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 0.5);
    out.push(`scrolls: ${wide.slice(-3).map((e) => `${e.tagName}.${e.className}#${e.id}`).join(", ")}`);
  }
  for (const b of document.querySelectorAll("button, a.button")) {
    const r = b.getBoundingClientRect();
    if (r.width && (r.left < 0 || r.right > width + 0.5)) out.push(`${b.textContent.trim()} at ${Math.round(r.left)}-${Math.round(r.right)}`);
  }
  return out;
}"""

WORDS = re.compile(r"\b(null|undefined|NaN|tone:\d+|recording|venue|phone|Phiên bản)\b")


async def shown(page, base: str, path: str) -> None:
    await page.goto(base + path)
    if path.startswith("/#"):
        await page.wait_for_selector("#view:not([aria-busy]) h1")
    if "/queue" in path:
        await page.wait_for_selector("#q-version:not(:empty)")  # the first state over the socket
    if path.startswith("/display/"):
        await page.wait_for_selector("#qr-box:not([hidden])")


async def test_a_conference_day_without_a_technician(browser, live_server):
    s = await seed(live_server.base)
    errors: list[str] = []
    await long_names_fit_and_words_are_vietnamese(browser, live_server.base, s, errors)
    await revoked_screen_and_icon(browser, live_server.base, s)
    await door_secretary_loudspeakers_and_dates(browser, live_server.base, s, errors)
    assert not errors, errors


async def long_names_fit_and_words_are_vietnamese(browser, base: str, s: dict[str, Any], errors: list[str]) -> None:
    page = await browser.new_page(viewport=TABLET)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # before logging in: the login form and nothing else of the app
    await page.goto(base + "/")
    await page.wait_for_selector("#login-form")
    assert not await page.is_visible("#nav")
    assert await page.evaluate("[...document.querySelectorAll('header a, header button')].filter(e => e.offsetParent).length") == 1
    await login(page, base)
    for path in tablet_pages(s) + public_pages(s):
        await shown(page, base, path)
        for viewport in (TABLET, PHONE):  # the same page on a tablet and on a phone
            await page.set_viewport_size(viewport)
            assert await page.evaluate(FITS) == [], (viewport, path)
        await page.set_viewport_size(TABLET)
        text = await page.evaluate("document.body.innerText")
        assert not WORDS.search(text), (path, WORDS.search(text))
        if path == f"/#/c/{s['cid']}/queue":
            assert re.search(r"Lần thay đổi thứ \d+", text)
        if path == "/#/broadcast":
            assert "Âm thử 440 Hz" in text
    await page.close()


async def revoked_screen_and_icon(browser, base: str, s: dict[str, Any]) -> None:
    # a display whose device token was revoked: no QR code, no "broadcast live", only why
    screen = await browser.new_page(viewport={"width": 1280, "height": 720})
    await screen.goto(f"{base}/display/{s['cid']}?token={s['revoked']}")
    await screen.wait_for_selector("#fatal:not([hidden])")
    text = await screen.evaluate("document.body.innerText")
    assert "thu hồi" in text and "chưa được phép" in text
    assert "phát thanh trực tiếp" not in text
    for part in ("#stage", "#qr-box", "#notice"):
        assert not await screen.is_visible(part), part
    # the icon browsers ask for on every page
    icon = await screen.request.get(base + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    assert (await icon.body())[:4] == b"\x00\x00\x01\x00"
    await screen.close()


async def door_secretary_loudspeakers_and_dates(browser, base: str, s: dict[str, Any], errors: list[str]) -> None:
    # a tablet whose clock is set to UTC still shows Vietnam's dates and times
    context = await browser.new_context(viewport=TABLET, timezone_id="UTC")
    page = await context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, base)

    dates = await page.evaluate("""import('/static/js/ui.js').then((ui) => [
      ui.localDate('2026-12-18T23:30:00+00:00'), ui.localDate('2026-12-18'), ui.localDateTime('2026-12-18T01:00:00Z'),
      ui.localTime('2026-12-18T16:59:59Z'), ui.toLocalInput('2026-12-18T01:05:00Z'), ui.localDate('2026-12-18T17:00:00')])""")
    assert dates == ["19/12/2026", "18/12/2026", "08:00 18/12/2026", "23:59:59", "2026-12-18T08:05", "19/12/2026"]

    # "keep both" after an edit conflict: the paragraphs both texts share appear once
    merged = await page.evaluate("""import('/static/js/text.js').then((t) => [
      t.mergeParagraphs('Mở đầu.\\nÝ kiến của ông An.\\nKết luận.', 'Mở đầu.\\nÝ kiến của ông An, có bổ sung.\\nKết luận.'),
      t.mergeParagraphs('A\\nB', 'A\\nB\\nC'), t.mergeParagraphs('A\\n\\nB', 'X\\n\\nB'), t.mergeParagraphs('', 'Chỉ của tôi.'),
      t.fold('Nguyễn Văn ĐỨC  Ấn')])""")
    assert merged == ["Mở đầu.\nÝ kiến của ông An.\nÝ kiến của ông An, có bổ sung.\nKết luận.",
                      "A\nB\nC", "A\n\nX\n\nB", "Chỉ của tôi.", "nguyen van duc an"]

    # the door: 4 people, found by name typed without diacritics; checking in keeps the search
    await page.goto(f"{base}/#/c/{s['cid']}")
    search = page.locator("#participant-search")
    await search.fill("nguyen van an")
    rows = page.locator("#participants tr:not([hidden])")
    assert await rows.count() == 1 and "Nguyễn Văn Ấn" in await rows.inner_text()
    await page.click("#participants tr:not([hidden]) button[aria-label='Điểm danh Nguyễn Văn Ấn']")
    await page.wait_for_selector("#participants tr:not([hidden]) .badge.held")
    assert await search.input_value() == "nguyen van an" and await rows.count() == 1
    assert "(1/4)" in await page.inner_text("#participants-heading")
    await search.fill("DUC")
    assert await rows.count() == 1 and "Lê Văn Đức" in await rows.inner_text()
    await search.fill("")
    assert await rows.count() == 4

    # the field code's pattern is a valid expression for Chromium (v flag): it refuses capitals
    await page.goto(f"{base}/#/admin")
    code = page.locator("#field-form input[name=code]")
    await code.fill("Đất đai")
    assert await code.evaluate("(i) => i.validity.patternMismatch")
    await code.fill("dat-dai_2")
    assert await code.evaluate("(i) => i.validity.valid")
    assert await code.evaluate("(i) => { new RegExp(`^(?:${i.pattern})$`, 'v'); return true; }")

    # the secretary replays the turn's recording
    await page.goto(f"{base}/#/c/{s['cid']}/secretary")
    await page.click(f"#turn-list li[data-turn='{s['turn']}'] button")
    audio = page.locator("#turn-recordings audio")
    await audio.first.wait_for(timeout=15_000)
    src = await audio.first.get_attribute("src")
    assert src.startswith("/api/recordings/") and "Nghe bản ghi âm" in await audio.first.get_attribute("aria-label")
    head = await page.request.get(base + src, headers={"Range": "bytes=0-3"})
    assert head.status in (200, 206) and (await head.body())[:4] == b"RIFF"

    # the loudspeakers: silent and why, in large type
    await page.goto(f"{base}/#/broadcast")
    speakers = page.locator("#speakers")
    assert "Loa đang im: chưa phát sóng" in await speakers.inner_text()
    await page.click("#onair-toggle")
    await page.wait_for_selector("#speakers.sounding")
    await page.click("#mute-toggle")
    await page.wait_for_selector("#speakers.silent")
    assert (await speakers.inner_text()).startswith("Loa đang tắt tiếng")
    assert await page.evaluate("parseFloat(getComputedStyle(document.getElementById('speakers')).fontSize)") >= 28
    reasons = await page.evaluate("""import('/static/js/broadcast.js').then((b) => [
      b.speakerState({ muted: true, on_air: true, mute_reason: 'operator' }),
      b.speakerState({ muted: true, on_air: true, mute_reason: 'between_turns' }),
      b.speakerState({ muted: true, on_air: true }), b.speakerState({ muted: false, on_air: true, mute_reason: null })])""")
    assert reasons == [
        {"silent": True, "title": "Loa đang tắt tiếng", "reason": "do người điều hành tắt"},
        {"silent": True, "title": "Loa đang tắt tiếng", "reason": "tự tắt giữa các lượt phát biểu"},
        {"silent": True, "title": "Loa đang tắt tiếng", "reason": ""},
        {"silent": False, "title": "Loa đang phát", "reason": ""}]
    await page.click("#mute-toggle")  # leave the loudspeakers as found
    await page.wait_for_selector("#speakers.sounding")
    await context.close()
