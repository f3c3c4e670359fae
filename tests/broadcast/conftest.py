"""Shared fixtures for the broadcast tests: a real aiohttp server on 127.0.0.1 running
BroadcastService, and a relay run as a real subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from broadcast.service import BroadcastService

REPO = Path(__file__).resolve().parents[2]
TOKEN = "relay-secret-token"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_even_udp_port() -> int:
    for _ in range(50):
        p = free_port(socket.SOCK_DGRAM)
        if p % 2 == 0 and p < 65534:
            return p
    raise RuntimeError("no even UDP port")


async def authorize(token: str) -> bool:
    return token == TOKEN


class Server:
    def __init__(self, svc: BroadcastService, runner: web.AppRunner, port: int) -> None:
        self.svc, self.runner, self.port = svc, runner, port
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[Server] = []

    async def start(source: str = "tone:1000", **kw: Any) -> Server:
        kw.setdefault("authorize_device", authorize)
        svc = BroadcastService(source, tmp_path / f"data{len(servers)}", **kw)
        app = web.Application()
        svc.add_routes(app)
        runner = web.AppRunner(app, handler_cancellation=True)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await svc.start()
        srv = Server(svc, runner, port)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        await srv.svc.stop()
        await srv.runner.cleanup()


class RelayProcess:
    def __init__(self, proc: asyncio.subprocess.Process, wav: Path) -> None:
        self.proc, self.wav = proc, wav

    @property
    def started_at(self) -> float:
        return float(json.loads(Path(f"{self.wav}.json").read_text())["started_at"])

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        err = await self.proc.stderr.read() if self.proc.stderr else b""
        return err.decode(errors="replace")


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[RelayProcess]]]:
    procs: list[RelayProcess] = []

    async def start(server_url: str, *extra: str, name: str = "Cụm loa thôn 3",
                    wav: Path | None = None, token: str = TOKEN) -> RelayProcess:
        wav = wav or tmp_path / f"relay{len(procs)}.wav"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "broadcast.cli", "relay", "--server", server_url, "--token", token,
            "--name", name, "--output", str(wav), "--report-interval", "0.5", *extra,
            cwd=str(REPO), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        rp = RelayProcess(proc, wav)
        procs.append(rp)
        return rp

    yield start
    for rp in procs:
        with contextlib.suppress(ProcessLookupError):
            await rp.stop()


async def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


async def read_stream(url: str, nbytes: int) -> bytes:
    """The first `nbytes` of a live mount (fewer if it ends)."""
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        data = b""
        while len(data) < nbytes:
            chunk = await resp.content.read(nbytes - len(data))
            if not chunk:
                break
            data += chunk
        return data
