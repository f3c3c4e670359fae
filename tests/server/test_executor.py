"""The one way to act: one connection per request, events only after a commit, nothing
written or published by a refused action, reads the hall polls served from memory."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import event, func, select

from server.app import Config, create_app
from server.auth import Actor, hash_password
from server.db.models import AuditEvent, User
from server.domain.errors import Invalid
from server.events import BulletinsChanged
from server.executor import Action, Context
from server.keys import BUS, ENGINE, EXECUTOR, SESSIONMAKER
from tests.conftest import ApiClient, free_port
from tests.server.test_queue_realtime import cmd
from tests.server.test_record_api import CONF


async def _start(config: Config) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with runner.app[SESSIONMAKER]() as db, db.begin():
        admin = (await db.execute(select(User))).scalar_one()
        admin.password_hash = hash_password("mat-khau-123")
    return runner, f"http://127.0.0.1:{port}"


async def test_a_tiny_pool_serves_a_crowd_of_queue_readers(db_url: str, tmp_path: Path):
    """Two connections in all: if any request held two, concurrent queue reads would wait
    on each other until the pool timeout and answer 500."""
    runner, base = await _start(Config(data_dir=tmp_path / "d", db_url=db_url,
                                       db_pool_size=1, db_pool_timeout=3))
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            c = ApiClient(base, http)
            await c.login("admin", "mat-khau-123")
            conf = await c.ok("POST", "/api/conferences", CONF, status=201)
            cid = conf["id"]
            qpath = f"/api/conferences/{cid}/queue/commands"
            await c.ok("POST", qpath, cmd("register_turn", 0, display_name="Lê Văn Tám",
                                          hamlet="Thôn 2"))
            paths = [f"/api/conferences/{cid}/queue", f"/api/conferences/{cid}/queue/public",
                     f"/api/conferences/{cid}", "/api/conferences", "/healthz"]
            started = time.monotonic()
            reads = [c.call("GET", paths[i % len(paths)]) for i in range(60)]
            command = c.call("POST", qpath, cmd("call_next", 1))
            results = await asyncio.gather(*reads, command)
            elapsed = time.monotonic() - started
        assert [s for s, _ in results if s != 200] == [], results
        assert results[-1][1]["version"] == 2
        assert elapsed < 3, elapsed  # nobody waited for the pool timeout
    finally:
        await runner.cleanup()


class _Refused(Action):
    name = "test.refused"
    permission = None

    async def run(self, ctx: Context, data: Any) -> Any:
        ctx.audit("test.refused", "conference", 1)
        ctx.emit(BulletinsChanged(1, None))
        raise Invalid("nope", "Không được.")


class _Done(Action):
    name = "test.done"
    permission = None

    async def run(self, ctx: Context, data: Any) -> Any:
        ctx.audit("test.done", "conference", 1)
        ctx.emit(BulletinsChanged(1, None))
        return "ok"


async def test_events_follow_the_commit_and_a_refusal_writes_and_publishes_nothing(
        tmp_path: Path):
    app = create_app(Config(data_dir=tmp_path / "d"))
    runner = web.AppRunner(app)
    await runner.setup()  # runs the migrations
    try:
        heard: list[Any] = []
        committed_when_heard: list[int] = []

        async def listener(event: Any) -> None:
            async with app[SESSIONMAKER]() as db:  # the change is visible to others
                committed_when_heard.append((await db.execute(select(func.count()).select_from(
                    AuditEvent).where(AuditEvent.action == "test.done"))).scalar_one())
            heard.append(event)

        app[BUS].listen(BulletinsChanged, listener)
        admin = Actor(kind="user", commune_id=1, role="admin", name="Thử", user_id=1)
        with pytest.raises(Invalid):
            await app[EXECUTOR].run(_Refused(), admin, {})
        assert heard == []
        async with app[SESSIONMAKER]() as db:
            refused = (await db.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "test.refused"))).scalar_one()
        assert refused == 0
        assert await app[EXECUTOR].run(_Done(), admin, {}) == "ok"
        assert heard == [BulletinsChanged(1, None)] and committed_when_heard == [1]
    finally:
        await runner.cleanup()


async def test_queue_reads_come_from_memory_and_follow_every_command(client: ApiClient,
                                                                     app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    qpath = f"/api/conferences/{cid}/queue/commands"
    await client.ok("POST", qpath, cmd("register_turn", 0, display_name="Hà Thị Lan",
                                       hamlet="Bon B"))
    _, app = app_server
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    await client.ok("GET", f"/api/conferences/{cid}/queue")  # the login is known from now on
    event.listen(app[ENGINE].sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            staff = await client.ok("GET", f"/api/conferences/{cid}/queue")
            public = await client.ok("GET", f"/api/conferences/{cid}/queue/public")
        reads = list(statements)
        await client.ok("POST", qpath, cmd("call_next", 1))
        staff_after = await client.ok("GET", f"/api/conferences/{cid}/queue")
    finally:
        event.remove(app[ENGINE].sync_engine, "before_cursor_execute", count)
    assert reads == []  # ten reads, not one statement: served from memory
    assert staff["version"] == public["version"] == 1
    assert staff_after["version"] == 2 and staff_after["state"]["current_turn_id"]
    assert len(statements) > len(reads)  # the command itself did write


async def test_cached_reads_follow_every_write(client: ApiClient, app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    path = f"/api/conferences/{conf['id']}"
    assert (await client.ok("GET", path))["title"] == CONF["title"]
    _, app = app_server
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(app[ENGINE].sync_engine, "before_cursor_execute", count)
    try:
        again = await client.ok("GET", path)
        served_from_memory = list(statements)
        await client.ok("PATCH", path, {"title": "Hội nghị đối thoại quý IV"})
        after = await client.ok("GET", path)
    finally:
        event.remove(app[ENGINE].sync_engine, "before_cursor_execute", count)
    assert again["title"] == CONF["title"] and served_from_memory == []
    assert after["title"] == "Hội nghị đối thoại quý IV"  # the write made the copy stale
