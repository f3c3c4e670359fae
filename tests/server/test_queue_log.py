"""The queue is stored as a snapshot every SNAPSHOT_EVERY versions plus one row per command
since: a command writes one small row, and any process (or a restart) gets the same
queue back from the snapshot and the rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from server.auth import Actor
from server.db.models import Conference, QueueCommandRow, QueueSnapshot
from server.domain import queue as q
from server.keys import QUEUE, SESSIONMAKER
from server.queue.service import SNAPSHOT_EVERY, QueueService
from tests.conftest import ApiClient
from tests.server.test_record_api import CONF


async def send(c: ApiClient, cid: int, version: int, kind: str, **kw: Any) -> int:
    body = {"type": kind, "command_id": uuid.uuid4().hex, "base_version": version, **kw}
    ack = await c.ok("POST", f"/api/conferences/{cid}/queue/commands", body)
    return ack["version"]


async def run_commands(c: ApiClient, cid: int, version: int, until: int) -> int:
    """Registrations, and now and then a whole turn, until the queue reaches ``until``."""
    n = 0
    while version < until:
        n += 1
        if n % 7 == 0 and until - version >= 3:
            version = await send(c, cid, version, "call_next")
            staff = await c.ok("GET", f"/api/conferences/{cid}/queue")
            turn = staff["state"]["current_turn_id"]
            version = await send(c, cid, version, "start", turn_id=turn)
            version = await send(c, cid, version, "end", turn_id=turn)
        else:
            version = await send(c, cid, version, "register_turn",
                                 display_name=f"Người số {version}", hamlet="Thôn Đông")
    return version


async def test_snapshot_and_log_give_the_same_queue_to_every_process(client: ApiClient,
                                                                      app_server) -> None:
    _, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    version = await run_commands(client, cid, 0, SNAPSHOT_EVERY + 6)
    assert version == SNAPSHOT_EVERY + 6

    async with app[SESSIONMAKER]() as db:
        row = await db.get(Conference, cid)
        logged = list((await db.execute(select(QueueCommandRow.version).where(
            QueueCommandRow.conference_id == cid).order_by(QueueCommandRow.version))).scalars())
        snapshot_version = (await db.get(QueueSnapshot, cid)).state["version"]
    # the snapshot is the last multiple of SNAPSHOT_EVERY; only the commands after it are rows
    assert snapshot_version == SNAPSHOT_EVERY
    assert logged == list(range(SNAPSHOT_EVERY + 1, version + 1))
    assert row.queue_version == version

    actor = Actor(kind="user", commune_id=row.commune_id, role="admin", name="x", user_id=1)
    serving = app[QUEUE].cached(actor, cid)
    assert serving is not None and serving.version == version

    # another process: nothing in memory, so the snapshot and the rows after it
    other = QueueService()
    async with app[SESSIONMAKER]() as db:
        loaded = await other.snapshot(db, actor, cid)
    assert q.to_dict(loaded) == q.to_dict(serving)

    # it falls behind by a few commands: it applies the new rows to what it has ...
    version = await run_commands(client, cid, version, version + 4)
    async with app[SESSIONMAKER]() as db:
        conf_row = await db.get(Conference, cid)
        caught_up = await other._current(db, conf_row)
    assert caught_up.version == version
    assert q.to_dict(caught_up) == q.to_dict(app[QUEUE].cached(actor, cid))

    # ... and past a snapshot that dropped the rows it lacks: it reads the snapshot again
    version = await run_commands(client, cid, version, 2 * SNAPSHOT_EVERY + 2)
    async with app[SESSIONMAKER]() as db:
        conf_row = await db.get(Conference, cid)
        caught_up = await other._current(db, conf_row)
    assert caught_up.version == version
    assert q.to_dict(caught_up) == q.to_dict(app[QUEUE].cached(actor, cid))


async def test_the_balance_a_tablet_gets_stays_small_and_the_export_has_everyone(
        client: ApiClient, app_server) -> None:
    from server.queue.service import BALANCE_TOP

    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    version = 0
    for n in range(BALANCE_TOP + 5):  # more people speak than a tablet is sent
        version = await send(client, cid, version, "register_turn",
                             display_name=f"Người nói {n}", hamlet=f"Thôn {n % 3}")
        version = await send(client, cid, version, "call_next")
        staff = await client.ok("GET", f"/api/conferences/{cid}/queue")
        turn = staff["state"]["current_turn_id"]
        version = await send(client, cid, version, "start", turn_id=turn)
        version = await send(client, cid, version, "end", turn_id=turn)
    staff = await client.ok("GET", f"/api/conferences/{cid}/queue")
    shown = staff["balance"]
    assert shown["people_total"] == BALANCE_TOP + 5
    assert BALANCE_TOP <= len(shown["people"]) < BALANCE_TOP + 5
    assert sum(h["turns"] for h in shown["hamlets"]) == BALANCE_TOP + 5
    async with client.http.get(f"{client.base}/api/conferences/{cid}/balance.csv") as r:
        assert r.status == 200 and r.content_type == "text/csv"
        text = (await r.read()).decode("utf-8-sig")
    assert text.count("Người nói ") == BALANCE_TOP + 5
    assert "Thôn 0" in text and "Số lượt" in text


async def test_migration_moves_the_stored_queue_out_of_the_conference_row(db_url: str) -> None:
    """Revision 0011: a conference's stored queue moves, unchanged, to queue_snapshot, and
    the conference row no longer carries it; going back puts it where it was."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import inspect, text

    from server.db.session import alembic_config, make_engine
    from tests.server.test_limits import ROWS

    async def to(revision: str, down: bool = False) -> None:
        def run(sync_conn) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = sync_conn
            (command.downgrade if down else command.upgrade)(cfg, revision)

        async with engine.begin() as conn:
            await conn.run_sync(run)

    async def columns(table: str) -> set[str]:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns(table)})

    state = q.to_dict(q.new_queue(1))
    engine = make_engine(db_url)
    try:
        await to("0010")
        async with engine.begin() as conn:
            for sql in ROWS[:2]:  # a commune and conference 1
                await conn.execute(text(sql), {"at": datetime(2026, 1, 1, tzinfo=UTC)})
            await conn.execute(text(
                "INSERT INTO conference (id, commune_id, year, title, starts_at, venue, format, "
                "online_url, chair_name, front_name, council_name, content, purpose, "
                "how_to_attend, status, public_slug, queue_settings, queue_version, search_text, "
                "created_at, updated_at) SELECT 2, commune_id, year, title, starts_at, venue, "
                "format, online_url, chair_name, front_name, council_name, content, purpose, "
                "how_to_attend, status, 's2', queue_settings, 0, search_text, created_at, "
                "updated_at FROM conference WHERE id = 1"))
            await conn.execute(text("UPDATE conference SET queue_state = :s, queue_version = 1 "
                                    "WHERE id = 1"), {"s": json.dumps(state)})
        await to("head")
        assert "queue_state" not in await columns("conference")
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT conference_id, state FROM queue_snapshot"))).all()
        moved = [(cid, json.loads(s) if isinstance(s, str) else s) for cid, s in rows]
        assert moved == [(1, state)]  # conference 2 had nothing stored
        await to("0010", down=True)
        assert "queue_state" in await columns("conference")
        async with engine.connect() as conn:
            back = dict((await conn.execute(text(
                "SELECT id, queue_state FROM conference ORDER BY id"))).all())
        assert {cid: json.loads(s) if isinstance(s, str) else s for cid, s in back.items()
                if s is not None} == {1: state}
    finally:
        await engine.dispose()
