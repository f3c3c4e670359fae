"""Live captions on the pages, in real Chromium against the real application (in this process,
so the test can send the captions' socket.io events itself, exactly as docs/realtime.md
describes them, through the application's own socket.io server; the server's own recogniser
is turned off for these conferences, test_captions_real.py runs it):

- the hall's screen at 1920x1080 shows the last two lines under the speaker in type of at
  least 56 px, a partial line in a lighter tone that its final replaces, wraps a long line
  without growing or scrolling, renders Vietnamese diacritics in the shipped font, keeps the
  fullest speaker panel whole, and shows nothing at all (no message) when not public;
- "Theo dõi" on a 360 px phone, reached from the registration form through a relay that can
  drop its Wi-Fi: public names only, the same captions, the live broadcast only on a tap,
  "Đang kết nối lại…" and catching up;
- the secretary sees the live text of the current turn, finals and partial, learns at once
  (`turn:recorded`) that the turn's recording was cut, and edits the commune's own words;
- the moderator's tablet shows the captions' state in Vietnamese and sends the settings and
  the hiding of a turn to the real endpoints.

Each page passes axe-core. Screenshots go to $DOITHOAI_SCREENSHOTS when set.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.e2e.conftest import login
from tests.e2e.test_queue_e2e import CuttableRelay
from tests.e2e.test_screens import violations
from tests.server.test_queue_realtime import session_cookie

SCREEN = {"width": 1920, "height": 1080}
TABLET = {"width": 1280, "height": 900}
CONF = {"title": "Hội nghị đối thoại với Nhân dân xã Đắk Rơ Ông năm 2026",
        "starts_at": "2026-12-18T08:00", "venue": "Hội trường UBND xã", "format": "in_person"}
LONG_FINAL = ("Kính thưa chủ tọa, tôi xin kiến nghị về con đường liên thôn từ bon Bu Prăng đi "
              "thôn Đắk Rơ Ông đã xuống cấp nghiêm trọng, mùa mưa xe máy không đi được, đề nghị "
              "xã sớm sửa chữa trước tháng 6 năm 2027.")

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def shots(tmp_path: Path) -> Path:
    d = Path(os.environ.get("DOITHOAI_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def cmd(kind: str, version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": version, **kw}


async def speaking(client, name: str = "Nguyễn Văn Ấn", hamlet: str = "Bon Bu Prăng", *,
                   start: bool = True) -> dict[str, Any]:
    """A conference whose first speaker (no consent to the full name) has the floor (or is
    called). The server's own recogniser is turned off for it: these tests send the captions'
    events themselves (test_captions_real.py runs the real one)."""
    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    if start:
        await client.ok("POST", f"/api/conferences/{cid}/captions/settings", {"enabled": False})
    q = f"/api/conferences/{cid}/queue/commands"
    first = cmd("register_turn", 0, display_name=name, hamlet=hamlet, topic="Đường liên thôn")
    await client.ok("POST", q, first)
    await client.ok("POST", q, cmd("call_next", 1))
    if start:
        await client.ok("POST", q, cmd("start", 2, turn_id=first["command_id"]))
    return {"cid": cid, "turn": first["command_id"], "version": 3 if start else 2}


async def worst_case(client) -> dict[str, Any]:
    """A conference in its opinions phase whose speaker consented to a long full name and
    needs an interpreter: the fullest left panel the hall's screen can have."""
    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    await client.ok("POST", f"/api/conferences/{cid}/captions/settings", {"enabled": False})
    q = f"/api/conferences/{cid}/queue/commands"
    first = cmd("register_turn", 0, display_name="Nguyễn Thị Hoàng Phương Thảo Ngọc Bích Liên Hương",
                hamlet="Bon Bu Prăng Đắk Rơ Ông", consent_full_name=True, needs_interpreter=True,
                language="M'Nông")
    await client.ok("POST", q, first)
    await client.ok("POST", q, cmd("set_phase", 1, phase="opinions"))
    await client.ok("POST", q, cmd("call_next", 2))
    await client.ok("POST", q, cmd("start", 3, turn_id=first["command_id"]))
    return {"cid": cid, "turn": first["command_id"]}


def state(cid: int, turn: str | None, **kw: Any) -> dict[str, Any]:
    s = {"conference_id": cid, "enabled": True, "available": True, "mode": "live", "public": True,
         "show_when_muted": False, "hidden_turn_id": None, "turn_id": turn,
         "message": "Phụ đề đang chạy."}
    return {**s, **kw}


def line(cid: int, turn: str, seq: int, text: str, final: bool) -> dict[str, Any]:
    return {"conference_id": cid, "turn_id": turn, "seq": seq, "final": final, "text": text,
            "at": "2026-12-18T01:00:01.200Z"}


async def emit(app, event: str, payload: dict[str, Any], *rooms: str) -> None:
    """The captions' events, as the server sends them (docs/realtime.md)."""
    from server.keys import SIO

    for room in rooms:
        await app[SIO].emit(event, payload, room=room)


# the caption band's lines: text, class, font size, colour; and whether it fits the screen
BAND = """() => {
  const band = document.getElementById("captions");
  const box = document.getElementById("caption-lines");
  const rows = [...box.querySelectorAll(".cap-line")].map((p) => {
    const cs = getComputedStyle(p);
    return { text: p.textContent, cls: p.className, size: parseFloat(cs.fontSize), color: cs.color };
  });
  const r = band.getBoundingClientRect();
  const lines = [...box.querySelectorAll(".cap-line")];
  const last = lines.length ? lines[lines.length - 1].getBoundingClientRect() : null;
  const b = box.getBoundingClientRect();
  // the shipped font's Vietnamese part (U+1EA0-1EF9: ấ, ệ, ữ...) is what drew the text
  const viet = [...document.fonts].some((f) => f.family.includes("Be Vietnam Pro") && f.weight === "700"
    && f.unicodeRange.includes("1EA0") && f.status === "loaded");
  const notice = document.getElementById("notice").getBoundingClientRect();
  const clock = document.getElementById("clock").getBoundingClientRect();
  const now = document.getElementById("now").getBoundingClientRect();
  return { hidden: band.hidden || r.height === 0, rows, top: r.top, bottom: r.bottom, right: r.right,
    height: r.height, noticeTop: notice.top, boxH: box.clientHeight, boxScroll: box.scrollHeight,
    clockBottom: clock.bottom, nowBottom: now.bottom, viet,
    noteBottom: document.getElementById("clock-note").getBoundingClientRect().bottom,
    nameSize: parseFloat(getComputedStyle(document.getElementById("speaker-name")).fontSize),
    nameLines: Math.round(document.getElementById("speaker-name").getBoundingClientRect().height
      / parseFloat(getComputedStyle(document.getElementById("speaker-name")).lineHeight)),
    clockSize: parseFloat(getComputedStyle(document.getElementById("clock")).fontSize),
    linesH: lines.reduce((h, p) => h + p.getBoundingClientRect().height, 0),
    lastBottom: last ? last.bottom : null, boxBottom: b.bottom,
    scrolls: document.documentElement.scrollWidth > innerWidth || document.documentElement.scrollHeight > innerHeight };
}"""


LINE_TEXTS = "(sel) => [...document.querySelectorAll(`${sel} .cap-line`)].map((p) => [p.className, p.textContent])"
RULES = """async () => {
  const { CaptionLines } = await import("/static/js/captions.js");
  const L = (turn, seq, text, final = true) => ({ conference_id: 1, turn_id: turn, seq, text, final });
  const c = new CaptionLines(3);
  c.add(L("a", 1, "a1")); c.add(L("a", 2, "a2"));
  c.add(L("b", 3, "b1"));
  const lateOldTurn = c.add(L("a", 2, "a2 late"));
  const afterNewTurn = c.last(5, "b").map((l) => l.text);
  c.add(L("b", 4, "b2")); c.add(L("b", 5, "b3")); c.add(L("b", 6, "b4", false));
  const keep = c.last(5, "b").map((l) => l.seq).slice(0, 3);
  const partialAfterFinal = c.add(L("b", 5, "b3 again", false));
  c.setState({ conference_id: 1, public: true, turn_id: "b", hidden_turn_id: "b" });
  const hiddenTurn = c.forPublic(2, "b").lines;
  c.setState({ conference_id: 1, public: false, turn_id: "b", hidden_turn_id: null });
  const notPublic = c.addPublic(L("b", 7, "b5"));
  const d = new CaptionLines();
  d.reset({ state: { public: true, turn_id: "t" }, lines: [] });
  const reserve = d.forPublic(2, "t").reserve;
  d.add(L("t", 1, "Một.")); d.add(L("t", 2, "hai", false));
  return { lateOldTurn, afterNewTurn, keep, partialAfterFinal, hiddenTurn, notPublic, reserve, text: d.text("t") };
}"""


PHONE = {"width": 360, "height": 740}
# the page fits its width: no sideways scrolling, every visible button inside the viewport
FITS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push(`scrolls: ${document.documentElement.scrollWidth} > ${width}`);
  for (const b of document.querySelectorAll("button, a, .cap-line")) {
    const r = b.getBoundingClientRect();
    if (r.width && (r.left < 0 || r.right > width + 0.5)) out.push(`${b.textContent.trim().slice(0, 30)} at ${Math.round(r.left)}-${Math.round(r.right)}`);
  }
  return out;
}"""


async def test_hall_screen_and_phone_show_public_captions_only(browser, app_server, client, tmp_path):
    base, app = app_server
    s = await speaking(client)
    cid, turn = s["cid"], s["turn"]
    device = await client.ok("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"},
                             status=201)
    slug = (await client.ok("GET", f"/api/conferences/{cid}/registration"))["url"].rsplit("/", 1)[1]
    relay = CuttableRelay(int(base.rsplit(":", 1)[1]))  # the phone's Wi-Fi, which can drop
    await relay.start()
    errors: list[str] = []
    screen = await browser.new_page(viewport=SCREEN)
    ctx = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = await ctx.new_page()
    mp3: list[float] = []
    phone.on("request", lambda r: mp3.append(time.monotonic()) if "/live.mp3" in r.url else None)
    for pg in (screen, phone):
        pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await screen.goto(f"{base}/display/{cid}?token={device['token']}")
        # the phone: from the registration form (the QR code's page) to "Theo dõi"
        await phone.goto(f"http://127.0.0.1:{relay.port}/r/{slug}")
        assert await violations(phone) == []  # the form with its new link
        await phone.click("#follow-link")
        await phone.wait_for_url(f"**/r/{slug}/theo-doi")
        assert await phone.title() == f"Theo dõi hội nghị — {CONF['title']}"
        await phone.wait_for_function("window.followSocket && window.followSocket.connected")
        await screen.wait_for_selector("#speaker-name:has-text('Nguyễn V. Ấ.')")
        # the floor in its public form only, as on the hall's screen
        assert await phone.inner_text("#follow-speaker") == "Nguyễn V. Ấ. - Bon Bu Prăng"
        assert await phone.inner_text("#follow-label") == "ĐANG PHÁT BIỂU"
        assert "Nguyễn Văn Ấn" not in await phone.content()
        assert (await screen.evaluate(BAND))["hidden"] and await phone.is_hidden("#follow-captions")

        public = f"public:{cid}"
        await emit(app, "captions:state", state(cid, turn), public)
        await emit(app, "captions:line", line(cid, turn, 1, "kính thưa chủ", False), public)
        await screen.wait_for_selector("#caption-lines .cap-partial:has-text('kính thưa chủ')")
        await emit(app, "captions:line", line(cid, turn, 1, "kính thưa chủ tọa tôi xin", False), public)
        await emit(app, "captions:line", line(cid, turn, 1, "Kính thưa chủ tọa, tôi xin phát biểu.", True), public)
        await screen.wait_for_selector("#caption-lines .cap-final")
        await emit(app, "captions:line", line(cid, turn, 2, "về con đường", False), public)
        await screen.wait_for_selector("#caption-lines .cap-partial:has-text('về con đường')")
        band = await screen.evaluate(BAND)
        assert [r["text"] for r in band["rows"]] == ["Kính thưa chủ tọa, tôi xin phát biểu.", "về con đường"], band
        assert [r["cls"] for r in band["rows"]] == ["cap-line cap-final", "cap-line cap-partial"]
        assert all(r["size"] >= 56 for r in band["rows"]), band  # readable at 15 m
        assert band["viet"], band  # diacritics drawn by the shipped font, not a fallback
        final_rgb, partial_rgb = band["rows"][0]["color"], band["rows"][1]["color"]
        assert final_rgb == "rgb(255, 255, 255)" and partial_rgb != final_rgb, band  # partial: lighter tone
        assert band["bottom"] <= band["noticeTop"] + 0.5 and band["right"] <= SCREEN["width"], band
        assert band["clockBottom"] <= band["nowBottom"] + 0.5, band  # the clock is still whole
        assert not band["scrolls"], band
        assert await violations(screen) == []
        await screen.screenshot(path=str(shots(tmp_path) / "captions-hall.png"))
        await phone.wait_for_selector("#follow-lines .cap-partial:has-text('về con đường')")
        assert await phone.evaluate(LINE_TEXTS, "#follow-lines") == [
            ["cap-line cap-final", "Kính thưa chủ tọa, tôi xin phát biểu."], ["cap-line cap-partial", "về con đường"]]

        # a late partial of a closed sentence changes nothing; the third line pushes out the first
        await emit(app, "captions:line", line(cid, turn, 1, "kính thưa", False), public)
        await emit(app, "captions:line", line(cid, turn, 2, "Về con đường liên thôn.", True), public)
        await emit(app, "captions:line", line(cid, turn, 3, LONG_FINAL, True), public)
        await screen.wait_for_selector("#caption-lines .cap-final[data-seq='3']")
        band = await screen.evaluate(BAND)
        assert [r["text"] for r in band["rows"]] == ["Về con đường liên thôn.", LONG_FINAL], band
        # a long line wraps inside the band: the band keeps its height, nothing scrolls sideways
        # (the newest words at the bottom, the oldest row leaving at the top)
        assert band["linesH"] > band["boxH"] and abs(band["height"] - SCREEN["height"] * 0.17) < 20, band
        assert band["lastBottom"] <= band["boxBottom"] + 0.5, band
        assert band["bottom"] <= band["noticeTop"] + 0.5 and not band["scrolls"], band
        await screen.screenshot(path=str(shots(tmp_path) / "captions-hall-long.png"))
        # the phone keeps a few more lines; at 360 px a long sentence wraps, nothing scrolls sideways
        await phone.wait_for_selector("#follow-lines .cap-final[data-seq='3']")
        assert await phone.evaluate(LINE_TEXTS, "#follow-lines") == [
            ["cap-line cap-final", "Kính thưa chủ tọa, tôi xin phát biểu."],
            ["cap-line cap-final", "Về con đường liên thôn."], ["cap-line cap-final", LONG_FINAL]]
        assert await phone.evaluate(FITS) == []
        assert await violations(phone) == []
        await phone.screenshot(path=str(shots(tmp_path) / "captions-phone.png"), full_page=True)

        # the broadcast on the phone: nothing is loaded before a tap; a tap opens the live stream
        assert mp3 == [] and await phone.evaluate("document.getElementById('live-audio').paused")
        assert await phone.inner_text("#listen") == "Nghe trực tiếp"
        await phone.tap("#listen")
        await phone.wait_for_function("document.getElementById('listen-state').textContent === 'Đang nghe trực tiếp.'")
        assert await phone.inner_text("#listen") == "Dừng nghe"
        assert await phone.get_attribute("#listen", "aria-pressed") == "true"
        assert len(mp3) == 1 and not await phone.evaluate("document.getElementById('live-audio').paused")
        await phone.tap("#listen")
        assert await phone.evaluate("document.getElementById('live-audio').paused")
        assert await phone.inner_text("#listen") == "Nghe trực tiếp"

        # not public (muted, off air, hidden turn, captions off): the captions go, without a word
        await emit(app, "captions:state", state(cid, turn, public=False, mode="paused",
                                                message="Phát thanh đang tắt tiếng: phụ đề không hiện."), public)
        await screen.wait_for_selector("#captions", state="hidden")
        await phone.wait_for_selector("#follow-captions", state="hidden")
        for pg in (screen, phone):
            text = await pg.inner_text("body")
            assert "tắt tiếng" not in text and "Kính thưa" not in text, text
        assert "phụ đề" not in (await screen.inner_text("body")).lower()
        # a line arriving anyway is not shown while the state says not public
        await emit(app, "captions:line", line(cid, turn, 4, "không được hiện", False), public)
        await screen.wait_for_timeout(300)
        assert (await screen.evaluate(BAND))["hidden"] and await phone.is_hidden("#follow-captions")
        # public again: only new lines are shown
        await emit(app, "captions:state", state(cid, turn), public)
        await emit(app, "captions:line", line(cid, turn, 5, "xin cảm ơn", False), public)
        await screen.wait_for_selector("#caption-lines .cap-partial:has-text('xin cảm ơn')")
        await phone.wait_for_selector("#follow-lines .cap-partial:has-text('xin cảm ơn')")
        assert [r["text"] for r in (await screen.evaluate(BAND))["rows"]] == ["xin cảm ơn"]
        assert await phone.evaluate(LINE_TEXTS, "#follow-lines") == [["cap-line cap-partial", "xin cảm ơn"]]

        # the rules of static/js/captions.js, checked directly on the module the pages load
        rules = await screen.evaluate(RULES)
        assert rules == {"lateOldTurn": False, "afterNewTurn": ["b1"], "keep": [4, 5, 6],
                         "partialAfterFinal": False, "hiddenTurn": [], "notPublic": False,
                         "reserve": True, "text": "Một. hai"}, rules

        # bad Wi-Fi: the phone's link drops; it says it is reconnecting; meanwhile the turn ends
        # (the screen's lines of that speaker go with it); the phone catches up afterwards
        relay.cut()
        await phone.wait_for_selector("#follow-lost", state="visible", timeout=6000)
        assert await phone.inner_text("#follow-lost") == "Đang kết nối lại…"
        await client.ok("POST", f"/api/conferences/{cid}/queue/commands", cmd("end", s["version"], turn_id=turn))
        await screen.wait_for_selector("#captions", state="hidden")
        relay.restore()
        await phone.wait_for_selector("#follow-lost", state="hidden", timeout=20000)
        await phone.wait_for_function("document.getElementById('follow-label').textContent === 'Chưa có người phát biểu'")
        assert await phone.is_hidden("#follow-captions")

        # the fullest screen still fits with the band: a phase, a two-line name with consent,
        # an interpreter's note, the clock and room for its warning
        worst = await worst_case(client)
        await screen.goto(f"{base}/display/{worst['cid']}?token={device['token']}")
        await screen.wait_for_selector("#qr-box:not([hidden])")
        await emit(app, "captions:state", state(worst["cid"], worst["turn"]), f"public:{worst['cid']}")
        await emit(app, "captions:line", line(worst["cid"], worst["turn"], 1, LONG_FINAL, False), f"public:{worst['cid']}")
        await screen.wait_for_selector("#caption-lines .cap-partial")
        band = await screen.evaluate(BAND)
        assert band["noteBottom"] <= band["nowBottom"] + 0.5 and band["nameLines"] == 2, band
        assert band["bottom"] <= band["noticeTop"] + 0.5 and not band["scrolls"], band
        assert band["nameSize"] >= 90 and band["clockSize"] >= 200, band  # still big texts
        await screen.screenshot(path=str(shots(tmp_path) / "captions-hall-fullest.png"))
        assert not errors, errors
    finally:
        await ctx.close()
        await screen.close()
        await relay.close()

    # a link that names no conference
    code, body = await client.call("GET", "/r/khong-co-hoi-nghi/theo-doi")
    assert code == 404 and "Không có hội nghị ở địa chỉ này." in body


async def recording(client) -> None:
    """The recorder writes from the first audio on: a turn must start after it."""
    for _ in range(100):
        if (await client.ok("GET", "/api/broadcast"))["recorder"]["state"] == "recording":
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the recorder did not start")


async def test_secretary_sees_the_live_text_and_the_cut_recording(browser, app_server, client, tmp_path):
    base, app = app_server
    await recording(client)
    s = await speaking(client)
    cid, turn = s["cid"], s["turn"]
    # a real socket.io client of the staff room: it hears the push the page reacts to
    heard: list[tuple[float, Any]] = []
    watcher = socketio.AsyncClient(reconnection=False)
    watcher.on("turn:recorded", lambda data: heard.append((time.monotonic(), data)))
    await watcher.connect(base, headers={"Cookie": session_cookie(client)}, transports=["websocket"])
    try:
        assert (await watcher.call("join", {"conference_id": cid}))["ok"]
        errors: list[str] = []
        page = await browser.new_page(viewport=TABLET)
        page.on("pageerror", lambda e: errors.append(str(e)))
        turn_lists: list[float] = []  # when the page asked for the turns again
        page.on("request", lambda r: turn_lists.append(time.monotonic())
                if r.url.endswith(f"/api/conferences/{cid}/turns") else None)
        await login(page, base, "admin")
        await page.goto(f"{base}/#/c/{cid}/secretary")
        await page.wait_for_selector("#live-state.held")  # joined the rooms
        await page.wait_for_selector("#turn-name:has-text('Nguyễn Văn Ấn')")

        staff = f"staff:{cid}"
        await emit(app, "captions:state", state(cid, turn), staff)
        await emit(app, "captions:line", line(cid, turn, 1, "Kính thưa chủ tọa, tôi xin phát biểu.", True), staff)
        await emit(app, "captions:line", line(cid, turn, 2, "về con đường liên", False), staff)
        await page.wait_for_selector("#live-text:not([hidden]) .cap-partial:has-text('về con đường liên')")
        await emit(app, "captions:line", line(cid, turn, 2, "Về con đường liên thôn số 3.", True), staff)
        await page.wait_for_selector("#live-lines .cap-final[data-seq='2']")
        assert await page.eval_on_selector_all("#live-lines .cap-line", "(e) => e.map((p) => p.textContent)") == [
            "Kính thưa chủ tọa, tôi xin phát biểu.", "Về con đường liên thôn số 3."]
        assert await page.eval_on_selector_all("#live-lines .cap-partial", "(e) => e.length") == 0
        assert await violations(page) == []
        await page.screenshot(path=str(shots(tmp_path) / "captions-secretary.png"), full_page=True)

        await vocabulary(page, client)
        await moderator_controls(browser, base, app, client, errors, tmp_path)

        # the secretary keeps this turn open; the moderator ends it: the live text goes (the
        # draft comes as the turn's transcript), the server tells the staff room at once when
        # the turn's recording is cut, and the player is there
        await page.click(f"#turn-list li[data-turn='{turn}'] button")
        await asyncio.sleep(1.0)  # the recorder has a second of this turn
        await client.ok("POST", f"/api/conferences/{cid}/queue/commands", cmd("end", s["version"], turn_id=turn))
        await page.wait_for_selector("#live-text", state="hidden")
        await page.wait_for_selector("#turn-recordings audio", timeout=15000)
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.1)
        assert heard and heard[0][1] == {"conference_id": cid, "turn_id": turn}, heard
        # the page acts on the push by itself (a long turn is cut well after the queue changed):
        # it asks for the turns again at once; a push of another conference changes nothing
        await page.wait_for_timeout(1000)
        asked = len(turn_lists)
        await emit(app, "turn:recorded", {"conference_id": cid + 1, "turn_id": "khac"}, staff)
        await page.wait_for_timeout(800)
        assert len(turn_lists) == asked, turn_lists
        await emit(app, "turn:recorded", {"conference_id": cid, "turn_id": turn}, staff)
        await page.wait_for_timeout(400)  # well before any periodic refresh
        assert len(turn_lists) == asked + 1, turn_lists
        queue = await client.ok("GET", f"/api/conferences/{cid}/queue")
        assert queue["version"] == s["version"] + 1  # no other change of the queue meanwhile
        assert not errors, errors
    finally:
        await watcher.disconnect()


async def moderator_controls(browser, base: str, app, client, errors: list[str], tmp_path: Path) -> None:
    """The queue page: the captions' state in Vietnamese, on/off, show while muted, hide the
    current turn (called, not yet speaking: the real recogniser is not needed here)."""
    s = await speaking(client, "Trần Thị Bình", "Thôn 2", start=False)
    cid, turn = s["cid"], s["turn"]
    tab = await browser.new_page(viewport=TABLET)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    await login(tab, base, "admin")
    await tab.goto(f"{base}/#/c/{cid}/queue")
    await tab.wait_for_selector("#q-version:not(:empty)")
    now = (await client.ok("GET", f"/api/conferences/{cid}/captions"))["state"]
    await tab.wait_for_function("(m) => document.getElementById('q-cap-message').textContent === m", arg=now["message"])
    assert await tab.is_hidden("#q-cap-enabled")  # closed: one line, the state and why
    await tab.click("#q-captions-box summary")
    assert now["message"] and await tab.is_checked("#q-cap-enabled") == now["enabled"]
    assert not await tab.is_checked("#q-cap-muted")

    # "show while muted", then hide this turn's captions: sent, kept by the server, shown back
    await tab.check("#q-cap-muted")
    for _ in range(50):
        if (await client.ok("GET", f"/api/conferences/{cid}/captions"))["state"]["show_when_muted"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("show_when_muted was not saved")
    await tab.click("#q-cap-hide")
    await tab.wait_for_selector("#q-cap-hide:has-text('Hiện lại phụ đề lượt này')")
    await tab.wait_for_selector("#q-cap-hidden:not([hidden])")
    assert (await client.ok("GET", f"/api/conferences/{cid}/captions"))["state"]["hidden_turn_id"] == turn
    await tab.click("#q-cap-hide")
    await tab.wait_for_selector("#q-cap-hide:has-text('Ẩn phụ đề lượt này')")
    assert (await client.ok("GET", f"/api/conferences/{cid}/captions"))["state"]["hidden_turn_id"] is None
    audit = await client.ok("GET", "/api/audit?action=captions.hide")
    assert [(a["action"], a["entity_id"]) for a in audit] == [("captions.hide", turn)] * 2, audit

    # the machine cannot keep up: the tablet (and only the tablet) says why, in Vietnamese
    await emit(app, "captions:state", state(cid, turn, mode="finals_only", show_when_muted=True,
                                            message="Máy đang bận: phụ đề chỉ hiện câu hoàn chỉnh."), f"public:{cid}")
    await tab.wait_for_selector("#q-cap-message:has-text('Máy đang bận: phụ đề chỉ hiện câu hoàn chỉnh.')")
    assert await tab.inner_text("#q-cap-mode") == "Chỉ hiện câu hoàn chỉnh"
    await tab.wait_for_function("document.getElementById('announce').textContent.includes('Máy đang bận')")
    assert await violations(tab) == []
    await tab.screenshot(path=str(shots(tmp_path) / "captions-tablet.png"))

    # off, then on again: the server keeps it; the box says so
    for on, mode in ((False, "Đang tắt"), (True, None)):
        await (tab.check if on else tab.uncheck)("#q-cap-enabled")
        for _ in range(50):
            if (await client.ok("GET", f"/api/conferences/{cid}/captions"))["state"]["enabled"] is on:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the captions were not turned {'on' if on else 'off'}")
        await tab.wait_for_function("(on) => document.getElementById('q-cap-enabled').checked === on", arg=on)
        if mode:
            await tab.wait_for_selector(f"#q-cap-mode:has-text('{mode}')")
    await tab.close()


async def vocabulary(page, client) -> None:
    """The commune's own words, on the secretary's page: saved, shown again; a refused list
    (a term too long) says why and changes nothing."""
    await page.click("#vocabulary-box summary")
    await page.wait_for_selector("#vocabulary:not([disabled])")  # the list in force first
    await page.fill("#vocabulary", "Buôn Đăk Rơ\n  Bon Bu Prăng  \n\nY Bih Niê")
    await page.click("#vocabulary-form button[type=submit]")
    await page.wait_for_function("document.getElementById('banner').textContent.includes('Đã lưu từ ngữ')")
    saved = await client.ok("GET", "/api/commune/vocabulary")
    assert saved["terms"] == ["Buôn Đăk Rơ", "Bon Bu Prăng", "Y Bih Niê"], saved
    assert await page.input_value("#vocabulary") == "Buôn Đăk Rơ\nBon Bu Prăng\nY Bih Niê"
    await page.fill("#vocabulary", "Buôn " + "A" * 200)
    await page.click("#vocabulary-form button[type=submit]")
    error = await page.wait_for_selector("#vocabulary-form .form-error")
    assert "100" in await error.inner_text() or "dài" in await error.inner_text(), await error.inner_text()
    assert (await client.ok("GET", "/api/commune/vocabulary"))["terms"] == saved["terms"]
