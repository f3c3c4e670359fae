"""How many listeners the built-in /live.opus mount serves at 48 kbps before any falls behind,
and at what CPU, side by side with icecast2 fed the same stream, on this machine.

The server (BroadcastService + aiohttp, tone source, pushing to a local icecast2) runs in a
child process; this process opens the listeners (plain sockets, HTTP/1.1) in steps up to
--listeners and counts the bytes each receives over --hold seconds. A listener "falls behind"
when it receives less than 90 % of the stream's rate or is disconnected. CPU is the server
process's (or icecast2's) user+system time over the hold, in % of one core.

    .venv/bin/python bench/audio_fanout.py --listeners 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from broadcast.icecast_local import LocalIcecast  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Counter(asyncio.Protocol):
    def __init__(self, request: bytes) -> None:
        self.request = request
        self.bytes = 0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.bytes += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True


async def open_listeners(port: int, path: str, n: int) -> list[tuple[asyncio.BaseTransport, Counter]]:
    loop = asyncio.get_running_loop()
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fanout-bench\r\n\r\n".encode()
    out = []
    for i in range(n):
        tr, proto = await loop.create_connection(lambda: Counter(req), "127.0.0.1", port)
        out.append((tr, proto))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    return out


async def measure(port: int, path: str, n: int, hold: float, pid: int, rate: float | None) -> dict:
    listeners = await open_listeners(port, path, n)
    await asyncio.sleep(2.0)  # let every connection settle
    before = [p.bytes for _, p in listeners]
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(hold)
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    got = [(p.bytes - b) / (t1 - t0) for (_, p), b in zip(listeners, before, strict=True)]
    closed = sum(p.closed for _, p in listeners)
    for tr, _ in listeners:
        tr.close()
    await asyncio.sleep(0.5)
    ref = rate or sorted(got)[len(got) // 2]
    behind = sum(1 for g in got if g < 0.9 * ref) + closed
    return {"listeners": n, "behind": behind, "closed": closed, "cpu_pct": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
            "min_kbps": round(min(got) * 8 / 1000, 1), "median_kbps": round(sorted(got)[len(got) // 2] * 8 / 1000, 1)}


def serve(port: int, icecast_url: str, data_dir: str) -> None:
    """Child process: the conference server's broadcast part alone."""
    raise_nofile()
    from aiohttp import web

    from broadcast.service import BroadcastService

    async def main() -> None:
        svc = BroadcastService("tone:440", Path(data_dir), icecast_urls=[icecast_url])
        app = web.Application()
        svc.add_routes(app)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
        await svc.start()
        await svc.set_on_air(True, chime=False)
        await asyncio.Event().wait()

    asyncio.run(main())


async def main(max_listeners: int, hold: float) -> dict:
    raise_nofile()
    ice = LocalIcecast(free_port(), "bench-pw", clients=max_listeners + 100)
    ice.start()
    port = free_port()
    data = tempfile.mkdtemp(prefix="doithoai-fanout-")
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port), ice.source_url("live.opus"), data],
                             cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        await asyncio.sleep(4.0)
        # the stream's own rate, from one listener
        base = await measure(port, "/live.opus", 1, 5.0, child.pid, None)
        rate = base["median_kbps"] * 1000 / 8
        steps = sorted({s for s in (max_listeners // 8, max_listeners // 4, max_listeners // 2,
                                    max_listeners) if s > 0})
        rows: dict[str, list[dict]] = {"builtin": [], "icecast": []}
        for name, target_port, path, pid in (("builtin", port, "/live.opus", child.pid),
                                             ("icecast", ice.port, "/live.opus", ice.pid or 0)):
            for n in steps:
                row = await measure(target_port, path, n, hold, pid, rate)
                rows[name].append(row)
                print(name, json.dumps(row), file=sys.stderr)
                if row["behind"]:
                    break
        def served(name: str) -> int:
            ok = [r["listeners"] for r in rows[name] if r["behind"] == 0]
            return max(ok, default=0)
        def cpu_at(name: str, n: int) -> float | None:
            return next((r["cpu_pct"] for r in rows[name] if r["listeners"] == n), None)
        return {"stream_kbps": base["median_kbps"], "steps": steps, "hold_s": hold,
                "builtin_max_ok_listeners": served("builtin"),
                "icecast_max_ok_listeners": served("icecast"),
                "builtin_cpu_pct_at_max": cpu_at("builtin", served("builtin")),
                "icecast_cpu_pct_at_max": cpu_at("icecast", served("icecast")),
                "builtin": rows["builtin"], "icecast": rows["icecast"], "goal_listeners": 1000}
    finally:
        child.terminate()
        child.wait(10)
        ice.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listeners", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=10.0, help="seconds measured at each step")
    args = ap.parse_args()
    print(json.dumps(asyncio.run(main(args.listeners, args.hold))))
