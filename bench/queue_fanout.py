"""Queue fan-out benchmark: a moderator's command -> its arrival at the LAST public screen.

    python bench/queue_fanout.py --clients N [--commands 100] [--interval 0.2]
                                 [--per-process 250] [--db URL] [--client lean|sio]
                                 [--processes 2 --db postgresql+asyncpg://... [--redis URL]]

Starts a real ``doithoai serve`` subprocess (SQLite in a temporary folder unless --db),
creates a conference and a display device token, then starts N socket.io clients
(websocket transport, loopback) spread over several processes, all joined to the
conference's public room. The clients are ``lean`` (default): a minimal Socket.IO client
on an asyncio Protocol, see LeanWatcher; or ``sio``: python-socketio's AsyncClient, which
needs several times more CPU per message on the same two cores as the server. A moderator client then
sends commands (paced, one at a time), alternately ``register_turn`` (a desk registration)
and ``move`` (the last waiting turn to the front, with a reason). Every client records the
arrival time (``time.time()``, one clock: same machine) of each ``queue:public``
version; the processes report the latest arrival per version through a queue.

Latency of one command = arrival at the last client - the instant the moderator
sent it (so it includes the command's transaction on the server).
The last line printed is one JSON object: clients, commands, p50_ms, p99_ms, max_ms.

With ``--processes N`` (a province, docs/province.md): N server processes on the same
PostgreSQL database and Redis (bench/province.py starts them), the watching clients
spread evenly over them, the moderator on the first; the latency then includes the
trip through Redis to the other processes' screens.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from common import PASSWORD, display_token_and_cookie, percentile, start_server

GOAL_P99_MS = 50.0


# ---- the watching clients (one process holds many) -----------------------------------------


def watcher_process(base: str, token: str, cid: int, count: int, ready: Any, results: Any,
                    stop: Any, kind: str = "sio") -> None:
    watchers = _lean_watchers if kind == "lean" else _watchers
    # uvloop: the watchers' own event-loop work per message is about halved, which leaves
    # more of the two cores to the server being measured.
    try:
        import uvloop
    except ImportError:
        asyncio.run(watchers(base, token, cid, count, ready, results, stop))
    else:
        uvloop.run(watchers(base, token, cid, count, ready, results, stop))


VERSION = re.compile(rb'"version":\s*(\d+)')


class Arrivals:
    """What one watching process saw: per version, its first and latest arrival and a count."""

    def __init__(self) -> None:
        self.latest: dict[int, float] = {}
        self.first: dict[int, float] = {}
        self.received: dict[int, int] = {}

    def note(self, now: float, version: int) -> None:
        if now > self.latest.get(version, 0.0):
            self.latest[version] = now
        self.first.setdefault(version, now)
        self.received[version] = self.received.get(version, 0) + 1

    async def report_at_stop(self, joined: int, ready: Any, results: Any, stop: Any) -> None:
        """Say how many joined, wait for the end of the run, report with this process's CPU."""
        ready.put(joined)
        cpu0 = time.process_time()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        results.put({"latest": self.latest, "received": self.received, "first": self.first,
                     "cpu_s": time.process_time() - cpu0})


class LeanWatcher(asyncio.Protocol):
    """A minimal Socket.IO 5 client: Engine.IO 4 over a websocket, on a bare asyncio Protocol.

    It does what a public screen's client does on the wire: the websocket upgrade, the
    Engine.IO open, the Socket.IO connect with the device token, ``join`` with its
    acknowledgement, an answer to every ping, and it notes each ``queue:public``. What it
    skips is the per-message work of a general client library (a task per message, full
    JSON decoding), so more of the machine's two cores are left to the server under test.
    """

    def __init__(self, host: str, port: int, token: str, cid: int, joined: asyncio.Future,
                 on_public: Any) -> None:
        self.host, self.port, self.token, self.cid = host, port, token, cid
        self.joined, self.on_public = joined, on_public
        self.buf = bytearray()
        self.stage = "http"
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(  # type: ignore[attr-defined]
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}"
            f"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}"
            "\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.joined.done():
            self.joined.set_exception(ConnectionError(f"closed while {self.stage}: {exc!r}"))

    def send_text(self, text: str) -> None:
        """A client frame: final, text, masked (RFC 6455 requires clients to mask)."""
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0xFE]) + n.to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.transport.write(header + mask + masked)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if self.stage == "http":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.joined.set_exception(ConnectionError(bytes(buf[:end]).decode()))
                self.transport.close()  # type: ignore[union-attr]
                return
            del buf[:end + 4]
            self.stage = "open"
        while len(buf) >= 2:
            n, offset = buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, offset = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + n:
                return
            opcode = buf[0] & 0x0F
            payload = bytes(buf[offset:offset + n])
            del buf[:offset + n]
            if opcode == 0x1:
                self.on_text(payload)
            elif opcode == 0x8:
                self.transport.close()  # type: ignore[union-attr]
                return

    def on_text(self, p: bytes) -> None:
        if p.startswith(b'42["queue:public"'):
            self.on_public(time.time(), int(VERSION.search(p)[1]))
        elif p == b"2":  # Engine.IO ping
            self.send_text("3")
        elif self.stage == "open" and p.startswith(b"0"):
            self.send_text("40" + json.dumps({"token": self.token}))
            self.stage = "connect"
        elif self.stage == "connect" and p.startswith(b"40"):
            self.send_text("420" + json.dumps(["join", {"conference_id": self.cid}]))
            self.stage = "join"
        elif self.stage == "join" and p.startswith(b"430"):
            reply = json.loads(p[3:])[0]
            if reply.get("ok"):
                self.stage = "watch"
                self.joined.set_result(True)
            else:
                self.joined.set_exception(RuntimeError(f"join refused: {reply}"))


async def _lean_watchers(base: str, token: str, cid: int, count: int, ready: Any, results: Any,
                         stop: Any) -> None:
    arrivals = Arrivals()
    loop = asyncio.get_running_loop()
    host, port = base.split("//", 1)[1].split(":")
    gate = asyncio.Semaphore(20)
    watchers: list[LeanWatcher] = []

    async def open_one() -> None:
        async with gate:
            for attempt in range(5):
                joined = loop.create_future()
                transport, watcher = await loop.create_connection(
                    lambda j=joined: LeanWatcher(host, int(port), token, cid, j, arrivals.note),
                    host, int(port))
                try:
                    await asyncio.wait_for(joined, 30)
                    watchers.append(watcher)
                    return
                except Exception:
                    transport.close()
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5 + attempt)

    await asyncio.gather(*(open_one() for _ in range(count)))
    await arrivals.report_at_stop(len(watchers), ready, results, stop)
    for w in watchers:
        w.transport.close()  # type: ignore[union-attr]


async def _watchers(base: str, token: str, cid: int, count: int, ready: Any, results: Any,
                    stop: Any) -> None:
    import socketio

    arrivals = Arrivals()
    clients: list[socketio.AsyncClient] = []
    gate = asyncio.Semaphore(20)

    def make() -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False)

        async def on_public(data: dict[str, Any]) -> None:
            arrivals.note(time.time(), data["version"])

        sio.on("queue:public", on_public)
        return sio

    async def connect_one() -> None:
        sio = make()
        async with gate:
            for attempt in range(5):
                try:
                    await sio.connect(base, auth={"token": token}, transports=["websocket"],
                                      wait_timeout=30)
                    break
                except Exception:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5 + attempt)
            reply = await sio.call("join", {"conference_id": cid}, timeout=30)
            assert reply["ok"], reply
        clients.append(sio)

    await asyncio.gather(*(connect_one() for _ in range(count)))
    await arrivals.report_at_stop(len(clients), ready, results, stop)
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


# ---- the moderator -------------------------------------------------------------------------


async def setup(base: str) -> tuple[int, str, str]:
    """Log in, create a conference and a display token; returns (id, token, session cookie)."""
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(base + "/api/session",
                             json={"username": "bench", "password": PASSWORD}) as r:
            assert r.status == 200, await r.text()
            csrf = (await r.json())["csrf_token"]
        h = {"X-CSRF-Token": csrf}
        async with http.post(base + "/api/conferences", headers=h, json={
                "title": "Hội nghị đo tải", "starts_at": "2026-12-18T01:00:00Z",
                "venue": "Hội trường", "format": "in_person"}) as r:
            assert r.status == 201, await r.text()
            cid = (await r.json())["id"]
        token, cookie = await display_token_and_cookie(http, base, h)
    return cid, token, cookie


async def moderate(base: str, cookie: str, cid: int, commands: int, interval: float
                   ) -> tuple[dict[int, float], list[float]]:
    """Send paced commands; returns version -> send instant, and each ack's delay (ms)."""
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    order: list[str] = []

    async def on_state(data: dict[str, Any]) -> None:
        order[:] = data["order"]

    sio.on("queue:state", on_state)
    joined = await sio.call("join", {"conference_id": cid})
    version = joined["staff"]["version"]
    sent: dict[int, float] = {}
    acks: list[float] = []
    for i in range(commands):
        if i % 2 == 0 or version < 2:
            # a desk registration (the line grows by one)
            payload = {"type": "register_turn", "display_name": f"Nguyễn Văn Thử {i}",
                       "hamlet": f"Thôn {i % 12 + 1}", "topic": "Đo tải"}
        else:
            # a manual reorder: the last waiting turn goes to the front (same size of state)
            payload = {"type": "move", "turn_id": order[-1], "new_index": 0,
                       "reason": "Đo tải: đổi thứ tự"}
        payload.update(conference_id=cid, command_id=uuid.uuid4().hex, base_version=version)
        t0 = time.time()
        ack = await sio.call("queue:command", payload, timeout=30)
        acks.append((time.time() - t0) * 1000)
        assert ack["ok"], ack
        version = ack["version"]
        sent[version] = t0  # its queue:state (new order) came before the ack, on the same socket
        await asyncio.sleep(interval)
    await asyncio.sleep(1.0)  # let the last broadcast reach everyone
    await sio.disconnect()
    return sent, acks


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--commands", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.2, help="pause between commands (s)")
    ap.add_argument("--per-process", type=int, default=250, help="clients per process")
    ap.add_argument("--db", default=None, help="database URL (default: SQLite in a temp folder)")
    ap.add_argument("--processes", type=int, default=1,
                    help="server processes (more than 1: needs --db PostgreSQL, and Redis)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0",
                    help="with --processes > 1: the Redis the processes share")
    ap.add_argument("--client", choices=["lean", "sio"], default="lean",
                    help="sio: python-socketio AsyncClient; lean: a minimal client of the same "
                         "protocol on an asyncio Protocol (less work per message in the "
                         "watching processes, which share the 2 cores with the server)")
    args = ap.parse_args(argv)
    if args.processes > 1 and not (args.db or "").startswith("postgresql"):
        ap.error("--processes > 1 needs --db postgresql+asyncpg://USER@HOST/DB")

    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        if args.processes > 1:
            from province import start_servers

            procs, ports = start_servers(Path(tmp), args.db, args.redis, args.processes)
            bases = [f"http://127.0.0.1:{p}" for p in ports]
        else:
            proc, base = start_server(Path(tmp), args.db)
            procs, bases = [proc], [base]
        base = bases[0]
        try:
            cid, token, cookie = asyncio.run(setup(base))
            ctx = mp.get_context("spawn")
            ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
            sizes = [args.per_process] * (args.clients // args.per_process)
            if args.clients % args.per_process:
                sizes.append(args.clients % args.per_process)
            if len(sizes) < len(bases):  # at least one watching process per server
                sizes = [args.clients // len(bases) + (i < args.clients % len(bases))
                         for i in range(len(bases))]
            workers = [ctx.Process(target=watcher_process,
                                   args=(bases[i % len(bases)], token, cid, n, ready, results,
                                         stop, args.client),
                                   daemon=True)
                       for i, n in enumerate(sizes) if n]
            t_conn = time.monotonic()
            for w in workers:
                w.start()
            joined = sum(ready.get(timeout=300) for _ in workers)
            connect_s = time.monotonic() - t_conn
            print(f"{joined} clients joined in {connect_s:.1f} s on {bases}; server pids "
                  f"{[p.pid for p in procs]}", file=sys.stderr, flush=True)

            def cpu() -> float:
                return sum(process_cpu(p.pid) for p in procs)

            time.sleep(1.0)
            idle0 = cpu()  # background (pings of every client, audio) without commands
            time.sleep(3.0)
            idle_cpu_per_s = (cpu() - idle0) / 3.0
            t_run = time.monotonic()
            server_cpu0 = cpu()
            sent, acks = asyncio.run(moderate(base, cookie, cid, args.commands, args.interval))
            server_cpu = cpu() - server_cpu0
            run_s = time.monotonic() - t_run
            stop.set()
            reports = [results.get(timeout=120) for _ in workers]
            for w in workers:
                w.join(30)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()

    latencies, firsts, incomplete = [], [], 0
    for version, t0 in sent.items():
        got = sum(r["received"].get(version, 0) for r in reports)
        if got < joined:
            incomplete += 1
            continue
        last = max(r["latest"][version] for r in reports if version in r["latest"])
        latencies.append((last - t0) * 1000)
        firsts.append((min(r["first"][version] for r in reports if version in r["first"]) - t0)
                      * 1000)
    out = {
        "clients": joined,
        "client": args.client,
        "watcher_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "processes": len(workers),
        "server_processes": len(procs),
        "commands": len(latencies),
        "incomplete": incomplete,
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "first_client_p50_ms": round(percentile(firsts, 50), 1) if firsts else None,
        "server_cpu_ms_per_command": round(server_cpu * 1000 / max(len(sent), 1), 1),
        # the same without the background measured while idle: the cost of one command + fan-out
        "server_cpu_ms_per_command_net": round(
            (server_cpu - idle_cpu_per_s * run_s) * 1000 / max(len(sent), 1), 1),
        "server_idle_cpu_pct": round(idle_cpu_per_s * 100, 1),
        "client_cpu_us_per_message": round(sum(r["cpu_s"] for r in reports) * 1e6
                                           / max(sum(sum(r["received"].values()) for r in reports), 1)),
        "ack_p50_ms": round(percentile(acks, 50), 1),
        "goal_p99_ms": GOAL_P99_MS,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "connect_s": round(connect_s, 1),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
