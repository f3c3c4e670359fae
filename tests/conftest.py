"""Shared fixtures: real databases (a SQLite file and the machine's PostgreSQL), the
real server in-process or as a subprocess, and a logged-in JSON client."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from server.keys import SESSIONMAKER

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("DOITHOAI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_PASSWORD = "mat-khau-thu-nghiem"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    name = f"doithoai_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


class ApiClient:
    """A JSON client holding a login session and its CSRF token."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = session
        self.csrf = ""

    async def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict:
        status, body = await self.call("POST", "/api/session",
                                       {"username": username, "password": password})
        assert status == 200, body
        self.csrf = body["csrf_token"]
        return body

    async def call(self, method: str, path: str, json: Any = None, *,
                   headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        h = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        h.update(headers or {})
        kw: dict[str, Any] = {"headers": h}
        if raw is not None:
            kw["data"] = raw
        elif json is not None:
            kw["json"] = json
        async with self.http.request(method, self.base + path, **kw) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def ok(self, method: str, path: str, json: Any = None, status: int | None = None) -> Any:
        code, body = await self.call(method, path, json)
        expected = status or (201 if method == "POST" and code == 201 else 200)
        assert code == expected, (code, body)
        return body


@pytest.fixture
async def app_server(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, Any]]:
    """The real application on a loopback port, in this process; yields (base URL, app)."""
    from aiohttp import web

    from server.api.schemas import UserIn
    from server.app import Config, create_app
    from server.commands.accounts import add_user

    config = Config(data_dir=tmp_path / "data", db_url=db_url, audio_source="tone:440")
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    async with app[SESSIONMAKER]() as db, db.begin():
        from sqlalchemy import select

        from server.db.models import User

        admin = (await db.execute(select(User).where(User.username == "admin"))).scalar_one()
        from server.auth import hash_password

        admin.password_hash = hash_password(ADMIN_PASSWORD)
        await add_user(db, "test", admin.commune_id, UserIn(
            username="viewer1", full_name="Người Xem", role="viewer", password=ADMIN_PASSWORD))
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(app_server: tuple[str, Any]) -> AsyncIterator[ApiClient]:
    base, _ = app_server
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = ApiClient(base, http)
        await c.login()
        yield c


@pytest.fixture
async def anon(app_server: tuple[str, Any]) -> AsyncIterator[ApiClient]:
    base, _ = app_server
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield ApiClient(base, http)


class LiveServer:
    def __init__(self, base: str, proc: subprocess.Popen, data_dir: Path, db_url: str) -> None:
        self.base = base
        self.proc = proc
        self.data_dir = data_dir
        self.db_url = db_url


def start_live_server(data_dir: Path, db_url: str | None = None, extra: list[str] | None = None,
                      port: int | None = None) -> LiveServer:
    """`doithoai serve` as a real subprocess, with an admin account of known password."""
    port = port or free_port()
    db_args = ["--db", db_url] if db_url else []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "admin2", "--name",
                    "Quản trị thử", "--role", "admin", "--password", ADMIN_PASSWORD,
                    "--data-dir", str(data_dir), *db_args], check=True, cwd=ROOT, env=env,
                   capture_output=True)
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--data-dir", str(data_dir), *db_args,
                             *(extra or [])], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text(errors="replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("server did not start: " + (data_dir / "server.log").read_text())
    return LiveServer(base, proc, data_dir, db_url or "")


def stop_live_server(server: LiveServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    data = tmp_path / "live"
    data.mkdir()
    server = start_live_server(data)
    try:
        yield server
    finally:
        stop_live_server(server)
