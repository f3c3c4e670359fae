"""The page contract of the tablet app in real Chromium: each page has its own title; moving
between pages (links, the Back button, a page left before it has loaded) closes what the
page opened — socket.io connections, intervals, listeners on window — and nothing is
logged as an error."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.e2e.conftest import login
from tests.server.test_record_api import CONF

# Counted inside the page from its first script: intervals not cleared, listeners on window.
COUNTERS = """(() => {
  const intervals = new Set();
  const setI = window.setInterval, clearI = window.clearInterval, clearT = window.clearTimeout;
  window.setInterval = (...args) => { const id = setI.apply(window, args); intervals.add(id); return id; };
  window.clearInterval = (id) => { intervals.delete(id); return clearI.call(window, id); };
  window.clearTimeout = (id) => { intervals.delete(id); return clearT.call(window, id); };
  const listeners = new Map();
  const add = window.addEventListener, remove = window.removeEventListener;
  const key = (type, o) => `${type}:${typeof o === "boolean" ? o : !!(o && o.capture)}`;
  window.addEventListener = (type, fn, o) => {
    if (!(o && o.once)) {
      if (!listeners.has(key(type, o))) listeners.set(key(type, o), new Set());
      listeners.get(key(type, o)).add(fn);
    }
    return add.call(window, type, fn, o);
  };
  window.removeEventListener = (type, fn, o) => {
    if (listeners.has(key(type, o))) listeners.get(key(type, o)).delete(fn);
    return remove.call(window, type, fn, o);
  };
  window.openedByPages = () => ({ intervals: intervals.size,
    listeners: Object.fromEntries([...listeners].filter(([, s]) => s.size).map(([k, s]) => [k, s.size])) });
})();"""


async def test_pages_close_what_they_open_and_each_has_a_title(browser, live_server):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        api = ApiClient(live_server.base, http)
        await api.login("admin2", ADMIN_PASSWORD)
        cid = (await api.ok("POST", "/api/conferences", CONF, status=201))["id"]
        field = (await api.ok("GET", "/api/fields"))[0]
        pid = (await api.ok("POST", "/api/petitions", {
            "conference_id": cid, "raised_by": "Nguyễn Văn Ấn", "field_id": field["id"],
            "content": "Đường thôn 3 xuống cấp"}, status=201))["id"]

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.add_init_script(COUNTERS)
    sockets: set = set()  # socket.io connections open now, as the browser sees them

    def opened(ws) -> None:
        if "/socket.io/" in ws.url:
            sockets.add(ws)
            ws.on("close", lambda _: sockets.discard(ws))

    page.on("websocket", opened)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    await login(page, live_server.base)
    # from here on (the login page's 401 from /api/session is expected) nothing may fail
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    async def show(path: str, title: str, ready: str) -> None:
        await page.goto(f"{live_server.base}/#{path}")
        await until_shown(title, ready)

    async def until_shown(title: str, ready: str) -> None:
        await page.wait_for_function("t => document.title === t", arg=f"{title} — Đối Thoại")
        await page.wait_for_selector(f"#view:not([aria-busy]) {ready}", state="attached")

    async def open_sockets(n: int) -> None:
        for _ in range(100):
            if len(sockets) == n:
                return
            await asyncio.sleep(0.1)
        assert len(sockets) == n, [ws.url for ws in sockets]

    # every page sets its own title
    titles = {
        "/plan/2026": ("Kế hoạch hội nghị", "h1:has-text('2026')"),
        "/search": ("Tìm kiếm", "input[name=q]"),
        "/admin": ("Quản trị", "#commune-form"),
        "/broadcast": ("Phát thanh trực tiếp", "#onair-toggle"),
        f"/c/{cid}": ("Hội nghị", "#participants"),
        f"/c/{cid}/queue": ("Điều hành phát biểu", "#q-waiting"),
        f"/c/{cid}/secretary": ("Thư ký hội nghị", "#turn-list"),
        f"/c/{cid}/followup": ("Sau hội nghị", "#conference-deadlines"),
        f"/p/{pid}": ("Hồ sơ kiến nghị", "h1:has-text('Kiến nghị số')"),
        "/deadlines": ("Thời hạn cần xử lý", "h1"),
        "/overview/2026": ("Tổng hợp", "#overview-totals"),
        "/calendar/2026": ("Lịch làm việc", "#special-days"),
        "/khong-co": ("Không tìm thấy trang", "a[href='#/']"),
    }
    for path, (title, ready) in titles.items():
        await show(path, title, ready)
    assert len({title for title, _ in titles.values()}) == len(titles)

    plan = ("Kế hoạch hội nghị", "h1:has-text('2026')")
    queue = ("Điều hành phát biểu", "#q-version:not(:empty)")
    secretary = ("Thư ký hội nghị", "#live-state:has-text('trực tiếp')")
    broadcast = ("Phát thanh trực tiếp", "#onair-toggle")
    await show("/plan/2026", *plan)
    await open_sockets(0)
    baseline = await page.evaluate("openedByPages()")

    for _ in range(3):
        await show(f"/c/{cid}/queue", *queue)
        await open_sockets(1)
        await show(f"/c/{cid}/secretary", *secretary)
        await open_sockets(1)
        await show("/broadcast", *broadcast)
        await open_sockets(1)
        for back in (secretary, queue, plan):  # the Back button, page by page
            await page.go_back()
            await until_shown(*back)
        await open_sockets(0)
        assert await page.evaluate("openedByPages()") == baseline
        assert await page.evaluate("document.querySelectorAll('#view').length") == 1

    # a page left while it is still loading is closed as soon as it has loaded
    held = asyncio.Event()

    async def hold(route):
        await held.wait()
        await route.continue_()

    await page.route(f"**/api/conferences/{cid}/registration", hold)  # the queue page waits for it
    await page.goto(f"{live_server.base}/#/c/{cid}/queue")
    await page.wait_for_timeout(300)
    await show("/plan/2026", *plan)
    held.set()
    await page.wait_for_timeout(1500)
    await open_sockets(0)
    assert await page.evaluate("openedByPages()") == baseline
    assert "Điều hành phát biểu" not in await page.inner_text("#view")
    await page.unroute(f"**/api/conferences/{cid}/registration")

    assert not problems, problems
