"""Start a province on this machine: nginx in front of N server processes on PostgreSQL
and Redis (docs/province.md). `make province` runs it.

    python deploy/province.py [--workers 2] [--port PORT] [--db-name doithoai_province]
                              [--pg postgresql://postgres@127.0.0.1:5432]
                              [--redis redis://127.0.0.1:6379/0] [--data-dir data-province]
                              [--audio-source tone:440] [--print-nginx]

It creates the database if it is missing, writes deploy/nginx.conf's template filled in
into a temporary folder, starts nginx there in the foreground (no root needed, no system
service touched) on --port or a free port, starts ``doithoai serve --workers N`` behind
it, prints the address to open, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> int:
    """A first port p such that p..p+n-1 are all free now."""
    for _ in range(200):
        first = free_port()
        if first + n > 65535:
            continue
        try:
            for p in range(first + 1, first + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return first
    raise SystemExit("no free port range")


def render_nginx(listen: str, ports: list[int], audio_port: int, prefix: Path) -> str:
    """deploy/nginx.conf with its fields filled in."""
    servers = "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"
                                for p in ports)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    return (TEMPLATE.read_text().replace("@@PREFIX@@", str(prefix))
            .replace("@@LISTEN@@", listen).replace("@@SERVERS@@", servers)
            .replace("@@AUDIO@@", f"127.0.0.1:{audio_port}").replace("@@USER@@", user))


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if not found:
        raise SystemExit("nginx is not installed (Debian: apt-get install nginx; `make deps`)")
    return found


def start_nginx(listen: str, ports: list[int], audio_port: int, prefix: Path | None = None
                ) -> tuple[subprocess.Popen, Path]:
    """nginx in the foreground with its own folder (made if not given); returns it and
    the folder. Its errors go to PREFIX/error.log."""
    prefix = prefix or Path(tempfile.mkdtemp(prefix="doithoai-nginx-"))
    prefix.chmod(0o755)  # its workers (nobody, when started as root) read and write here
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx(listen, ports, audio_port, prefix))
    binary = nginx_binary()
    check = subprocess.run([binary, "-t", "-p", str(prefix), "-c", str(conf)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        shutil.rmtree(prefix, ignore_errors=True)
        raise RuntimeError("nginx refused its configuration:\n" + check.stderr)
    proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=(prefix / "stderr.log").open("wb"))
    host, _, port = listen.rpartition(":")
    wait_port("127.0.0.1" if host in ("", "0.0.0.0", "*") else host, int(port), proc)
    return proc, prefix


def wait_port(host: str, port: int, proc: subprocess.Popen | None = None,
              timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before opening port {port}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


async def _ensure_database(pg: str, name: str) -> None:
    import asyncpg

    dsn = pg.replace("postgresql+asyncpg://", "postgresql://").rstrip("/")
    last: Exception | None = None
    for admin_db in ("postgres", "template1"):
        try:
            conn = await asyncpg.connect(f"{dsn}/{admin_db}")
        except Exception as exc:  # no such database, or not allowed: the next one
            last = exc
            continue
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
                print(f"Đã tạo cơ sở dữ liệu / created database {name}", flush=True)
        finally:
            await conn.close()
        return
    raise SystemExit(f"cannot reach PostgreSQL at {pg}: {last}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=0, help="nginx's port (default: a free one)")
    ap.add_argument("--db-name", default="doithoai_province")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                    help="the PostgreSQL server, without a database name")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--data-dir", type=Path, default=Path("data-province"))
    ap.add_argument("--audio-source", default="tone:440",
                    help="the hall's audio, captured by the first process only")
    ap.add_argument("--print-nginx", action="store_true",
                    help="print the filled-in nginx configuration and stop")
    args = ap.parse_args(argv)
    if not 1 <= args.workers <= 16:
        ap.error("--workers 1..16")
    port = args.port or free_port()
    first = free_ports(args.workers)
    ports = [first + i for i in range(args.workers)]
    if args.print_nginx:
        print(render_nginx(f"0.0.0.0:{port}", ports, first, Path("/var/lib/doithoai-nginx")))
        return 0
    asyncio.run(_ensure_database(args.pg, args.db_name))
    db = f"{args.pg.replace('postgresql://', 'postgresql+asyncpg://').rstrip('/')}/{args.db_name}"
    args.data_dir.mkdir(parents=True, exist_ok=True)
    serve = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                              "--port", str(first), "--workers", str(args.workers),
                              "--db", db, "--redis", args.redis, "--data-dir", str(args.data_dir),
                              "--audio-source", args.audio_source], cwd=ROOT)
    nginx = prefix = None
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        for p in ports:
            wait_port("127.0.0.1", p, serve, timeout=120)
        nginx, prefix = start_nginx(f"0.0.0.0:{port}", ports, first)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            r.read()
        sys.path.insert(0, str(ROOT))
        from server.net import lan_addresses

        print("\nTỉnh / province: nginx trước / in front of "
              f"{args.workers} tiến trình / processes (cổng / ports {ports}), "
              f"PostgreSQL {args.db_name}, Redis {args.redis}. Mở / open:", flush=True)
        for host in ["127.0.0.1", *lan_addresses()]:
            print(f"  http://{host}:{port}/", flush=True)
        print("  (Ctrl-C để dừng / to stop)\n", flush=True)
        while not stop and serve.poll() is None and nginx.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (nginx, serve):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if prefix is not None:
            shutil.rmtree(prefix, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
