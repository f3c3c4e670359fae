"""The speaking queue over real socket.io clients, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime
from typing import Any

import aiohttp
import socketio
from aiohttp import web
from yarl import URL

from server.app import Config, create_app
from server.keys import CONFIG, SESSIONMAKER
from tests.conftest import ApiClient, free_port
from tests.server.test_record_api import CONF


class Watcher:
    """A socket.io client that keeps the last queue:state / queue:public it was sent."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.state: dict[str, Any] | None = None
        self.public: dict[str, Any] | None = None
        self.changed = asyncio.Event()
        self.sio.on("queue:state", self._on_state)
        self.sio.on("queue:public", self._on_public)

    async def _on_state(self, data: dict[str, Any]) -> None:
        self.state = data
        self.changed.set()

    async def _on_public(self, data: dict[str, Any]) -> None:
        self.public = data
        self.changed.set()

    async def connect(self, base: str, *, cookie: str | None = None, token: str | None = None) -> None:
        headers = {"Cookie": cookie} if cookie else {}
        await self.sio.connect(base, headers=headers, auth={"token": token} if token else None,
                               transports=["websocket"], wait_timeout=5)

    async def wait_public(self, predicate, timeout: float = 5.0) -> dict[str, Any]:
        async def loop() -> dict[str, Any]:
            while not (self.public and predicate(self.public)):
                self.changed.clear()
                await self.changed.wait()
            return self.public

        return await asyncio.wait_for(loop(), timeout)

    async def wait_state(self, predicate, timeout: float = 5.0) -> dict[str, Any]:
        async def loop() -> dict[str, Any]:
            while not (self.state and predicate(self.state)):
                self.changed.clear()
                await self.changed.wait()
            return self.state

        return await asyncio.wait_for(loop(), timeout)


def session_cookie(client: ApiClient) -> str:
    cookies = client.http.cookie_jar.filter_cookies(URL(client.base))
    return "; ".join(f"{k}={v.value}" for k, v in cookies.items())


def cmd(kind: str, base_version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": base_version, **kw}


async def test_phone_registration_approval_call_and_public_screen(client: ApiClient, anon: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    await client.ok("POST", f"/api/conferences/{cid}/announce")
    dev = await client.ok("POST", "/api/devices", {"name": "Màn hình", "kind": "display"}, status=201)
    moderator, screen = Watcher(), Watcher()
    await moderator.connect(client.base, cookie=session_cookie(client))
    await screen.connect(client.base, token=dev["token"])
    try:
        joined = await moderator.sio.call("join", {"conference_id": cid})
        assert joined["ok"] and joined["staff"]["version"] == 0
        shown = await screen.sio.call("join", {"conference_id": cid})
        assert shown["ok"] and "staff" not in shown and shown["public"]["current"] is None

        # a citizen registers on the phone form (no account, no JavaScript)
        slug = conf["public_slug"]
        status, page = await anon.call("GET", f"/r/{slug}")
        assert status == 200 and "ĐĂNG KÝ PHÁT BIỂU" in page
        async with anon.http.post(f"{anon.base}/r/{slug}", data={"display_name": "", "hamlet": ""}) as r:
            assert r.status == 422 and "Vui lòng nhập họ và tên" in await r.text()
        async with anon.http.post(f"{anon.base}/r/{slug}", data={
                "display_name": "Nguyễn Văn Ấn", "hamlet": "Thôn 3", "topic": "Đường liên thôn"}) as r:
            assert r.status == 200 and "chờ người điều hành duyệt" in await r.text()
        state = await moderator.wait_state(lambda s: s["version"] == 1)
        turn = state["state"]["turns"][0]
        assert turn["status"] == "pending_approval" and turn["source"] == "qr"

        # approve, call, start: the screen shows the masked name and a running timer
        for kind in ("approve_turn",):
            ack = await moderator.sio.call("queue:command", {"conference_id": cid,
                                           **cmd(kind, 1, turn_id=turn["id"])})
            assert ack["ok"], ack
        ack = await moderator.sio.call("queue:command", {"conference_id": cid, **cmd("call_next", 2)})
        assert ack == {"ok": True, "version": 3, "duplicate": False}
        start = cmd("start", 3, turn_id=turn["id"])
        ack = await moderator.sio.call("queue:command", {"conference_id": cid, **start})
        assert ack["ok"] and ack["version"] == 4
        # the same command sent twice is applied once
        again = await moderator.sio.call("queue:command", {"conference_id": cid, **start})
        assert again == {"ok": True, "version": 4, "duplicate": True}
        public = await screen.wait_public(lambda p: p["version"] == 4)
        assert public["current"]["name"] == "Nguyễn V. Ấ. - Thôn 3"
        assert public["timer"]["running"] and public["timer"]["allowed"] == 180
        assert "phone" not in str(public) and "Đường liên thôn" not in str(public)

        # a command based on an old version that conflicts is refused with a message
        stale = await moderator.sio.call("queue:command", {"conference_id": cid, **cmd("call_next", 2)})
        assert not stale["ok"] and stale["error"]["code"] == "version_conflict"
        assert stale["error"]["message"]
        # junk is refused and the server keeps going
        for junk in ("x", {"conference_id": cid, "type": "launch"}, {"type": "call_next"},
                     {"conference_id": cid, **cmd("pause", 4, turn_id="nope")}):
            bad = await moderator.sio.call("queue:command", junk)
            assert not bad["ok"] and bad["error"]["message"], junk
        # a public screen cannot command
        denied = await screen.sio.call("queue:command", {"conference_id": cid, **cmd("call_next", 4)})
        assert not denied["ok"] and denied["error"]["code"] == "forbidden"
        # undo needs a reason and restores the previous version's turns
        undo = await moderator.sio.call("queue:command", {"conference_id": cid,
                                        **cmd("undo", 4, reason="Bấm nhầm")})
        assert undo["ok"]
        state = await moderator.wait_state(lambda s: s["version"] == 5)
        assert state["state"]["turns"][0]["status"] == "called"
        assert state["state"]["history"][-1]["reason"] == "Bấm nhầm"
    finally:
        await moderator.sio.disconnect()
        await screen.sio.disconnect()


async def test_unauthenticated_socket_is_refused(app_server):
    base, _ = app_server
    w = Watcher()
    refusals: list = []
    w.sio.on("connect_error", lambda data: refusals.append(data))
    try:
        await w.connect(base)
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await w.sio.disconnect()
        raise AssertionError("connected without credentials")
    assert refusals and refusals[0]["data"]["code"] == "unauthenticated"
    assert refusals[0]["message"] == refusals[0]["data"]["message"] == \
        "Cần đăng nhập hoặc mã thiết bị hợp lệ."


async def test_restart_restores_queue_and_running_timer(db_url, tmp_path):
    async def start_app() -> tuple[web.AppRunner, str]:
        app = create_app(Config(data_dir=tmp_path / "d", db_url=db_url))
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner, f"http://127.0.0.1:{port}"

    runner, base = await start_app()
    async with runner.app[SESSIONMAKER]() as db, db.begin():
        from sqlalchemy import select

        from server.auth import hash_password
        from server.db.models import User

        admin = (await db.execute(select(User))).scalar_one()
        admin.password_hash = hash_password("mat-khau-123")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = ApiClient(base, http)
        await c.login("admin", "mat-khau-123")
        conf = await c.ok("POST", "/api/conferences", CONF, status=201)
        qpath = f"/api/conferences/{conf['id']}/queue/commands"
        await c.ok("POST", qpath, cmd("register_turn", 0, display_name="Trần Thị Bé", hamlet="Bon A"))
        await c.ok("POST", qpath, cmd("call_next", 1))
        turn_id = (await c.ok("GET", f"/api/conferences/{conf['id']}/queue"))["state"]["current_turn_id"]
        await c.ok("POST", qpath, cmd("start", 2, turn_id=turn_id))
        await asyncio.sleep(1.2)
        before = await c.ok("GET", f"/api/conferences/{conf['id']}/queue")
    await runner.cleanup()

    runner, base = await start_app()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            c = ApiClient(base, http)
            await c.login("admin", "mat-khau-123")
            after = await c.ok("GET", f"/api/conferences/{conf['id']}/queue")
        assert after["state"] == before["state"]
        t0 = datetime.fromisoformat(before["server_time"])
        t1 = datetime.fromisoformat(after["server_time"])
        # the timer kept running through the restart: elapsed grew by the wall-clock time
        grown = after["timer"]["elapsed"] - before["timer"]["elapsed"]
        assert abs(grown - (t1 - t0).total_seconds()) < 0.05
        assert after["timer"]["running"] and after["timer"]["elapsed"] >= 1.2
    finally:
        await runner.cleanup()


async def test_registration_counts_phones_not_addresses(client: ApiClient, anon: ApiClient):
    """Phones behind one router all register; one phone is limited; a client that never
    keeps the cookie is stopped sooner."""
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    url = f"{anon.base}/r/{conf['public_slug']}"
    # ten phones on one address (one NAT): each opened the form, so each has its cookie
    for i in range(10):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
            async with phone.get(url) as r:
                assert r.status == 200
            async with phone.post(url, data={"display_name": f"Người {i}", "hamlet": "Thôn 1"}) as r:
                assert r.status == 200 and "chờ người điều hành duyệt" in await r.text()
    # one phone: three registrations, then refused
    codes = []
    async with anon.http.get(url) as r:
        assert r.status == 200
    for i in range(4):
        async with anon.http.post(url, data={"display_name": f"Khách {i}", "hamlet": "Thôn 2"}) as r:
            codes.append(r.status)
    assert codes == [200, 200, 200, 429]
    # a flood without cookies (a forged one counts as none)
    codes = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as flood:
        for i in range(7):
            async with flood.post(url, data={"display_name": f"Lũ {i}", "hamlet": "Thôn 9"},
                                  headers={"Cookie": "doithoai_device=gia.mao"}) as r:
                codes.append(r.status)
    assert codes == [200] * 5 + [429] * 2
    status, svg = await anon.call("GET", f"/r/{conf['public_slug']}/qr.svg")
    assert status == 200 and re.search(r"<svg", svg)


async def test_a_phone_follows_and_withdraws_its_own_registration(client: ApiClient,
                                                                   anon: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid, url = conf["id"], f"{anon.base}/r/{conf['public_slug']}"
    async with anon.http.post(url, data={"display_name": "Hoàng Thị Mai", "hamlet": "Thôn 3"}) as r:
        page = await r.text()
        mine = str(r.url)
    assert re.search(r"/t/qr-[0-9a-f]{16}/[0-9a-f]{24}$", mine), mine
    assert "chờ người điều hành duyệt" in page
    code = re.search(r'id="phone-code">([A-Z0-9]{4})<', page).group(1)
    turn_id = mine.split("/t/")[1].split("/")[0]
    # the moderator approves: the phone learns its place in line
    staff = await client.ok("GET", f"/api/conferences/{cid}/queue")
    await client.ok("POST", f"/api/conferences/{cid}/queue/commands",
                    cmd("approve_turn", staff["version"], turn_id=turn_id))
    status = await anon.ok("GET", mine.replace(anon.base, "") + ".json")
    assert status["status"] == "waiting" and status["place"] == 1 and status["code"] == code
    assert status["message"] == "Đăng ký đã được duyệt. Bạn là người phát biểu tiếp theo."
    # a wrong token shows nothing, and cannot withdraw
    forged = mine[:-1] + ("0" if mine[-1] != "0" else "1")
    async with anon.http.get(forged + ".json") as r:
        assert r.status == 404
    async with anon.http.post(forged + "/withdraw") as r:
        assert r.status == 404
    # "Rút đăng ký"
    async with anon.http.post(mine + "/withdraw") as r:
        assert r.status == 200 and "Bạn đã rút đăng ký." in await r.text()
    staff = await client.ok("GET", f"/api/conferences/{cid}/queue")
    assert [t["status"] for t in staff["state"]["turns"]] == ["withdrawn"]
    # a phone cannot withdraw anyone else's turn through the queue commands
    await client.ok("POST", f"/api/conferences/{cid}/queue/commands",
                    cmd("register_turn", staff["version"], display_name="Lê Văn Hải",
                        hamlet="Thôn 1"))
    status = await anon.ok("GET", mine.replace(anon.base, "") + ".json")
    assert status["can_withdraw"] is False


async def test_registration_link_is_reachable_from_phones(client: ApiClient, app_server):
    from server.net import lan_addresses

    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    info = await client.ok("GET", f"/api/conferences/{conf['id']}/registration")
    lan = lan_addresses()
    port = client.base.rsplit(":", 1)[1]
    host = lan[0] if lan else "127.0.0.1"
    assert info["url"] == f"http://{host}:{port}/r/{conf['public_slug']}"
    _, app = app_server
    app[CONFIG].public_url = "http://hoitruong.local:8080/"
    info = await client.ok("GET", f"/api/conferences/{conf['id']}/registration")
    assert info["url"] == f"http://hoitruong.local:8080/r/{conf['public_slug']}"
