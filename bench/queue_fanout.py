"""Queue fan-out benchmark: a moderator's command -> its arrival at the LAST public screen.

    python bench/queue_fanout.py --clients N [--commands 100] [--interval 0.2]
                                 [--per-process 250] [--db URL]

Starts a real ``doithoai serve`` subprocess (SQLite in a temporary folder unless --db),
creates a conference and a display device token, then starts N socket.io clients
(python-socketio AsyncClient, websocket transport, loopback) spread over several
processes, all joined to the conference's public room. A moderator client then
sends commands (paced, one at a time), alternately ``register_turn`` (a desk registration)
and ``move`` (the last waiting turn to the front, with a reason). Every client records the
arrival time (``time.time()``, one clock: same machine) of each ``queue:public``
version; the processes report the latest arrival per version through a queue.

Latency of one command = arrival at the last client - the instant the moderator
sent it (so it includes the command's transaction on the server).
The last line printed is one JSON object: clients, commands, p50_ms, p99_ms, max_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "mat-khau-bench-123"
GOAL_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, db: str | None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    db_args = ["--db", db] if db else []
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "bench", "--name",
                    "Điều hành thử", "--role", "admin", "--password", PASSWORD,
                    "--data-dir", str(data_dir), *db_args],
                   check=True, cwd=REPO_ROOT, env=env, capture_output=True)
    port = free_port()
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--data-dir", str(data_dir), *db_args],
                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((data_dir / "server.log").read_text(errors="replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


# ---- the watching clients (one process holds many) -----------------------------------------


def watcher_process(base: str, token: str, cid: int, count: int, ready: Any, results: Any,
                    stop: Any, kind: str = "sio") -> None:
    watchers = _raw_watchers if kind == "raw" else _watchers
    asyncio.run(watchers(base, token, cid, count, ready, results, stop))


VERSION = re.compile(r'"version":\s*(\d+)')


async def _raw_watchers(base: str, token: str, cid: int, count: int, ready: Any, results: Any,
                        stop: Any) -> None:
    """Lean watchers: Engine.IO 4 / Socket.IO 5 spoken directly over an aiohttp websocket.

    Same server, same protocol, same room; they only skip python-socketio's per-message
    work (a task per message, full JSON decoding), so the figure shows the server's share.
    """
    import aiohttp

    latest: dict[int, float] = {}
    received: dict[int, int] = {}
    first: dict[int, float] = {}
    url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    gate = asyncio.Semaphore(20)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))  # no pool limit
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    joined = asyncio.Event()
    waiting = count

    async def run_one() -> None:
        try:
            await watch_one()
        except Exception as exc:  # a watcher that could not join is reported, not waited for
            print(f"watcher failed: {exc!r}", file=sys.stderr)
            if not joined.is_set():
                nonlocal_done()

    def nonlocal_done() -> None:
        nonlocal waiting
        waiting -= 1
        if waiting == 0:
            joined.set()

    async def watch_one() -> None:
        async with gate:
            ws = await http.ws_connect(url, autoping=False, max_msg_size=0)
            await ws.receive()  # "0{...}" engine.io open
            await ws.send_str("40" + json.dumps({"token": token}))
            while not (await ws.receive()).data.startswith("40"):
                pass
            await ws.send_str("420" + json.dumps(["join", {"conference_id": cid}]))
            while True:
                msg = (await ws.receive()).data
                if msg.startswith("430"):
                    assert '"ok": true' in msg or '"ok":true' in msg, msg[:200]
                    break
                if msg == "2":
                    await ws.send_str("3")
        sockets.append(ws)
        nonlocal_done()
        async for msg in ws:
            data = msg.data
            if data == "2":
                await ws.send_str("3")
            elif data.startswith('42["queue:public"'):
                now = time.time()
                v = int(VERSION.search(data)[1])
                if now > latest.get(v, 0.0):
                    latest[v] = now
                received[v] = received.get(v, 0) + 1
                first.setdefault(v, now)

    tasks = [asyncio.ensure_future(run_one()) for _ in range(count)]
    await joined.wait()
    ready.put(len(sockets))
    cpu0 = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, stop.wait)
    cpu = time.process_time() - cpu0
    results.put({"latest": latest, "received": received, "first": first, "cpu_s": cpu})
    for ws in sockets:
        await ws.close()
    for t in tasks:
        t.cancel()
    await http.close()


async def _watchers(base: str, token: str, cid: int, count: int, ready: Any, results: Any,
                    stop: Any) -> None:
    import socketio

    latest: dict[int, float] = {}  # version -> latest arrival among this process's clients
    received: dict[int, int] = {}
    first: dict[int, float] = {}  # version -> earliest arrival
    clients: list[socketio.AsyncClient] = []
    gate = asyncio.Semaphore(20)

    def make() -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False)

        async def on_public(data: dict[str, Any]) -> None:
            now = time.time()
            v = data["version"]
            if now > latest.get(v, 0.0):
                latest[v] = now
            received[v] = received.get(v, 0) + 1
            first.setdefault(v, now)

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
    ready.put(len(clients))
    cpu0 = time.process_time()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop.wait)
    cpu = time.process_time() - cpu0
    results.put({"latest": latest, "received": received, "first": first, "cpu_s": cpu})
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


# ---- the moderator -------------------------------------------------------------------------


async def setup(base: str) -> tuple[int, str, str]:
    """Log in, create a conference and a display token; returns (id, token, session cookie)."""
    import aiohttp
    from yarl import URL

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
        async with http.post(base + "/api/devices", headers=h,
                             json={"name": "Màn hình đo tải", "kind": "display"}) as r:
            assert r.status == 201, await r.text()
            token = (await r.json())["token"]
        jar = http.cookie_jar.filter_cookies(URL(base))
        cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
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


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--commands", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.2, help="pause between commands (s)")
    ap.add_argument("--per-process", type=int, default=250, help="clients per process")
    ap.add_argument("--db", default=None, help="database URL (default: SQLite in a temp folder)")
    ap.add_argument("--client", choices=["sio", "raw"], default="sio",
                    help="sio: python-socketio AsyncClient; raw: the same protocol over a bare "
                         "aiohttp websocket (less work per message in the watching processes)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        proc, base = start_server(Path(tmp), args.db)
        try:
            cid, token, cookie = asyncio.run(setup(base))
            ctx = mp.get_context("spawn")
            ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
            sizes = [args.per_process] * (args.clients // args.per_process)
            if args.clients % args.per_process:
                sizes.append(args.clients % args.per_process)
            workers = [ctx.Process(target=watcher_process,
                                   args=(base, token, cid, n, ready, results, stop, args.client),
                                   daemon=True)
                       for n in sizes]
            t_conn = time.monotonic()
            for w in workers:
                w.start()
            joined = sum(ready.get(timeout=300) for _ in workers)
            connect_s = time.monotonic() - t_conn
            print(f"{joined} clients joined in {connect_s:.1f} s; server pid {proc.pid}",
                  file=sys.stderr, flush=True)
            time.sleep(1.0)
            idle0 = process_cpu(proc.pid)  # background (pings of every client, audio) without commands
            time.sleep(3.0)
            idle_cpu_per_s = (process_cpu(proc.pid) - idle0) / 3.0
            t_run = time.monotonic()
            server_cpu0 = process_cpu(proc.pid)
            sent, acks = asyncio.run(moderate(base, cookie, cid, args.commands, args.interval))
            server_cpu = process_cpu(proc.pid) - server_cpu0
            run_s = time.monotonic() - t_run
            stop.set()
            reports = [results.get(timeout=120) for _ in workers]
            for w in workers:
                w.join(30)
        finally:
            proc.terminate()
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
        "processes": len(workers),
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
