"""What the benchmarks share: progress lines, free ports, percentiles, and the real
server started as `doithoai serve` with an administrator of a known password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "mat-khau-bench-123"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation; None for no values."""
    s = sorted(values)
    if not s:
        return None
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def start_server(data_dir: Path, db: str | None, *, timeout: float = 60,
                 extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """`doithoai serve` on a free loopback port (with the flags ``extra``), with the user
    `bench` (admin, PASSWORD); its output goes to data_dir/server.log. Returns the process
    and its base URL."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    db_args = ["--db", db] if db else []
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "bench", "--name",
                    "Quản trị đo tải", "--role", "admin", "--password", PASSWORD,
                    "--data-dir", str(data_dir), *db_args],
                   check=True, cwd=REPO_ROOT, env=env, capture_output=True)
    port = free_port()
    log_path = data_dir / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--data-dir", str(data_dir), *db_args, *extra],
                            cwd=REPO_ROOT, env=env, stdout=log_path.open("wb"),
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log_path.read_text(errors="replace")[-3000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start: " + log_path.read_text(errors="replace")[-3000:])


async def send_command(sio: Any, payload: dict[str, Any], acks: list[float],
                       errors: Counter, clock: Callable[[], float] = time.monotonic
                       ) -> dict[str, Any] | None:
    """Send one queue command over socket.io and count it: its acknowledgement delay in ms
    goes to ``acks`` when applied, a refusal's code or an exception's name to ``errors``.
    Returns the acknowledgement (applied or refused), None when none came."""
    t0 = clock()
    try:
        ack = await sio.call("queue:command", payload, timeout=30)
    except Exception as exc:  # noqa: BLE001 - counted, the run goes on
        errors[type(exc).__name__] += 1
        return None
    if not ack.get("ok"):
        errors[ack.get("error", {}).get("code", "refused")] += 1
        return ack
    acks.append((clock() - t0) * 1000)
    return ack


async def display_token_and_cookie(http: Any, base: str, headers: dict[str, str]
                                   ) -> tuple[str, str]:
    """A public-screen device token issued by the logged-in ``http`` session, and that
    session's cookie header (for socket.io clients of the same person)."""
    from yarl import URL

    async with http.post(base + "/api/devices", headers=headers,
                         json={"name": "Màn hình đo tải", "kind": "display"}) as r:
        assert r.status == 201, await r.text()
        token = (await r.json())["token"]
    jar = http.cookie_jar.filter_cookies(URL(base))
    return token, "; ".join(f"{k}={v.value}" for k, v in jar.items())


def load_transcripts(folder: Path) -> list[tuple[Path, str]]:
    """The recordings of a folder like ../shared/testdata/speech-vi and their reference
    texts (``transcripts.tsv``: file, tab, text)."""
    rows = []
    for line in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, text = line.split("\t", 1)
            rows.append((folder / name, text.strip()))
    if not rows:
        raise SystemExit(f"no recordings listed in {folder / 'transcripts.tsv'}")
    return rows
