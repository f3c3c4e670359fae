"""Engine and session factory; migrations are applied on start."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(url: str | None, data_dir: Path) -> str:
    """The given URL with its async driver, or the embedded SQLite file under ``data_dir``."""
    if not url:
        return f"sqlite+aiosqlite:///{(data_dir / 'doithoai.sqlite3').resolve()}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername not in ("postgresql+asyncpg", "sqlite+aiosqlite"):
        raise ValueError(
            f"Unsupported database URL {parsed.drivername!r}: use sqlite:///FILE or "
            "postgresql+asyncpg://USER@HOST/DB"
        )
    return parsed.render_as_string(hide_password=False)


class PreEncodedJSON(str):
    """JSON text the caller already made (the queue's state, written after every command
    from each turn's cached text): a JSON column stores it as it is."""


def _json_serializer(value: object) -> str:
    return str(value) if isinstance(value, PreEncodedJSON) else json.dumps(value)


def make_engine(url: str, pool_size: int = 10, pool_timeout: float = 30.0) -> AsyncEngine:
    """The engine and its pool. Every request and job holds at most one connection at a
    time, so waiting for one always ends when another request finishes."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=pool_size,
                                     max_overflow=pool_size, pool_timeout=pool_timeout,
                                     json_serializer=_json_serializer)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # PostgreSQL: as many connections as SQLite's pool may reach (2 x pool_size), all kept
    # open once made. An overflow connection is closed when given back, so a burst of
    # commands on a busy machine made new connections again and again (a new server
    # process each, tens of milliseconds), just when every millisecond counted.
    engine = create_async_engine(url, pool_size=2 * pool_size, max_overflow=0,
                                 pool_timeout=pool_timeout, json_serializer=_json_serializer)

    @event.listens_for(engine.sync_engine, "checkout")
    def _closed_is_replaced(dbapi_conn, _record, _proxy):  # type: ignore[no-untyped-def]
        """A connection the database closed (a restart) is replaced before use. asyncpg
        knows its socket was closed, so this costs no round trip; SQLAlchemy's pre-ping
        cost three (BEGIN, a query, ROLLBACK) on every request, which on a busy machine
        was a good part of a queue command's time."""
        raw = getattr(dbapi_conn, "_connection", None)
        if raw is not None and raw.is_closed():
            raise DisconnectionError("connection closed by the database server")

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent)."""

    def _upgrade(sync_conn) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
