"""HTTP read load: the real server next to a bare aiohttp endpoint, with a moderator working.

    python bench/http_load.py [--clients 200] [--seconds 60] [--db URL] [--processes N]
                              [--gen-processes P]

Starts, on this machine, a bare aiohttp endpoint (one process, a trivial handler that
returns a small JSON, run like the real server: ``web.run_app``, default event loop) and
the real server (``doithoai serve``; SQLite in a temporary folder unless --db; with
--processes N, N server processes on the same database and data folder, ports p..p+N-1).
It seeds a commune with conferences, participants, petitions and two queues with turns,
then runs three phases of --seconds each (after a short warm-up that is not counted),
with --clients closed-loop HTTP clients (keep-alive, one request at a time each) split
over load-generator processes (asyncio + aiohttp, uvloop when installed):

1. ``bare``: GET on the bare endpoint;
2. ``healthz``: GET /healthz (one database round trip);
3. ``mixed``: staff and public reads with a logged-in session (the yearly plan, one
   conference, the full and the public queue, petitions of a conference, the invitation
   list, the public announcement page), while a moderator (python-socketio AsyncClient,
   its own process) sends a queue command every 0.5 s, alternately ``register_turn`` and
   ``extend_time`` on the turn that is speaking, and times each acknowledgement.

Errors are non-2xx answers (by status) and exceptions (by class). The last line printed
is one JSON object; the goals are printed with it, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

from common import PASSWORD, REPO_ROOT, free_port, log, percentile, send_command

YEAR = 2026
GOALS = {"errors": 0, "moderator_ack_p99_ms": 300.0, "mixed_over_bare_min": 0.10,
         "healthz_over_bare_min": 0.30}


def free_ports(n: int) -> int:
    """A first port p such that p..p+n-1 are all free now."""
    for _ in range(200):
        p = free_port()
        if p + n > 65535:
            continue
        ok = True
        for q in range(p + 1, p + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", q))
                except OSError:
                    ok = False
                    break
        if ok:
            return p
    raise SystemExit("no free port range")


def wait_port(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}: "
                               + log_path.read_text(errors="replace")[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def stop_proc(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- the bare endpoint (run as: http_load.py --serve-bare PORT) ---------------------------


def serve_bare(port: int) -> None:
    from aiohttp import web

    async def hello(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": "0.1.0"})

    app = web.Application()
    app.router.add_get("/", hello)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None,
                shutdown_timeout=2)


# ---- the servers and the seed data --------------------------------------------------------


class Servers:
    def __init__(self, data_dir: Path, db: str | None, processes: int) -> None:
        self.data_dir, self.db, self.n = data_dir, db, processes
        self.procs: list[subprocess.Popen] = []
        self.bases: list[str] = []
        self.bare: subprocess.Popen | None = None
        self.bare_base = ""
        self.start_error: str | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        db_args = ["--db", self.db] if self.db else []
        port = free_port()
        bare_log = self.data_dir / "bare.log"
        self.bare = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(port)],
                                     cwd=REPO_ROOT, env=env, stdout=bare_log.open("wb"),
                                     stderr=subprocess.STDOUT)
        wait_port(self.bare, port, bare_log)
        self.bare_base = f"http://127.0.0.1:{port}"
        subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "bench", "--name",
                        "Quản trị đo tải", "--role", "admin", "--password", PASSWORD,
                        "--data-dir", str(self.data_dir), *db_args],
                       check=True, cwd=REPO_ROOT, env=env, capture_output=True)
        first = free_ports(self.n)
        for i in range(self.n):
            port = first + i
            log_path = self.data_dir / f"server-{i}.log"
            proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
                 str(port), "--data-dir", str(self.data_dir), *db_args],
                cwd=REPO_ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
            self.procs.append(proc)
            try:
                wait_port(proc, port, log_path)
            except RuntimeError as exc:  # a later process that cannot share the database
                if i == 0:
                    raise
                self.start_error = f"server process {i + 1}: {exc}"
                log(self.start_error)
                break
            self.bases.append(f"http://127.0.0.1:{port}")

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.poll() is None]

    def exited(self) -> list[int]:
        return [p.returncode for p in self.procs if p.poll() is not None]

    def stop(self) -> None:
        for p in [*self.procs, *([self.bare] if self.bare else [])]:
            stop_proc(p)


async def seed(base: str) -> dict[str, Any]:
    """Log in; plan 4 conferences with participants and petitions; two queues with turns."""
    import aiohttp
    from yarl import URL

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async def call(method: str, path: str, body: Any = None, status: int = 200) -> Any:
            async with http.request(method, base + path, json=body, headers=h) as r:
                if r.status != status:
                    raise RuntimeError(f"{method} {path}: {r.status} {await r.text()}")
                return await r.json()

        h: dict[str, str] = {}
        login = await call("POST", "/api/session", {"username": "bench", "password": PASSWORD})
        h["X-CSRF-Token"] = login["csrf_token"]
        fields = [f["id"] for f in await call("GET", "/api/fields")]
        confs: list[dict[str, Any]] = []
        for c in range(4):
            conf = await call("POST", "/api/conferences", {
                "title": f"Hội nghị đối thoại đo tải số {c + 1}",
                "starts_at": f"{YEAR}-12-{18 + c:02d}T08:00", "venue": "Hội trường UBND xã",
                "format": "in_person", "content": "Đất đai, giao thông nông thôn"}, 201)
            conf = await call("POST", f"/api/conferences/{conf['id']}/announce")
            confs.append(conf)
            for i in range(20):
                await call("POST", f"/api/conferences/{conf['id']}/participants", {
                    "full_name": f"Trần Thị Mời {c}-{i}", "hamlet": f"Thôn {i % 8 + 1}",
                    "kind": "citizen_rep"}, 201)
            for i in range(15):
                await call("POST", "/api/petitions", {
                    "conference_id": conf["id"], "raised_by": f"Lê Văn Kiến {c}-{i}",
                    "hamlet": f"Thôn {i % 8 + 1}", "field_id": fields[i % len(fields)],
                    "content": f"Đề nghị sửa đường liên thôn đoạn số {i}, mưa là ngập."}, 201)
        turns: dict[int, str] = {}
        for conf in confs[:2]:
            cid, version = conf["id"], 0
            for i in range(12):
                ack = await call("POST", f"/api/conferences/{cid}/queue/commands", {
                    "type": "register_turn", "command_id": uuid.uuid4().hex,
                    "base_version": version, "display_name": f"Nguyễn Văn Hỏi {cid}-{i}",
                    "hamlet": f"Thôn {i % 8 + 1}", "topic": "Đường liên thôn"})
                version = ack["version"]
            ack = await call("POST", f"/api/conferences/{cid}/queue/commands", {
                "type": "call_next", "command_id": uuid.uuid4().hex, "base_version": version})
            state = await call("GET", f"/api/conferences/{cid}/queue")
            turn_id = state["state"]["current_turn_id"]
            await call("POST", f"/api/conferences/{cid}/queue/commands", {
                "type": "start", "command_id": uuid.uuid4().hex, "base_version": ack["version"],
                "turn_id": turn_id})
            turns[cid] = turn_id
        jar = http.cookie_jar.filter_cookies(URL(base))
        cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
    return {"cookie": cookie, "confs": confs, "speaking": turns}


def mixed_paths(seeded: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, path) of the mixed phase; each client goes round the list from its own start."""
    paths = [("plan", f"/api/conferences?year={YEAR}")]
    for conf in seeded["confs"]:
        cid = conf["id"]
        paths += [("conference", f"/api/conferences/{cid}"),
                  ("queue", f"/api/conferences/{cid}/queue"),
                  ("queue_public", f"/api/conferences/{cid}/queue/public"),
                  ("petitions", f"/api/petitions?conference_id={cid}"),
                  ("participants", f"/api/conferences/{cid}/participants"),
                  ("announcement", f"/c/{conf['public_slug']}")]
    return paths


# ---- the load generator (its own processes) -----------------------------------------------


def generator_process(bases: list[str], paths: list[tuple[str, str]], cookie: str,
                      clients: list[int], go: Any, results: Any, ready: Any) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(_generate(bases, paths, cookie, clients, go, results, ready))
    else:
        uvloop.run(_generate(bases, paths, cookie, clients, go, results, ready))


async def _generate(bases: list[str], paths: list[tuple[str, str]], cookie: str,
                    clients: list[int], go: Any, results: Any, ready: Any) -> None:
    import aiohttp

    lat: dict[str, array] = {label: array("d") for label, _ in paths}
    statuses: dict[str, Counter] = {label: Counter() for label, _ in paths}
    done: Counter = Counter()
    headers = {"Cookie": cookie} if cookie else {}
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers,
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        ready.put(len(clients))
        loop = asyncio.get_running_loop()
        t_count, t_end = await loop.run_in_executor(None, go.get)

        async def one(n: int) -> None:
            base = bases[n % len(bases)]
            i = n
            now = time.monotonic
            while True:
                t0 = now()
                if t0 >= t_end:
                    return
                label, path = paths[i % len(paths)]
                i += 1
                try:
                    async with http.get(base + path) as r:
                        await r.read()
                        status: int | str = r.status
                except Exception as exc:  # counted, and the client goes on
                    status = type(exc).__name__
                    await asyncio.sleep(0.05)
                t1 = now()
                if t1 >= t_count:  # answered after the warm-up: its latency counts
                    lat[label].append(t1 - t0)
                    if t1 < t_end:
                        done[label] += 1
                if not (isinstance(status, int) and 200 <= status < 300):
                    statuses[label][str(status)] += 1  # warm-up and drain included

        cpu0 = time.process_time()
        await asyncio.gather(*(one(n) for n in clients))
        cpu = time.process_time() - cpu0
    results.put({"lat": {k: v.tobytes() for k, v in lat.items()}, "done": dict(done),
                 "errors": {k: dict(v) for k, v in statuses.items()}, "cpu_s": cpu})


def run_phase(name: str, bases: list[str], paths: list[tuple[str, str]], cookie: str,
              clients: int, gen_processes: int, seconds: float, warmup: float,
              server_pids: list[int], moderator: Any = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    go, results, ready = ctx.Queue(), ctx.Queue(), ctx.Queue()
    split = [list(range(i, clients, gen_processes)) for i in range(gen_processes)]
    workers = [ctx.Process(target=generator_process,
                           args=(bases, paths, cookie, part, go, results, ready), daemon=True)
               for part in split if part]
    for w in workers:
        w.start()
    for _ in workers:
        ready.get(timeout=120)
    if moderator is not None:
        moderator["ready"].get(timeout=120)  # connected and joined (or given up)
    t_start = time.monotonic() + 0.2
    t_count, t_end = t_start + warmup, t_start + warmup + seconds
    for _ in workers:
        go.put((t_count, t_end))
    mod_result = None
    if moderator is not None:
        moderator["go"].put((t_count, t_end))
    time.sleep(max(0.0, t_count - time.monotonic()))
    cpu0 = {pid: process_cpu(pid) for pid in server_pids}
    time.sleep(max(0.0, t_end - time.monotonic()))
    server_cpu = sum(process_cpu(pid) - c for pid, c in cpu0.items())
    reports = [results.get(timeout=120) for _ in workers]
    if moderator is not None:
        mod_result = moderator["results"].get(timeout=120)
        moderator["proc"].join(30)
    for w in workers:
        w.join(30)
    lat: dict[str, array] = {label: array("d") for label, _ in paths}
    errors: dict[str, Counter] = {label: Counter() for label, _ in paths}
    for r in reports:
        for label, raw in r["lat"].items():
            lat[label].frombytes(raw)
        for label, errs in r["errors"].items():
            errors[label].update(errs)
    every = array("d")
    for a in lat.values():
        every.extend(a)
    done: Counter = Counter()
    for r in reports:
        done.update(r["done"])
    total_errors: Counter = Counter()
    for c in errors.values():
        total_errors.update(c)
    out: dict[str, Any] = {
        "rps": round(sum(done.values()) / seconds, 1),
        "requests": sum(done.values()),
        "p50_ms": ms(percentile(every, 50) * 1000 if every else None),
        "p99_ms": ms(percentile(every, 99) * 1000 if every else None),
        "errors": sum(total_errors.values()),
        "errors_by_status": dict(total_errors),
        "server_cpu_pct": round(server_cpu / seconds * 100, 1),
        "generator_cpu_pct": round(sum(r["cpu_s"] for r in reports)
                                   / (seconds + warmup) * 100, 1),
    }
    if len(lat) > 1:
        out["by_path"] = {
            label: {"requests": done[label], "p50_ms": ms(percentile(a, 50) * 1000 if a else None),
                    "p99_ms": ms(percentile(a, 99) * 1000 if a else None),
                    "errors": sum(errors[label].values())}
            for label, a in lat.items()}
    log(f"{name}: {out['rps']} req/s, p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms, "
        f"errors {out['errors']} {out['errors_by_status'] or ''}; server CPU "
        f"{out['server_cpu_pct']} %, generators {out['generator_cpu_pct']} %")
    if mod_result is not None:
        out["moderator"] = mod_result
    return out


# ---- the moderator (its own process) ------------------------------------------------------


def moderator_process(base: str, cookie: str, cid: int, turn_id: str, interval: float,
                      go: Any, results: Any, ready: Any) -> None:
    asyncio.run(_moderate(base, cookie, cid, turn_id, interval, go, results, ready=ready))


async def _moderate(base: str, cookie: str, cid: int, turn_id: str, interval: float,
                    go: Any, results: Any, count: int = 0, ready: Any = None) -> None:
    """Send a command every ``interval`` s between the times given on ``go`` (or ``count``
    commands right away); put {acks, p50_ms, p99_ms, max_ms, errors, errors_by_code}."""
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    errors: Counter = Counter()
    acks: list[float] = []
    try:
        await sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"],
                          wait_timeout=30)
        joined = await sio.call("join", {"conference_id": cid}, timeout=30)
        version = joined["staff"]["version"]
        if ready is not None:
            ready.put(True)
            ready = None
        if count:
            t_count, t_end = time.monotonic(), float("inf")
        else:
            t_count, t_end = await asyncio.get_running_loop().run_in_executor(None, go.get)
        await asyncio.sleep(max(0.0, t_count - time.monotonic()))
        i, tick = 0, time.monotonic()
        while time.monotonic() < t_end and (not count or i < count):
            if i % 2 == 0:
                payload: dict[str, Any] = {
                    "type": "register_turn", "display_name": f"Phạm Văn Đăng {uuid.uuid4().hex[:8]}",
                    "hamlet": f"Thôn {i % 8 + 1}", "topic": "Đo tải"}
            else:
                payload = {"type": "extend_time", "turn_id": turn_id, "seconds": 10,
                           "reason": "Đo tải: thêm giờ"}
            payload.update(conference_id=cid, command_id=uuid.uuid4().hex, base_version=version)
            ack = await send_command(sio, payload, acks, errors)
            if ack is not None and ack.get("ok"):
                version = ack["version"]
            elif ack is not None:  # refused: start again from the queue as it is
                state = await sio.call("join", {"conference_id": cid}, timeout=30)
                version = state["staff"]["version"]
            i += 1
            tick += interval
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
    except Exception as exc:
        errors[type(exc).__name__] += 1
        if ready is not None:  # never connected: the phase runs without a moderator
            ready.put(False)
            await asyncio.get_running_loop().run_in_executor(None, go.get)
    finally:
        if sio.connected:
            await sio.disconnect()
    results.put({"acks": len(acks), "p50_ms": ms(percentile(acks, 50)),
                 "p99_ms": ms(percentile(acks, 99)), "max_ms": ms(max(acks) if acks else None),
                 "errors": sum(errors.values()), "errors_by_code": dict(errors)})


def idle_moderator(base: str, cookie: str, cid: int, turn_id: str) -> dict[str, Any]:
    """The same commands without read load: 10 of them, 0.2 s apart."""
    import queue

    out: queue.Queue = queue.Queue()
    asyncio.run(_moderate(base, cookie, cid, turn_id, 0.2, None, out, count=10))
    return out.get()


# ---- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0, help="counted time of each phase")
    ap.add_argument("--db", default=None, help="database URL (default: SQLite in a temp folder)")
    ap.add_argument("--processes", type=int, default=1, help="server processes on one database")
    ap.add_argument("--gen-processes", type=int, default=0,
                    help="load-generator processes (default: 1 up to 100 clients, else 2)")
    ap.add_argument("--keep-logs", default=None, metavar="DIR",
                    help="copy the servers' logs into DIR at the end")
    ap.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    if not 1 <= args.clients <= 5000 or not 1 <= args.seconds <= 600:
        ap.error("--clients 1..5000, --seconds 1..600")
    if not 1 <= args.processes <= 16:
        ap.error("--processes 1..16")
    gen = args.gen_processes or (1 if args.clients <= 100 else 2)
    warmup = min(2.0, args.seconds / 5)
    load_before = [round(x, 2) for x in os.getloadavg()]
    commit = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout.strip() or None
    out: dict[str, Any] = {
        "clients": args.clients, "seconds": args.seconds, "warmup_s": warmup,
        "db": "postgresql" if args.db and args.db.startswith("postgresql") else "sqlite",
        "processes": args.processes, "generator_processes": gen, "commit": commit,
        "load_avg_before": load_before, "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="http-load-") as tmp:
        servers = Servers(Path(tmp), args.db, args.processes)
        failure: str | None = None
        try:
            servers.start()
            out["processes_started"] = len(servers.bases)
            seeded = asyncio.run(seed(servers.bases[0]))
            cid = seeded["confs"][0]["id"]
            turn_id = seeded["speaking"][cid]
            log(f"servers {servers.bases} (pids {servers.pids()}), bare {servers.bare_base}; "
                f"load average {load_before}")
            out["moderator_idle"] = idle_moderator(servers.bases[0], seeded["cookie"], cid,
                                                   turn_id)
            phase = {"bases": servers.bases, "cookie": seeded["cookie"], "clients": args.clients,
                     "gen_processes": gen, "seconds": args.seconds, "warmup": warmup,
                     "server_pids": servers.pids()}
            out["bare"] = run_phase("bare", **{**phase, "bases": [servers.bare_base],
                                               "server_pids": [servers.bare.pid]},
                                    paths=[("bare", "/")])
            out["healthz"] = run_phase("healthz", **phase, paths=[("healthz", "/healthz")])
            ctx = mp.get_context("spawn")
            mod = {"go": ctx.Queue(), "results": ctx.Queue(), "ready": ctx.Queue()}
            mod["proc"] = ctx.Process(target=moderator_process, daemon=True, args=(
                servers.bases[0], seeded["cookie"], cid, turn_id, 0.5, mod["go"],
                mod["results"], mod["ready"]))
            mod["proc"].start()
            out["mixed"] = run_phase("mixed", **phase, paths=mixed_paths(seeded), moderator=mod)
            out["moderator"] = out["mixed"].pop("moderator")
            log(f"moderator: {out['moderator']}")
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            log(f"run failed: {failure}")
        finally:
            out["server_exit_codes"] = servers.exited()
            servers.stop()
            if failure or servers.start_error or out["server_exit_codes"]:
                logs = sorted(Path(tmp).glob("server-*.log"))
                out["server_log_tail"] = [p.read_text(errors="replace")[-600:] for p in logs
                                          if "Traceback" in p.read_text(errors="replace")]
            if args.keep_logs:
                keep = Path(args.keep_logs)
                keep.mkdir(parents=True, exist_ok=True)
                for p in Path(tmp).glob("*.log"):
                    shutil.copy(p, keep / p.name)
    if failure:
        out["failure"] = failure
    if servers.start_error:
        out["failure"] = servers.start_error
    if args.processes > 1:
        out["processes_supported"] = not (failure or servers.start_error
                                          or out["server_exit_codes"])
    bare = out.get("bare", {}).get("rps")
    if bare:
        out["healthz_over_bare"] = round(out.get("healthz", {}).get("rps", 0) / bare, 3)
        out["mixed_over_bare"] = round(out.get("mixed", {}).get("rps", 0) / bare, 3)
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["goals"] = GOALS
    if "moderator" in out:
        errs = sum(out[k]["errors"] for k in ("bare", "healthz", "mixed")) \
            + out["moderator"]["errors"]
        p99 = out["moderator"]["p99_ms"]
        out["goals_met"] = {
            "errors": errs == GOALS["errors"],
            "moderator_ack_p99_ms": p99 is not None and p99 <= GOALS["moderator_ack_p99_ms"],
            "mixed_over_bare_min": out.get("mixed_over_bare", 0) >= GOALS["mixed_over_bare_min"],
            "healthz_over_bare_min":
                out.get("healthz_over_bare", 0) >= GOALS["healthz_over_bare_min"],
        }
    print(json.dumps(out, ensure_ascii=False))
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
