"""A province shares more than the queue: two `doithoai serve` processes on one PostgreSQL
database and Redis (the first with the hall's audio, the second without), real HTTP and
socket.io clients on each.

- The broadcast: the process without audio shows the audio process's state at once,
  and a control sent to it reaches the audio process.
- Logging out, locking an account and changing a password reach the other process at
  once, not when its remembered logins expire.
- The login limit counts the tries made on both processes together.

The pure parts (the owner's status going stale, refusals carried back) are checked on
their own first.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from server.broadcasting.province import FRESH_S, OwnerStatus, error_from
from server.domain.errors import Forbidden, Invalid, Unavailable
from server.login_limits import RedisLimits
from tests.conftest import create_pg_database, drop_pg_database, free_port
from tests.server.test_province import REDIS, _wait

ROOT = Path(__file__).resolve().parents[2]


# ---- pure parts ------------------------------------------------------------------------------


def test_owner_status_is_shown_while_fresh():
    now = [100.0]
    heard = OwnerStatus(clock=lambda: now[0])
    assert heard.current() is None  # nothing heard yet
    heard.keep({"on_air": True})
    now[0] += FRESH_S - 0.1
    assert heard.current() == {"on_air": True}
    now[0] += 0.2  # the owner stopped saying it (killed): no longer shown
    assert heard.current() is None
    heard.keep({"on_air": False})
    assert heard.current() == {"on_air": False}
    heard.keep(None)  # the owner stopped cleanly
    assert heard.current() is None


def test_refusal_from_the_owner_keeps_its_kind():
    err = error_from({"kind": "forbidden", "code": "forbidden", "message": "Không được."})
    assert isinstance(err, Forbidden) and err.message == "Không được."
    err = error_from({"kind": "unavailable", "code": "broadcast_unavailable", "message": "x"})
    assert isinstance(err, Unavailable)
    err = error_from({"kind": "invalid", "code": "bad", "message": "m",
                      "fields": [{"field": "on_air", "code": "bad", "message": "m"}]})
    assert isinstance(err, Invalid) and err.fields[0]["field"] == "on_air"


async def test_redis_login_limits_share_one_window():
    """Two limiters on one Redis with the same prefix count together; another prefix
    (another province) does not; the window slides by Redis's clock; reset clears."""
    prefix = f"doithoai:test-{uuid.uuid4().hex[:8]}"
    a = RedisLimits(REDIS, prefix, limit=3, window_s=1.0)
    b = RedisLimits(REDIS, prefix, limit=3, window_s=1.0)
    other = RedisLimits(REDIS, prefix + "-khac", limit=3, window_s=1.0)
    key = ("10.3.0.1", "admin")
    try:
        for lim in (a, b, a):
            assert await lim.allow(key)
            await lim.fail(key)
        assert not await a.allow(key) and not await b.allow(key)
        assert await b.allow(key, limit=4)  # a wider key's own limit
        assert await other.allow(key)
        await asyncio.sleep(1.1)  # the failures left the window
        assert await b.allow(key)
        await a.fail(key)
        await b.reset(key)
        assert await a.allow(key) and await a.allow(key, limit=1)
    finally:
        for lim in (a, b, other):
            await lim.close()


async def test_login_limits_count_here_while_redis_is_away():
    away = RedisLimits(f"redis://127.0.0.1:{free_port()}/0", "doithoai:away", limit=2)
    try:
        for _ in range(2):
            assert await away.allow(("10.3.0.2", "admin"))
            await away.fail(("10.3.0.2", "admin"))
        assert not await away.allow(("10.3.0.2", "admin"))
    finally:
        await away.close()


async def test_outbox_keeps_the_order_and_does_not_wait_for_redis():
    """Messages put on the outbox at once reach Redis in the order they were put, in
    pipelines; putting one never waits for Redis; a waiting `tell` learns it was taken."""
    import redis.asyncio as aioredis

    from server.fanout import ProvinceManager

    channel = f"doithoai:test-{uuid.uuid4().hex[:8]}"
    manager = ProvinceManager(REDIS, channel)
    listener = aioredis.Redis.from_url(REDIS)
    sub = listener.pubsub(ignore_subscribe_messages=True)
    await sub.subscribe(channel)
    try:
        for n in range(300):
            await manager.relay("queue:public", {"version": n}, f"public:{n % 7}")
        assert await manager.tell("accounts", {"commune_id": 1}, wait=True) is True
        got = []
        deadline = time.monotonic() + 10
        while len(got) < 301 and time.monotonic() < deadline:
            m = await sub.get_message(timeout=1.0)
            if m is not None:
                got.append(json.loads(m["data"]))
        assert [g["data"][0].get("version") for g in got[:300]] == list(range(300))
        assert got[300]["event"] == "accounts" and got[300]["room"] == "doithoai:servers"
    finally:
        await sub.aclose()
        await listener.aclose()
        await manager.close()


async def test_a_redis_that_does_not_answer_holds_up_no_command():
    """A server that takes the connection and never answers: relaying returns at once;
    a `tell` that waits learns after PUBLISH_TIMEOUT that it was not taken."""
    from server.fanout import ProvinceManager

    held: list[asyncio.StreamWriter] = []

    async def silent(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        held.append(w)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    manager = ProvinceManager(f"redis://127.0.0.1:{port}/0", "doithoai:silent")
    manager.PUBLISH_TIMEOUT = 0.5
    try:
        t0 = time.monotonic()
        for n in range(50):
            await manager.relay("queue:public", {"version": n}, "public:1")
        assert time.monotonic() - t0 < 0.4  # nothing waited for the silent server
        assert await manager.tell("accounts", {"commune_id": 1}, wait=True) is False
    finally:
        await manager.close()
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


# ---- two processes --------------------------------------------------------------------------


@dataclass
class Pair:
    db_url: str
    ports: list[int]
    procs: list[subprocess.Popen]
    logs: list[Path]
    password: str

    def base(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Process 0 captures the hall's audio (a tone); process 1 has none."""
    db_url = create_pg_database()
    data = tmp_path_factory.mktemp("province-shared")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    ports = [free_port(), free_port()]
    logs = [data / f"server-{i}.log" for i in range(2)]
    procs: list[subprocess.Popen] = []
    try:
        for i, (port, log) in enumerate(zip(ports, logs, strict=True)):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
                 str(port), "--data-dir", str(data), "--db", db_url, "--redis", REDIS,
                 "--lease-seconds", "5", "--audio-source", "tone:440" if i == 0 else "none"],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT))
        for port, proc, log in zip(ports, procs, logs, strict=True):
            _wait(port, proc, log)
        passwords = [m for log in logs for m in re.findall(
            r"administrator: admin\s+mật khẩu / password: (\S+)", log.read_text())]
        assert len(passwords) == 1, passwords
        yield Pair(db_url, ports, procs, logs, passwords[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        drop_pg_database(db_url)


class Session:
    """One login, its cookie sent by hand to either process (no cookie jar: a logout's
    answer must not take the cookie away from the test)."""

    def __init__(self, p: Pair, http: aiohttp.ClientSession, address: str = "10.1.0.1") -> None:
        self.p, self.http, self.address = p, http, address
        self.cookie = ""
        self.csrf = ""

    async def call(self, i: int, method: str, path: str, body: Any = None
                   ) -> tuple[int, Any]:
        headers = {"X-Real-IP": self.address}
        if self.cookie:
            headers["Cookie"] = f"doithoai_session={self.cookie}"
            headers["X-CSRF-Token"] = self.csrf
        async with self.http.request(method, self.p.base(i) + path, json=body,
                                     headers=headers) as r:
            data = await r.json() if r.content_type == "application/json" else await r.text()
            if method == "POST" and path == "/api/session" and r.status == 200:
                self.cookie = r.cookies["doithoai_session"].value
                self.csrf = data["csrf_token"]
            return r.status, data

    async def login(self, username: str, password: str, i: int = 0) -> None:
        status, body = await self.call(i, "POST", "/api/session",
                                       {"username": username, "password": password})
        assert status == 200, body

    async def ok(self, i: int, method: str, path: str, body: Any = None) -> Any:
        status, data = await self.call(i, method, path, body)
        assert status in (200, 201), (status, data)
        return data


async def _refused_soon(s: Session, i: int, within: float = 2.0) -> float:
    """Seconds until process i refuses the session (401); fails after ``within``."""
    t0 = time.monotonic()
    while True:
        status, _ = await s.call(i, "GET", "/api/session")
        if status == 401:
            return time.monotonic() - t0
        assert status == 200
        assert time.monotonic() - t0 < within, f"process {i} still accepts the session"
        await asyncio.sleep(0.02)


async def _user(admin: Session, username: str, role: str = "moderator") -> int:
    body = await admin.ok(0, "POST", "/api/users", {
        "username": username, "full_name": "Lò Thị Thử", "role": role,
        "password": "mat-khau-rat-dai-1"})
    return body["id"]


async def test_logout_reaches_the_other_process_at_once(pair: Pair):
    async with aiohttp.ClientSession() as http:
        s = Session(pair, http)
        await s.login("admin", pair.password)
        for i in (0, 1):  # both processes now remember this login
            assert (await s.ok(i, "GET", "/api/session"))["user"]["username"] == "admin"
        other = Session(pair, http)
        await other.login("admin", pair.password)
        await other.ok(1, "GET", "/api/session")
        status, _ = await s.call(0, "DELETE", "/api/session")
        assert status == 200
        assert await _refused_soon(s, 1) < 2.0  # remembered for 10 s before
        assert (await s.call(0, "GET", "/api/session"))[0] == 401
        # only that session ended: another login of the same person goes on
        assert (await other.ok(1, "GET", "/api/session"))["user"]["username"] == "admin"


async def test_locked_account_and_changed_password_reach_the_other_process(pair: Pair):
    async with aiohttp.ClientSession() as http:
        admin = Session(pair, http)
        await admin.login("admin", pair.password)
        locked_id = await _user(admin, "bi.khoa")
        locked = Session(pair, http)
        await locked.login("bi.khoa", "mat-khau-rat-dai-1")
        await locked.ok(1, "GET", "/api/session")
        await admin.ok(0, "PATCH", f"/api/users/{locked_id}", {"active": False})
        assert await _refused_soon(locked, 1) < 2.0

        await _user(admin, "doi.mk")
        here, elsewhere = Session(pair, http), Session(pair, http)
        await here.login("doi.mk", "mat-khau-rat-dai-1")
        await elsewhere.login("doi.mk", "mat-khau-rat-dai-1", i=1)
        for s in (here, elsewhere):
            await s.ok(1, "GET", "/api/session")
        await here.ok(0, "POST", "/api/session/password", {
            "old_password": "mat-khau-rat-dai-1", "new_password": "mat-khau-moi-rat-dai-2"})
        assert await _refused_soon(elsewhere, 1) < 2.0  # the other session ended
        await here.ok(1, "GET", "/api/session")  # the one that changed it stays


async def test_login_limit_counts_both_processes(pair: Pair):
    async with aiohttp.ClientSession() as http:
        # ten wrong passwords for one account from one address, alternately on each
        # process: the eleventh try is refused on either (each process alone saw five)
        s = Session(pair, http, address="10.2.0.1")
        for n in range(10):
            status, body = await s.call(n % 2, "POST", "/api/session",
                                        {"username": "admin", "password": f"sai-{n}"})
            assert status == 401, body
        for i in (0, 1):
            status, body = await s.call(i, "POST", "/api/session",
                                        {"username": "admin", "password": pair.password})
            assert status == 429 and body["error"]["code"] == "too_many_attempts", body
        # another address is not held back by that one
        fresh = Session(pair, http, address="10.2.0.2")
        await fresh.login("admin", pair.password, i=1)

        # one try at each of many usernames from one address: twenty in all, however
        # they are spread over the processes; then that address waits
        spray = Session(pair, http, address="10.2.0.3")
        for n in range(20):
            status, body = await spray.call(n % 2, "POST", "/api/session",
                                            {"username": f"khong.co.{n}", "password": "x"})
            assert status == 401, body
        for i in (0, 1):
            status, body = await spray.call(i, "POST", "/api/session",
                                            {"username": "admin", "password": pair.password})
            assert status == 429 and "nhiều tên đăng nhập" in body["error"]["message"], body


async def _tablet(p: Pair, i: int, s: Session, cid: int, events: list[dict[str, Any]]
                  ) -> tuple[socketio.AsyncClient, dict[str, Any]]:
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("broadcast:status", lambda d: events.append(d))
    await sio.connect(p.base(i), transports=["websocket"], wait_timeout=10,
                      headers={"Cookie": f"doithoai_session={s.cookie}"})
    reply = await sio.call("join", {"conference_id": cid}, timeout=10)
    assert reply["ok"], reply
    return sio, reply


async def _eventually(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _eventually_async(call, check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check(await call()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_process_without_audio_shows_and_controls_the_broadcast(pair: Pair):
    async with aiohttp.ClientSession() as http:
        admin = Session(pair, http)
        await admin.login("admin", pair.password)
        conf = await admin.ok(0, "POST", "/api/conferences", {
            "title": "Hội nghị đối thoại liên xã", "starts_at": "2026-12-18T08:00",
            "venue": "Hội trường UBND xã", "format": "in_person"})
        cid = conf["id"]
        # the audio process is on the tone; the other shows the same without asking it
        own = await admin.ok(0, "GET", "/api/broadcast")
        assert own["source"]["type"] == "tone" and own["on_air"] is False
        await _eventually_async(lambda: admin.call(1, "GET", "/api/broadcast"),
                                lambda r: r[0] == 200)
        shown = await admin.ok(1, "GET", "/api/broadcast")
        assert shown["source"]["type"] == "tone" and shown["on_air"] is False

        seen: list[dict[str, Any]] = []
        sio, joined = await _tablet(pair, 1, admin, cid, seen)
        try:
            assert joined["broadcast"]["on_air"] is False
            # a control sent to the process without audio is run by the audio process
            status, body = await admin.call(1, "POST", "/api/broadcast/on-air",
                                            {"on_air": True, "chime": False})
            assert status == 200 and body["on_air"] is True, body
            assert (await admin.ok(0, "GET", "/api/broadcast"))["on_air"] is True
            # and the process without audio shows it at once, to a late joiner too
            assert (await admin.ok(1, "GET", "/api/broadcast"))["on_air"] is True
            late, rejoined = await _tablet(pair, 1, admin, cid, [])
            assert rejoined["broadcast"]["on_air"] is True
            watch = await late.call("broadcast:watch", {}, timeout=10)
            assert watch["ok"] and watch["broadcast"]["on_air"] is True
            await late.disconnect()
            await _eventually(lambda: any(e.get("on_air") for e in seen))

            body = await admin.ok(1, "POST", "/api/broadcast/mute", {"muted": True})
            assert body["operator_muted"] is True and body["muted"] is True
            assert (await admin.ok(0, "GET", "/api/broadcast"))["operator_muted"] is True
            await _eventually(lambda: any(e.get("operator_muted") for e in seen))

            # refusals: bad input and missing permission are answered where they arrive
            status, body = await admin.call(1, "POST", "/api/broadcast/mute", {"muted": "có"})
            assert status == 422, body
            await _user(admin, "chi.xem", role="viewer")
            viewer = Session(pair, http)
            await viewer.login("chi.xem", "mat-khau-rat-dai-1", i=1)
            status, body = await viewer.call(1, "POST", "/api/broadcast/on-air",
                                             {"on_air": False, "chime": False})
            assert status == 403, body
            assert (await admin.ok(0, "GET", "/api/broadcast"))["on_air"] is True

            # the audit record of a carried control names the person who sent it
            me = (await admin.ok(1, "GET", "/api/session"))["user"]["id"]
            audit = await admin.ok(1, "GET", "/api/audit?action=broadcast.on_air")
            assert [a["after"] for a in audit] == [{"on_air": True}], audit
            assert audit[0]["actor"].startswith(f"user:{me}:"), audit

            await admin.ok(1, "POST", "/api/broadcast/mute", {"muted": False})
            await admin.ok(1, "POST", "/api/broadcast/on-air", {"on_air": False, "chime": False})
            assert (await admin.ok(1, "GET", "/api/broadcast"))["on_air"] is False
        finally:
            await sio.disconnect()
