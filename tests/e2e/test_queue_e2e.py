"""The live speaking queue in real Chromium against a real `doithoai serve` subprocess.

A citizen registers on a phone-sized page, the moderator's tablet approves, calls and
starts the turn, the hall's public screen shows the masked name and a running countdown.
The public screen's connection is then really cut (a TCP relay between it and the server
drops every connection and refuses new ones); a change made meanwhile reaches it after the
link comes back. A second test runs two moderator tablets at once and checks they converge.
Screenshots go to $DOITHOAI_SCREENSHOTS when set (else the test's temporary folder).
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.e2e.conftest import login

CONF = {"title": "Hội nghị đối thoại với Nhân dân xã Đắk Nông quý IV năm 2026",
        "starts_at": "2026-12-18T08:00", "venue": "Hội trường UBND xã", "format": "in_person"}


class CuttableRelay:
    """A TCP relay on 127.0.0.1 in front of the server; `cut()` drops and refuses connections."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.open = True
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    def cut(self) -> None:
        self.open = False
        for w in list(self.writers):
            w.transport.abort()
        self.writers.clear()

    def restore(self) -> None:
        self.open = True

    async def close(self) -> None:
        self.cut()
        if self.server:
            self.server.close()


def shots_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("DOITHOAI_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


async def api_client(http: aiohttp.ClientSession, base: str) -> ApiClient:
    c = ApiClient(base, http)
    await c.login("admin2", ADMIN_PASSWORD)
    return c


def cmd(kind: str, base_version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": base_version, **kw}


def seconds(text: str) -> int:
    m = re.fullmatch(r"\+?(\d+):(\d\d)", text.strip())
    assert m, text
    return int(m[1]) * 60 + int(m[2])


async def waiting_ids(page) -> list[str]:
    return await page.eval_on_selector_all("#q-waiting li[data-turn]", "els => els.map(e => e.dataset.turn)")


async def test_phone_registration_to_public_screen_with_cut_connection(browser, live_server, tmp_path):
    shots = shots_dir(tmp_path)
    errors: list[str] = []
    async def admin_call(method: str, path: str, body: Any = None, status: int | None = None) -> Any:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            admin = await api_client(http, live_server.base)
            return await admin.ok(method, path, body, status=status)

    conf = await admin_call("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    dev = await admin_call("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"}, status=201)

    # a citizen registers on a phone (no account)
    phone = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    p = await phone.new_page()
    await p.goto(f"{live_server.base}/r/{conf['public_slug']}")
    await p.fill("input[name=display_name]", "Nguyễn Văn Ấn")
    await p.fill("input[name=hamlet]", "Thôn Đắk Hà")
    await p.fill("textarea[name=topic]", "Đường liên thôn xuống cấp")
    await p.click("button[type=submit]")
    await p.wait_for_selector("text=chờ người điều hành duyệt")
    await p.screenshot(path=str(shots / "phone-registered.png"))

    # the moderator's tablet approves, calls and starts
    tab_ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
    tab = await tab_ctx.new_page()
    tab.on("pageerror", lambda e: errors.append(f"tablet: {e}"))
    await login(tab, live_server.base)
    await tab.goto(f"{live_server.base}/#/c/{cid}/queue")
    await tab.locator("#q-pending .q-approve").click()
    await tab.wait_for_selector("#q-waiting li[data-turn]")
    assert "Nguyễn Văn Ấn" in await tab.inner_text("#q-waiting")
    await tab.click(".q-call-next")
    await tab.click(".q-start")
    await tab.wait_for_selector(".q-pause")

    # the public screen, through a relay that the test can cut
    relay = CuttableRelay(int(live_server.base.rsplit(":", 1)[1]))
    await relay.start()
    screen_ctx = await browser.new_context(viewport={"width": 1920, "height": 1080})
    screen = await screen_ctx.new_page()
    screen.on("pageerror", lambda e: errors.append(f"screen: {e}"))
    try:
        await screen.goto(f"http://127.0.0.1:{relay.port}/display/{cid}?token={dev['token']}")
        await screen.wait_for_function("document.getElementById('speaker-name').textContent === 'Nguyễn V. Ấ.'")
        assert await screen.inner_text("#speaker-place") == "Thôn Đắk Hà"
        await screen.wait_for_function("document.getElementById('title').textContent.includes('quý IV')")
        await screen.wait_for_selector("#qr-box:not([hidden])")
        await screen.wait_for_function("document.getElementById('qr').complete")
        assert await screen.evaluate("document.getElementById('qr').naturalWidth") > 100  # really drawn
        # the recording notice is always there; "broadcast live" follows the on-air switch
        assert await screen.is_visible("#notice")
        assert "ghi âm" in await screen.inner_text("#notice")
        await admin_call("POST", "/api/broadcast/on-air", {"on_air": True, "chime": False})
        await screen.wait_for_function(
            "document.getElementById('notice').textContent.includes('phát thanh trực tiếp')")
        first = seconds(await screen.inner_text("#clock"))
        assert 170 <= first <= 180, first
        await asyncio.sleep(2.3)
        second = seconds(await screen.inner_text("#clock"))
        assert first - 3 <= second <= first - 2, (first, second)
        assert await screen.get_attribute("#clock", "data-state") == "ok"
        # nothing scrolls at 1920x1080 and the big texts are big
        sizes = await screen.evaluate("""() => ({
            name: parseFloat(getComputedStyle(document.getElementById('speaker-name')).fontSize),
            clock: parseFloat(getComputedStyle(document.getElementById('clock')).fontSize),
            scrollH: document.documentElement.scrollHeight, scrollW: document.documentElement.scrollWidth})""")
        assert sizes["name"] >= 90 and sizes["clock"] >= 200, sizes
        assert sizes["scrollH"] <= 1080 and sizes["scrollW"] <= 1920, sizes
        assert await screen.evaluate("document.fonts.check('100px \"Be Vietnam Pro\"', 'Ấn Đắk')")
        # a public screen is never sent the staff view (full names, topics)
        keys = await screen.evaluate(
            f"window.displaySocket.emitWithAck('join', {{conference_id: {cid}}}).then(r => Object.keys(r))")
        assert "public" in keys and "staff" not in keys, keys
        assert "Đường liên thôn" not in await screen.inner_text("body")
        await screen.screenshot(path=str(shots / "display-speaking.png"))
        await tab.screenshot(path=str(shots / "tablet-speaking.png"))

        # extra time needs a reason; the screen's clock follows
        await tab.click(".q-extend[data-seconds='60']")
        await tab.fill("#q-ask input[name=reason]", "Người dân trình bày thêm giấy tờ")
        await tab.click("#q-ask .q-ok")
        await screen.wait_for_function("parseInt(document.getElementById('clock').textContent) >= 3")
        # the petition raised in this turn: recorded "during" the conference and linked to the turn
        await tab.select_option("#q-petition-form select[name=field_id]", index=0)
        await tab.fill("#q-petition-form textarea[name=content]", "Đề nghị sửa đường liên thôn Đắk Hà")
        await tab.click("#q-petition-form button[type=submit]")
        await tab.wait_for_function("document.getElementById('q-linked').textContent.includes('#')")
        pid = (await tab.inner_text("#q-linked")).split("#")[1].strip()
        petition = await admin_call("GET", f"/api/petitions/{pid}")
        assert petition["source"] == "during" and petition["raised_by"] == "Nguyễn Văn Ấn"
        assert petition["conference_id"] == cid

        # cut the screen's link; the moderator registers someone and pauses meanwhile
        relay.cut()
        await tab.click("#q-register-box summary")
        await tab.fill("#q-register input[name=display_name]", "Y Bih Niê")
        await tab.fill("#q-register input[name=hamlet]", "Bon Bu Prăng")
        await tab.check("#q-register input[name=needs_interpreter]")
        await tab.fill("#q-register input[name=language]", "M'Nông")
        await tab.click("#q-register button[type=submit]")
        await tab.wait_for_function("document.querySelectorAll('#q-waiting li[data-turn]').length === 1")
        await tab.click(".q-pause")
        await tab.wait_for_selector(".q-resume")
        paused_version = int((await tab.inner_text("#q-version")).split()[-1])
        # the screen says so only after 3 s, and still shows the old state
        await asyncio.sleep(1.0)
        assert await screen.is_hidden("#lost")
        await screen.wait_for_selector("#lost", state="visible", timeout=5000)
        assert await screen.get_attribute("#clock", "data-state") == "ok"
        await screen.screenshot(path=str(shots / "display-lost.png"))

        relay.restore()
        await screen.wait_for_selector("#lost", state="hidden", timeout=20000)
        await screen.wait_for_function("document.querySelector('#next li[data-turn]') !== null", timeout=10000)
        assert "Y B. N." in await screen.inner_text("#next")
        assert await screen.get_attribute("#clock", "data-state") == "paused"
        frozen = await screen.inner_text("#clock")
        await asyncio.sleep(1.2)
        assert await screen.inner_text("#clock") == frozen  # a paused clock does not run
        shown_version = await screen.evaluate("window.displaySocket.connected")
        assert shown_version
        assert paused_version >= 6
        await screen.screenshot(path=str(shots / "display-caught-up.png"))
        await tab.screenshot(path=str(shots / "tablet-paused.png"), full_page=True)
    finally:
        for ctx in (phone, tab_ctx, screen_ctx):  # close sockets before the server stops
            await ctx.close()
        await relay.close()
    assert not errors, errors


async def test_two_moderator_tablets_converge(browser, live_server, tmp_path):
    shots = shots_dir(tmp_path)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await api_client(http, live_server.base)
        conf = await admin.ok("POST", "/api/conferences", CONF, status=201)
        cid = conf["id"]
        path = f"/api/conferences/{cid}/queue/commands"
        names = [("Trần Thị Bình", "Thôn 1"), ("Lê Văn Cường", "Thôn 2"),
                 ("Phạm Thị Dung Nguyễn Hoàng Thuỳ Trang", "Tổ dân phố Thuận Hạnh 10")]
        for i, (name, hamlet) in enumerate(names):
            await admin.ok("POST", path, cmd("register_turn", i, display_name=name, hamlet=hamlet))

    pages = []
    for _ in range(2):
        ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
        page = await ctx.new_page()
        await login(page, live_server.base)
        await page.goto(f"{live_server.base}/#/c/{cid}/queue")
        await page.wait_for_function("document.querySelectorAll('#q-waiting li[data-turn]').length === 3")
        pages.append(page)
    a, b = pages
    before = await waiting_ids(a)

    # an answer turn for a petition goes before citizens (and is undone right away)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await api_client(http, live_server.base)
        field = (await admin.ok("GET", "/api/fields"))[0]
        pet = await admin.ok("POST", "/api/petitions", {
            "conference_id": cid, "raised_by": "Trần Thị Bình", "field_id": field["id"],
            "content": "Đề nghị cấp giấy chứng nhận quyền sử dụng đất"}, status=201)
    await a.click("#q-answer-box summary")  # opening it reads the petitions again
    await a.select_option("#q-answer select[name=petition_id]", str(pet["id"]))
    await a.fill("#q-answer input[name=official_name]", "Nguyễn Văn Chủ")
    await a.fill("#q-answer input[name=role]", "Chủ tịch UBND xã")
    await a.click("#q-answer button[type=submit]")
    await b.wait_for_function("document.querySelectorAll('#q-waiting li[data-turn]').length === 4")
    assert "trả lời KN" in await b.inner_text("#q-waiting li[data-turn]:first-child")
    await b.click("#q-undo")
    await b.fill("#q-ask input[name=reason]", "Chưa đến lúc trả lời")
    await b.click("#q-ask .q-ok")
    await a.wait_for_function("document.querySelectorAll('#q-waiting li[data-turn]').length === 3")
    assert await waiting_ids(a) == before
    assert before == await waiting_ids(b)

    # A drags the third row to the top with the pointer; a Move needs a reason
    handle = a.locator("#q-waiting li[data-turn] .q-handle").nth(2)
    top = a.locator("#q-waiting li[data-turn]").nth(0)
    hb, tb = await handle.bounding_box(), await top.bounding_box()
    await a.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    await a.mouse.down()
    for step in range(1, 11):
        await a.mouse.move(hb["x"] + hb["width"] / 2,
                           hb["y"] + (tb["y"] + 5 - hb["y"]) * step / 10)
    await a.mouse.up()
    await a.wait_for_selector("#q-ask")
    await a.click("#q-ask .q-ok")  # empty reason: refused in the dialog
    assert "lý do" in (await a.inner_text("#q-ask .form-error")).lower()
    await a.fill("#q-ask input[name=reason]", "Người cao tuổi, xin phát biểu trước")
    await a.click("#q-ask .q-ok")
    expected = [before[2], before[0], before[1]]
    await a.wait_for_function(f"[...document.querySelectorAll('#q-waiting li[data-turn]')].map(e => e.dataset.turn).join() === {','.join(expected)!r}")
    await b.wait_for_function(f"[...document.querySelectorAll('#q-waiting li[data-turn]')].map(e => e.dataset.turn).join() === {','.join(expected)!r}")
    assert "Người cao tuổi" in await b.inner_text("#q-history")

    # both press "call next" at the same moment: one call is applied, the other refused
    # (a click in the page itself: the other tablet's button may already be gone when it runs)
    press = "(() => { const b = document.querySelector('.q-call-next'); if (b) b.click(); return !!b; })()"
    pressed = await asyncio.gather(a.evaluate(press), b.evaluate(press))
    assert any(pressed)
    for page in pages:
        await page.wait_for_selector(".q-start")
        assert "null" not in await page.inner_text("#q-current")  # no topic: nothing shown
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await api_client(http, live_server.base)
        state = await admin.ok("GET", f"/api/conferences/{cid}/queue")
    calls = [e for e in state["state"]["history"] if e["command"] == "call_next"]
    assert len(calls) == 1 and state["state"]["current_turn_id"] == expected[0]
    version = state["version"]
    for page in pages:
        await page.wait_for_function(f"document.getElementById('q-version').textContent.endsWith(' {version}')")
        assert await waiting_ids(page) == expected[1:]
    # the refused tablet says why (a version conflict, or the floor already taken)
    banners = [await page.evaluate("document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent")
               for page in pages]
    assert any(banners) or len(calls) == 1

    # undo asks for a reason and is seen by both
    await b.click("#q-undo")
    await b.fill("#q-ask input[name=reason]", "Bấm nhầm")
    await b.click("#q-ask .q-ok")
    await b.wait_for_selector("#q-ask", state="detached")
    for page in pages:
        await page.wait_for_selector(".q-call-next")
        await page.wait_for_function(f"document.getElementById('q-version').textContent.endsWith(' {version + 1}')")
    assert "Bấm nhầm" in await a.inner_text("#q-history")
    await a.screenshot(path=str(shots / "tablet-two.png"), full_page=True)
    for page in pages:
        await page.context.close()

    # portrait (10-inch tablet turned): one column, no sideways scrolling, big touch targets
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await api_client(http, live_server.base)
        person = await admin.ok("POST", f"/api/conferences/{cid}/participants", {
            "full_name": "Nguyễn Thị Phương Thảo Nguyên Khánh", "kind": "citizen",
            "hamlet": "Tổ dân phố Thuận Hạnh 10"}, status=201)
        await admin.ok("POST", f"/api/conferences/{cid}/participants/{person['id']}/check-in",
                       {"checked_in": True})
    ctx = await browser.new_context(viewport={"width": 800, "height": 1280}, has_touch=True)
    page = await ctx.new_page()
    await login(page, live_server.base)
    await page.goto(f"{live_server.base}/#/c/{cid}/queue")
    # desk registration by picking a checked-in participant
    await page.click("#q-register-box summary")
    await page.select_option("#q-register select[name=participant_id]", str(person["id"]))
    assert await page.input_value("#q-register input[name=display_name]") == person["full_name"]
    await page.fill("#q-register input[name=topic]", "Đề nghị " * 40)
    await page.click("#q-register button[type=submit]")
    await page.wait_for_function("document.querySelectorAll('#q-waiting li[data-turn]').length === 4")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await api_client(http, live_server.base)
        turns = (await admin.ok("GET", f"/api/conferences/{cid}/queue"))["state"]["turns"]
    assert turns[-1]["person_key"] == f"participant:{person['id']}"
    await page.click("#q-register-box summary")  # fold it again for the layout checks
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 800, width
    buttons = await page.eval_on_selector_all(
        ".q-actions button, .q-big", "els => els.map(e => e.getBoundingClientRect().height)")
    assert buttons and min(buttons) >= 48, buttons
    # the line comes right after the current speaker, the history last
    tops = await page.evaluate("""['q-current', 'q-waiting-box', 'q-history-box'].map(
        id => document.getElementById(id).getBoundingClientRect().top)""")
    assert tops == sorted(tops), tops
    await page.screenshot(path=str(shots / "tablet-portrait.png"), full_page=True)
    await ctx.close()


async def test_turns_set_aside_beyond_the_view_come_on_request(browser, live_server):
    """The view carries the last ten turns set aside; the tablet offers the rest of the
    day's and can bring the oldest one back into the line."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await api_client(http, live_server.base)
        conf = await admin.ok("POST", "/api/conferences", CONF, status=201)
        cid = conf["id"]
        path = f"/api/conferences/{cid}/queue/commands"
        version = 0
        for i in range(13):
            reply = await admin.ok("POST", path, cmd("register_turn", version,
                                                     display_name=f"Người vắng {chr(65 + i)}",
                                                     hamlet="Thôn 4"))
            reply = await admin.ok("POST", path, cmd("call_next", reply["version"]))
            turn = (await admin.ok("GET", f"/api/conferences/{cid}/queue"))["state"]["current_turn_id"]
            reply = await admin.ok("POST", path, cmd("skip", reply["version"], turn_id=turn,
                                                     reason="Không có mặt"))
            version = reply["version"]
        view = await admin.ok("GET", f"/api/conferences/{cid}/queue")
        assert view["state"]["earlier_aside_turns"] == 3
        assert sum(t["status"] == "skipped" for t in view["state"]["turns"]) == 10
        whole = await admin.ok("GET", f"/api/conferences/{cid}/queue?aside=all")
        assert sum(t["status"] == "skipped" for t in whole["state"]["turns"]) == 13
        code, body = await admin.call("GET", f"/api/conferences/{cid}/queue?aside=some")
        assert code == 422 and body["error"]["fields"][0]["field"] == "aside", body

    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
    page = await ctx.new_page()
    await login(page, live_server.base)
    await page.goto(f"{live_server.base}/#/c/{cid}/queue")
    more = page.locator("#q-aside .q-more-aside")
    await more.wait_for()
    assert "3 lượt" in await more.inner_text()
    assert await page.locator("#q-aside li[data-turn]").count() == 10
    assert "Người vắng A" not in await page.inner_text("#q-aside")
    await more.click()
    await page.wait_for_function("document.querySelectorAll('#q-aside li[data-turn]').length === 13")
    assert await more.count() == 0
    oldest = page.locator("#q-aside li[data-turn]", has_text="Người vắng A")
    await oldest.locator(".q-requeue").click()
    await page.wait_for_function("document.querySelectorAll('#q-waiting li[data-turn]').length === 1")
    assert "Người vắng A" in await page.inner_text("#q-waiting")
    await page.wait_for_function("document.querySelectorAll('#q-aside li[data-turn]').length === 12")
    await ctx.close()
