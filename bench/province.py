"""A province at once: many conferences on several server processes behind nginx.

    python bench/province.py [--conferences 50] [--seconds 60] [--interval 2]
                             [--processes 2] [--db URL] [--redis URL]

Starts N ``doithoai serve`` processes on one PostgreSQL database (a fresh database made
and dropped by the run unless --db) and Redis, and nginx in front of them
(deploy/nginx.conf, deploy/province.py). It creates --conferences conferences and one
display token, then for every conference a moderator (python-socketio, logged in) and a
public screen (a lean socket.io client, see bench/queue_fanout.py) connect through
nginx, each from its own loopback address (127.0.0.x), so nginx's per-address routing
spreads them over the processes as it spreads a hall's tablets (a screen has another
address than its moderator, so it is often on another process). Each moderator sends a
command every --interval seconds (register someone, then move the last waiting turn to
the front, alternately) for --seconds.

Latency of a command = its arrival on its conference's screen (``queue:public`` of
that version, ``time.time()``: one machine, one clock) - the instant the moderator sent
it, whichever processes the moderator and the screen are on. Errors: refused or failed
commands, and versions a screen never received. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from common import (
    PASSWORD,
    REPO_ROOT,
    display_token_and_cookie,
    free_port,
    log,
    percentile,
    send_command,
)

REDIS = "redis://127.0.0.1:6379/0"
PG = "postgresql://postgres@127.0.0.1:5432"


def _deploy() -> Any:
    spec = importlib.util.spec_from_file_location("deploy_province",
                                                  REPO_ROOT / "deploy" / "province.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def address(i: int) -> str:
    """A loopback address of its own for client i (127.0.1.2 onwards)."""
    return f"127.0.{1 + i // 250}.{2 + i % 250}"


# ---- the servers ----------------------------------------------------------------------------


def start_servers(data_dir: Path, db: str, redis: str, n: int) -> tuple[list[subprocess.Popen],
                                                                        list[int]]:
    """N server processes on consecutive free ports (the first with the hall's audio), with
    the user `bench` (admin, PASSWORD); their logs go to data_dir/server-i.log."""
    deploy = _deploy()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "bench", "--name",
                    "Quản trị đo tải", "--role", "admin", "--password", PASSWORD,
                    "--data-dir", str(data_dir), "--db", db],
                   check=True, cwd=REPO_ROOT, env=env, capture_output=True)
    first = deploy.free_ports(n)
    procs = []
    for i in range(n):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
             str(first + i), "--data-dir", str(data_dir), "--db", db, "--redis", redis,
             "--audio-source", "tone:440" if i == 0 else "none"],
            cwd=REPO_ROOT, env=env, stdout=(data_dir / f"server-{i}.log").open("wb"),
            stderr=subprocess.STDOUT))
    ports = [first + i for i in range(n)]
    for proc, port in zip(procs, ports, strict=True):
        deploy.wait_port("127.0.0.1", port, proc, timeout=120)
    return procs, ports


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def where(base: str, addresses: list[str]) -> list[str]:
    """The process nginx sends each client address to (its X-Upstream answer)."""
    import aiohttp

    async def one(addr: str) -> str:
        connector = aiohttp.TCPConnector(local_addr=(addr, 0))
        async with aiohttp.ClientSession(connector=connector) as http, \
                http.get(base + "/healthz") as r:
            return r.headers.get("X-Upstream", "?")

    return list(await asyncio.gather(*(one(a) for a in addresses)))


async def setup(base: str, conferences: int) -> tuple[list[int], str, str]:
    """Log in; create the conferences and a display token. Returns (ids, token, cookie)."""
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(base + "/api/session",
                             json={"username": "bench", "password": PASSWORD}) as r:
            assert r.status == 200, await r.text()
            h = {"X-CSRF-Token": (await r.json())["csrf_token"]}
        ids = []
        for i in range(conferences):
            async with http.post(base + "/api/conferences", headers=h, json={
                    "title": f"Hội nghị đối thoại xã số {i + 1}",
                    "starts_at": "2026-12-18T01:00:00Z", "venue": "Hội trường UBND xã",
                    "format": "in_person"}) as r:
                assert r.status == 201, await r.text()
                ids.append((await r.json())["id"])
        token, cookie = await display_token_and_cookie(http, base, h)
    return ids, token, cookie


# ---- the screens (their own processes) ------------------------------------------------------


def screens_process(host: str, port: int, token: str, conferences: list[tuple[int, int]],
                    ready: Any, results: Any, stop_event: Any) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(_screens(host, port, token, conferences, ready, results, stop_event))
    else:
        uvloop.run(_screens(host, port, token, conferences, ready, results, stop_event))


async def _screens(host: str, port: int, token: str, conferences: list[tuple[int, int]],
                   ready: Any, results: Any, stop_event: Any) -> None:
    from queue_fanout import LeanWatcher

    loop = asyncio.get_running_loop()
    arrivals: dict[tuple[int, int], float] = {}
    opened = []

    async def open_one(cid: int, n: int) -> None:
        def seen(now: float, version: int) -> None:
            arrivals.setdefault((cid, version), now)

        joined = loop.create_future()
        transport, _ = await loop.create_connection(
            lambda: LeanWatcher(host, port, token, cid, joined, seen), host, port,
            local_addr=(address(n), 0))  # n: the screen's own number
        await asyncio.wait_for(joined, 60)
        opened.append(transport)

    await asyncio.gather(*(open_one(cid, n) for cid, n in conferences))
    ready.put(len(opened))
    await loop.run_in_executor(None, stop_event.wait)
    results.put({f"{c}:{v}": t for (c, v), t in arrivals.items()})
    for t in opened:
        t.close()


# ---- the moderators -------------------------------------------------------------------------


async def moderate_all(base: str, cookie: str, ids: list[int], seconds: float,
                       interval: float
                       ) -> tuple[dict[str, float], Counter, list[float], dict[str, int]]:
    """Every moderator connected from its own address; then a command every ``interval``
    s each, staggered. Returns ("cid:version" -> send instant, errors, ack delays in ms,
    how many moderators (and so screens, from the same addresses) each process got)."""
    import aiohttp
    import socketio
    from yarl import URL

    sent: dict[str, float] = {}
    errors: Counter = Counter()
    upstreams: Counter = Counter()
    acks: list[float] = []
    sessions, clients = [], []
    given = {k: m.value for k, m in SimpleCookie(cookie).items()}

    async def connect(n: int, cid: int) -> tuple[Any, int, list[str]]:
        http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(address(n), 0)),
            cookie_jar=aiohttp.CookieJar(unsafe=True))
        http.cookie_jar.update_cookies(given, URL(base))
        sessions.append(http)
        sio = socketio.AsyncClient(reconnection=False, http_session=http)
        order: list[str] = []

        async def on_state(data: dict[str, Any]) -> None:
            order[:] = data["order"]

        sio.on("queue:state", on_state)
        async with http.get(base + "/healthz") as r:  # which process nginx sends it to
            upstreams[r.headers.get("X-Upstream", "?")] += 1
        await sio.connect(base, transports=["websocket"], wait_timeout=60)
        joined = await sio.call("join", {"conference_id": cid}, timeout=60)
        clients.append(sio)
        return sio, joined["staff"]["version"], order

    gate = asyncio.Semaphore(10)

    async def connect_gated(n: int, cid: int) -> tuple[Any, int, list[str]]:
        async with gate:
            return await connect(n, cid)

    ready = await asyncio.gather(*(connect_gated(n, cid) for n, cid in enumerate(ids)))
    log(f"{len(ready)} moderators joined; per process: {dict(upstreams)}")
    t_end = time.monotonic() + seconds

    async def one(k: int, cid: int, sio: Any, version: int, order: list[str]) -> None:
        await asyncio.sleep(interval * k / len(ids))  # staggered over one interval
        i, tick = 0, time.monotonic()
        while time.monotonic() < t_end:
            if i % 2 == 0 or len(order) < 2:
                payload: dict[str, Any] = {
                    "type": "register_turn", "display_name": f"Hà Thị Thử {cid}-{i}",
                    "hamlet": f"Thôn {i % 9 + 1}", "topic": "Đo tải liên xã"}
            else:
                payload = {"type": "move", "turn_id": order[-1], "new_index": 0,
                           "reason": "Đo tải: đổi thứ tự"}
            payload.update(conference_id=cid, command_id=uuid.uuid4().hex, base_version=version)
            t0 = time.time()
            ack = await send_command(sio, payload, acks, errors, clock=time.time)
            if ack is not None and ack.get("ok"):
                version = ack["version"]
                sent[f"{cid}:{version}"] = t0
            elif ack is not None:  # refused: start again from the queue as it is
                joined = await sio.call("join", {"conference_id": cid}, timeout=30)
                version = joined["staff"]["version"]
            i += 1
            tick += interval
            await asyncio.sleep(max(0.0, tick - time.monotonic()))

    await asyncio.gather(*(one(k, cid, *ready[k]) for k, cid in enumerate(ids)))
    await asyncio.sleep(2.0)  # the last commands reach their screens
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    for http in sessions:
        await http.close()
    return sent, errors, acks, dict(upstreams)


# ---- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conferences", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between a moderator's "
                    "commands")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--screen-processes", type=int, default=2)
    ap.add_argument("--db", default=None, help="PostgreSQL URL (default: a fresh database)")
    ap.add_argument("--redis", default=REDIS)
    args = ap.parse_args(argv)
    if not 1 <= args.conferences <= 500 or not 1 <= args.processes <= 8:
        ap.error("--conferences 1..500, --processes 1..8")
    import asyncpg

    made = None
    db = args.db
    if db is None:
        made = f"doithoai_bench_{uuid.uuid4().hex[:8]}"

        async def create() -> None:
            conn = await asyncpg.connect(f"{PG}/postgres")
            await conn.execute(f'CREATE DATABASE "{made}"')
            await conn.close()

        asyncio.run(create())
        db = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{made}"
    out: dict[str, Any] = {"conferences": args.conferences, "processes": args.processes,
                           "interval_s": args.interval, "seconds": args.seconds,
                           "load_avg_before": [round(x, 2) for x in os.getloadavg()],
                           "cpus": os.cpu_count()}
    procs: list[subprocess.Popen] = []
    nginx = prefix = None
    failure = None
    with tempfile.TemporaryDirectory(prefix="province-") as tmp:
        try:
            procs, ports = start_servers(Path(tmp), db, args.redis, args.processes)
            listen = free_port()
            nginx, prefix = _deploy().start_nginx(f"127.0.0.1:{listen}", ports, ports[0])
            base = f"http://127.0.0.1:{listen}"
            ids, token, cookie = asyncio.run(setup(base, args.conferences))
            ctx = mp.get_context("spawn")
            ready, results, stop_event = ctx.Queue(), ctx.Queue(), ctx.Event()
            # a screen is another device than its moderator's tablet: another address
            screen_no = {cid: len(ids) + n for n, cid in enumerate(ids)}
            parts = [[(cid, screen_no[cid]) for cid in ids][i::args.screen_processes]
                     for i in range(args.screen_processes)]
            placed = asyncio.run(where(base, [address(n) for n in range(2 * len(ids))]))
            cross = {cid for n, cid in enumerate(ids) if placed[n] != placed[screen_no[cid]]}
            workers = [ctx.Process(target=screens_process, daemon=True, args=(
                "127.0.0.1", listen, token, part, ready, results, stop_event))
                for part in parts if part]
            for w in workers:
                w.start()
            screens = sum(ready.get(timeout=300) for _ in workers)
            log(f"{screens} screens joined through nginx {base}; servers on {ports}")
            cpu0 = {p.pid: process_cpu(p.pid) for p in procs}
            t0 = time.monotonic()
            sent, errors, acks, spread = asyncio.run(moderate_all(base, cookie, ids, args.seconds,
                                                          args.interval))
            elapsed = time.monotonic() - t0
            server_cpu = sum(process_cpu(pid) - c for pid, c in cpu0.items())
            stop_event.set()
            arrivals: dict[str, float] = {}
            for _ in workers:
                arrivals.update(results.get(timeout=120))
            for w in workers:
                w.join(30)
            latencies, missing = [], 0
            split: dict[bool, list[float]] = {True: [], False: []}
            for key, t_sent in sent.items():
                if key in arrivals:
                    latencies.append((arrivals[key] - t_sent) * 1000)
                    split[int(key.split(":")[0]) in cross].append(latencies[-1])
                else:
                    missing += 1
            out.update({
                "screens": screens, "commands": len(sent),
                "conferences_per_process": spread,
                "screen_on_another_process": len(cross),
                "p99_ms_same_process": round(percentile(split[False], 99), 1)
                if split[False] else None,
                "p99_ms_across_processes": round(percentile(split[True], 99), 1)
                if split[True] else None,
                "commands_per_s": round(len(sent) / elapsed, 1),
                "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
                "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
                "max_ms": round(max(latencies), 1) if latencies else None,
                "ack_p50_ms": round(percentile(acks, 50), 1) if acks else None,
                "ack_p99_ms": round(percentile(acks, 99), 1) if acks else None,
                "errors": sum(errors.values()) + missing, "errors_by_kind": dict(errors),
                "missing_on_screen": missing,
                "server_cpu_pct": round(server_cpu / elapsed * 100, 1),
                "exited": [p.returncode for p in procs if p.poll() is not None],
            })
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            log(f"run failed: {failure}")
        finally:
            stop([*procs, *([nginx] if nginx else [])])
            if prefix is not None:
                import shutil

                shutil.rmtree(prefix, ignore_errors=True)
            if failure:
                for p in sorted(Path(tmp).glob("server-*.log")):
                    log(f"--- {p.name}\n" + p.read_text(errors="replace")[-2000:])
    if made:
        async def drop() -> None:
            conn = await asyncpg.connect(f"{PG}/postgres")
            await conn.execute(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)')
            await conn.close()

        asyncio.run(drop())
    if failure:
        out["failure"] = failure
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False))
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
