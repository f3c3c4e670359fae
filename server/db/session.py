"""Engine and session factory; migrations are applied on start."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
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
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_timeout=pool_timeout, pool_pre_ping=True,
                               json_serializer=_json_serializer)


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
