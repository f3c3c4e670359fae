"""The nightly backup (a background job of the server) and ``GET /api/backups/status``,
which the administrator's tablet shows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel

from server.api.registry import Api, Call
from server.backup import store
from server.backup.backup import BackupError, next_backup_at, status
from server.keys import APIS, CONFIG

log = logging.getLogger(__name__)
api = Api()
RECHECK_S = 600.0  # the job looks again at least this often (a clock change, a manual backup)
RETRY_AFTER = timedelta(hours=1)  # after a failed backup


@dataclass
class BackupState:
    running: bool = False
    last_error: str | None = None
    failed_at: datetime | None = None
    next_at: datetime | None = None


STATE: web.AppKey[BackupState] = web.AppKey("backup_state", BackupState)


class LastBackup(BaseModel):
    at: datetime
    size: int  # bytes, every file of the backup
    folder: str


class BackupStatus(BaseModel):
    enabled: bool  # nightly backups are on (serve --backup-dir)
    keep: int  # how many are kept
    last: LastBackup | None  # the newest complete backup in the backup folder
    stale: bool  # on, and the last good backup is missing or older than a day
    message: str | None  # the warning to show, in Vietnamese (None: all is well)
    last_error: str | None  # why the last attempt failed, if it did
    next_at: datetime | None  # when the next backup is due


@api.route("GET", "/api/backups/status", summary="The last good backup, and whether it is stale",
           tag="admin", permission="manage_settings", response=BackupStatus, transaction=False)
async def backup_status(call: Call) -> BackupStatus:
    config = call.app[CONFIG]
    state = call.app[STATE]
    last = await asyncio.to_thread(store.latest, config.backup_dir)
    return BackupStatus(**status(enabled=config.backup_dir is not None, keep=config.backup_keep,
                                 last=last, now=datetime.now(UTC), last_error=state.last_error,
                                 next_at=state.next_at))


async def backup_now(app: web.Application) -> Path:
    """One backup into the configured folder, then the oldest beyond the count deleted.
    The files are copied in a thread; the server goes on serving meanwhile."""
    config = app[CONFIG]
    state = app[STATE]
    assert config.backup_dir is not None
    state.running = True
    try:
        folder = await asyncio.to_thread(store.make_backup, config.backup_dir, config.data_dir,
                                         config.db_url)
        gone = await asyncio.to_thread(store.prune, config.backup_dir, config.backup_keep)
    except BackupError as exc:
        state.last_error, state.failed_at = exc.message, datetime.now(UTC)
        raise
    except Exception as exc:
        state.last_error, state.failed_at = f"{type(exc).__name__}: {exc}", datetime.now(UTC)
        raise
    finally:
        state.running = False
    state.last_error = state.failed_at = None
    log.info("backup %s made%s", folder, f"; deleted {', '.join(gone)}" if gone else "")
    return folder


async def _loop(app: web.Application) -> None:
    config = app[CONFIG]
    state = app[STATE]
    while True:
        now = datetime.now(UTC)
        try:
            last = await asyncio.to_thread(store.latest, config.backup_dir)
            due = next_backup_at(now, last["at"] if last else None)
            if state.failed_at is not None:
                due = max(due, state.failed_at + RETRY_AFTER)
            state.next_at = due
            if due <= now:
                await backup_now(app)
                continue
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed night must not stop the next ones
            log.exception("nightly backup failed")
            if state.failed_at is None:
                state.last_error, state.failed_at = str(exc), now
            await asyncio.sleep(RECHECK_S)
            continue
        await asyncio.sleep(min((due - now).total_seconds(), RECHECK_S))


async def nightly_backups(app: web.Application) -> AsyncIterator[None]:
    """Background job (cleanup_ctx): one backup a night into ``Config.backup_dir`` (at 02:00
    Vietnam time, or at start when the last is a day old), keeping ``Config.backup_keep``."""
    task = None
    if app[CONFIG].backup_dir is not None:
        task = asyncio.create_task(_loop(app), name="nightly-backups")
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup(app: web.Application) -> None:
    app[APIS].append(api)
    api.add_to(app)
    app[STATE] = BackupState()
