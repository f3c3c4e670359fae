"""A province: two `doithoai serve` processes on one PostgreSQL database and Redis, behind
a real nginx (deploy/nginx.conf), with real socket.io clients.

The lease rules are pure functions and are checked on their own first.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.leases import decide, must_stop
from tests.conftest import ROOT, create_pg_database, drop_pg_database, free_port

REDIS = os.environ.get("DOITHOAI_TEST_REDIS", "redis://127.0.0.1:6379/0")
LEASE_S = 5.0  # short, so the survivor takes over quickly; long enough for a busy machine
T0 = datetime(2026, 12, 18, 1, 0, tzinfo=UTC)


# ---- the lease's rules ----------------------------------------------------------------------


def test_lease_decision():
    later = T0 + timedelta(seconds=5)
    assert decide(None, None, "a", T0) == "take"  # nobody ever held it
    assert decide("a", later, "a", T0) == "renew"
    assert decide("b", later, "a", T0) == "wait"  # another holds it until `later`
    assert decide("b", T0, "a", T0) == "take"  # expired exactly now
    assert decide("b", T0, "a", later) == "take"  # its holder stopped renewing
    assert decide("a", T0, "a", later) == "take"  # mine but lapsed: my jobs start again


def test_holder_stops_before_anyone_may_take():
    assert not must_stop(renewed_at=100.0, now=101.0, ttl=3.0)
    assert must_stop(renewed_at=100.0, now=102.0, ttl=3.0)  # two thirds: stop, a third spare
    assert must_stop(renewed_at=100.0, now=110.0, ttl=3.0)


# ---- two processes behind nginx -------------------------------------------------------------


def _province_module() -> Any:
    spec = importlib.util.spec_from_file_location("province", ROOT / "deploy" / "province.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Province:
    db_url: str
    ports: list[int]
    procs: list[subprocess.Popen]
    logs: list[Path]
    nginx: str  # base URL through nginx
    password: str

    def base(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"


def _wait(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-3000:])
        try:
            with __import__("socket").create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start: " + log.read_text(errors="replace")[-3000:])


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    db_url = create_pg_database()
    data = tmp_path_factory.mktemp("province")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    ports = [free_port(), free_port()]
    procs: list[subprocess.Popen] = []
    logs = [data / f"server-{i}.log" for i in range(2)]
    nginx = prefix = None
    try:
        # both start at once on an empty database: migrations and the first
        # administrator are made once (one process after the other)
        for port, log in zip(ports, logs, strict=True):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
                 str(port), "--data-dir", str(data), "--db", db_url, "--redis", REDIS,
                 "--lease-seconds", str(LEASE_S), "--audio-source", "tone:440"],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT))
        for port, proc, log in zip(ports, procs, logs, strict=True):
            _wait(port, proc, log)
        listen = free_port()
        nginx, prefix = _province_module().start_nginx(f"127.0.0.1:{listen}", ports, ports[0])
        passwords = [m for log in logs for m in re.findall(
            r"administrator: admin\s+mật khẩu / password: (\S+)", log.read_text())]
        assert len(passwords) == 1, passwords
        yield Province(db_url, ports, procs, logs, f"http://127.0.0.1:{listen}", passwords[0])
    finally:
        for proc in [*procs, *([nginx] if nginx else [])]:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if prefix is not None:
            import shutil

            shutil.rmtree(prefix, ignore_errors=True)
        drop_pg_database(db_url)


class Client:
    """A logged-in HTTP session (the cookie works on every process: sessions are stored)."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http, self.csrf = base, http, ""

    async def call(self, method: str, path: str, body: Any = None, base: str | None = None
                   ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        async with self.http.request(method, (base or self.base) + path, json=body,
                                     headers={"X-CSRF-Token": self.csrf}) as r:
            data = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, data, r.headers

    async def ok(self, method: str, path: str, body: Any = None, base: str | None = None) -> Any:
        status, data, _ = await self.call(method, path, body, base)
        assert status in (200, 201), (status, data)
        return data


async def _login(p: Province, http: aiohttp.ClientSession) -> Client:
    c = Client(p.base(0), http)
    status, body, _ = await c.call("POST", "/api/session",
                                   {"username": "admin", "password": p.password})
    assert status == 200, body
    c.csrf = body["csrf_token"]
    return c


async def _conference(c: Client) -> int:
    conf = await c.ok("POST", "/api/conferences", {
        "title": "Hội nghị đối thoại liên xã", "starts_at": "2026-12-18T08:00",
        "venue": "Hội trường UBND xã", "format": "in_person"})
    return conf["id"]


def cmd(kind: str, base_version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": base_version, **kw}


def register(base_version: int, n: int) -> dict[str, Any]:
    return cmd("register_turn", base_version, display_name=f"Lò Văn Sáu {n}",
               hamlet=f"Bản {n % 5 + 1}", topic="Nước sinh hoạt")


class Tablet:
    """A socket.io client that notes every queue version it is sent. It uses the login's
    HTTP session, whose cookie it sends on every (re)connection, as a browser does."""

    def __init__(self, http: aiohttp.ClientSession, reconnect: bool = False) -> None:
        self.sio = socketio.AsyncClient(reconnection=reconnect, reconnection_delay=0.2,
                                        reconnection_delay_max=0.5, randomization_factor=0,
                                        http_session=http)
        self.states: list[int] = []
        self.publics: list[int] = []
        self.sio.on("queue:state", lambda d: self.states.append(d["version"]))
        self.sio.on("queue:public", lambda d: self.publics.append(d["version"]))

    async def connect(self, base: str, **kw: Any) -> None:
        await self.sio.connect(base, wait_timeout=10, **kw)

    async def join(self, cid: int) -> dict[str, Any]:
        reply = await self.sio.call("join", {"conference_id": cid}, timeout=10)
        assert reply["ok"], reply
        return reply

    async def send(self, payload: dict[str, Any], cid: int) -> dict[str, Any]:
        return await self.sio.call("queue:command", {**payload, "conference_id": cid}, timeout=10)


async def _until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_tablets_on_both_processes_see_the_same_versions(province: Province):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = await _login(province, http)
        cid = await _conference(c)
        on_a, on_b, via_nginx = Tablet(http), Tablet(http), Tablet(http)
        await on_a.connect(province.base(0), transports=["websocket"])
        await on_b.connect(province.base(1), transports=["websocket"])
        await via_nginx.connect(province.nginx)  # long-polling, then upgraded
        try:
            for t in (on_a, on_b, via_nginx):
                assert (await t.join(cid))["staff"]["version"] == 0  # each process caches v0
            version = 0
            for n in range(6):  # one after the other, alternately on each process
                ack = await (on_a if n % 2 == 0 else on_b).send(register(version, n), cid)
                assert ack["ok"], ack
                version = ack["version"]
            await _until(lambda: all(len(t.publics) >= 6 for t in (on_a, on_b, via_nginx)))
            for t in (on_a, on_b, via_nginx):
                assert t.states == t.publics == [1, 2, 3, 4, 5, 6]
            # what each process serves from memory has caught up with the other's commands
            for i in (0, 1):
                body = await c.ok("GET", f"/api/conferences/{cid}/queue", base=province.base(i))
                assert body["version"] == 6 and len(body["order"]) == 6
            late = Tablet(http)
            await late.connect(province.base(1), transports=["websocket"])
            assert (await late.join(cid))["staff"]["version"] == 6
            await late.sio.disconnect()
        finally:
            for t in (on_a, on_b, via_nginx):
                await t.sio.disconnect()


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 1), st.booleans()), min_size=2, max_size=7))
def test_commands_sent_to_both_processes_at_once_keep_one_order(province: Province,
                                                               sends: list[tuple[int, bool]]):
    """Each (process, twice) registers someone on that process, with a stale version (a
    registration commutes), all at once; `twice` sends the same command to the other
    process too. Every distinct command is applied once, versions 1..n without a gap,
    and both processes then serve the same queue in the order the versions give."""

    async def run() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            c = await _login(province, http)
            cid = await _conference(c)
            sent: list[tuple[int, dict[str, Any]]] = []
            for n, (target, twice) in enumerate(sends):
                payload = register(0, n)
                sent.append((target, payload))
                if twice:
                    sent.append((1 - target, payload))
            acks = await asyncio.gather(*(c.ok(
                "POST", f"/api/conferences/{cid}/queue/commands", payload,
                base=province.base(target)) for target, payload in sent))
            version_of: dict[str, set[int]] = {}
            for (_, payload), ack in zip(sent, acks, strict=True):
                version_of.setdefault(payload["command_id"], set()).add(ack["version"])
            applied = [ack for ack in acks if not ack["duplicate"]]
            assert sorted(a["version"] for a in applied) == list(range(1, len(sends) + 1))
            # a duplicate answers with the version current then: never below its original
            first = {cid_: min(vs) for cid_, vs in version_of.items()}
            views = [await c.ok("GET", f"/api/conferences/{cid}/queue", base=province.base(i))
                     for i in (0, 1)]
            assert views[0]["version"] == views[1]["version"] == len(sends)
            assert views[0]["order"] == views[1]["order"]
            history = {h["turn_id"]: h["version"] for h in views[0]["state"]["history"]
                       if h["command"] == "register_turn"}
            assert history == first  # the turn registered at version v is the v-th
            assert views[0]["order"] == sorted(history, key=history.get)

    asyncio.run(run())


async def _leases(p: Province, live: bool = True) -> dict[str, str]:
    conn = await asyncpg.connect(p.db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT name, owner FROM job_lease"
                                + (" WHERE expires_at > now()" if live else ""))
    finally:
        await conn.close()
    return {r["name"]: r["owner"] for r in rows}


def _holder(owner: str, p: Province) -> int:
    pid = int(owner.split("/")[1])
    return [proc.pid for proc in p.procs].index(pid)


async def test_each_background_job_runs_in_one_process(province: Province):
    held = await _leases(province)
    assert {"hall-audio", "server.followup.reminders.daily_reminders"} <= set(held)
    audio = _holder(held["hall-audio"], province)
    # both were given an audio source; only the lease holder captures it
    for i in (0, 1):
        log = province.logs[i].read_text()
        assert ("lease hall-audio taken" in log) == (i == audio)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = await _login(province, http)
        running = []
        for i in (0, 1):
            status, body, _ = await c.call("GET", "/api/transcription", base=province.base(i))
            assert status == 200, body
            running.append(body["running"] or bool(body["error"]))
        assert running == [i == audio for i in (0, 1)]  # speech recognition: one worker
    await asyncio.sleep(LEASE_S + 0.5)  # longer than a lease lasts: the holders renewed
    assert await _leases(province) == held


async def test_captions_changed_on_the_process_without_audio(province: Province):
    """The recogniser runs with the hall's audio; a tablet served by the other process
    changes the settings and the vocabulary there, and the audio process follows."""
    audio = _holder((await _leases(province))["hall-audio"], province)
    other = 1 - audio
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = await _login(province, http)
        cid = await _conference(c)
        path = f"/api/conferences/{cid}/captions"
        state = (await c.ok("GET", path, base=province.base(audio)))["state"]
        assert state["enabled"] is True  # now held in the audio process's memory
        status, body, _ = await c.call("POST", f"{path}/settings", {"enabled": False},
                                       base=province.base(other))
        assert status == 503 and body["error"]["code"] == "captions_unavailable", body

        deadline = time.monotonic() + 10
        while (await c.ok("GET", path, base=province.base(audio)))["state"]["enabled"]:
            assert time.monotonic() < deadline, "the audio process kept the old settings"
            await asyncio.sleep(0.1)
        terms = {"terms": ["Buôn Đăk Rơ", "Y Niê Kdăm"]}
        assert (await c.ok("PUT", "/api/commune/vocabulary", terms,
                           base=province.base(other)))["terms"] == terms["terms"]
        for i in (audio, other):
            got = await c.ok("GET", "/api/commune/vocabulary", base=province.base(i))
            assert got["terms"] == terms["terms"]


async def test_killed_process_tablet_moves_to_the_other(province: Province):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = await _login(province, http)
        cid = await _conference(c)
        status, _, headers = await c.call("GET", "/healthz", base=province.nginx)
        assert status == 200
        victim = province.ports.index(int(headers["X-Upstream"].rsplit(":", 1)[1]))
        tablet = Tablet(http, reconnect=True)
        rejoined: list[dict[str, Any]] = []

        async def rejoin() -> None:
            rejoined.append(await tablet.sio.call("join", {"conference_id": cid}, timeout=10))

        async def on_connect() -> None:
            if tablet.states:  # a reconnection: take a fresh snapshot, as the tablet app does
                asyncio.get_running_loop().create_task(rejoin())

        tablet.sio.on("connect", on_connect)
        await tablet.connect(province.nginx, transports=["websocket"])
        try:
            version = (await tablet.join(cid))["staff"]["version"]
            acked = []
            for n in range(3):
                ack = await tablet.send(register(version, n), cid)
                version = ack["version"]
                acked.append(version)
            ack = await tablet.send(cmd("call_next", version), cid)
            turn = (await c.ok("GET", f"/api/conferences/{cid}/queue"))["state"]["current_turn_id"]
            ack = await tablet.send(cmd("start", ack["version"], turn_id=turn), cid)
            assert ack["ok"], ack
            await _until(lambda: ack["version"] in tablet.states)
            before = (await tablet.join(cid))["staff"]["timer"]
            assert before["running"]

            province.procs[victim].send_signal(signal.SIGKILL)  # mid-turn
            province.procs[victim].wait(10)
            await _until(lambda: rejoined, timeout=20)
            snap = rejoined[-1]
            assert snap["ok"] and snap["staff"]["version"] == ack["version"]  # nothing lost
            timer = snap["staff"]["timer"]
            assert timer["running"] and timer["ends_at"] == before["ends_at"]
            elapsed = (datetime.fromisoformat(snap["staff"]["server_time"])
                       - datetime.fromisoformat(before["ends_at"])).total_seconds()
            assert abs(timer["remaining"] + elapsed) < 0.5  # the clock kept running
            paused = await tablet.send(cmd("pause", ack["version"], turn_id=turn), cid)
            assert paused["ok"] and paused["version"] == ack["version"] + 1

            # the survivor takes over every background job once the leases lapse
            survivor = 1 - victim
            deadline = time.monotonic() + 4 * LEASE_S
            while time.monotonic() < deadline:
                held = await _leases(province, live=False)
                if held and all(_holder(o, province) == survivor for o in held.values()):
                    break
                await asyncio.sleep(0.3)
            assert "hall-audio" in held and all(
                _holder(o, province) == survivor for o in held.values()), held
        finally:
            await tablet.sio.disconnect()
