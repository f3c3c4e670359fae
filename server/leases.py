"""Background jobs that run once across a set of server processes (a province).

When several processes serve one database (``doithoai serve --redis URL``, see
docs/province.md), each would otherwise start the same background jobs: two would send
the day's reminder e-mails, play a bulletin twice, transcribe a turn twice. A job group
is therefore run only by the process that holds its **lease**: one row in the
``job_lease`` table (name, owner, expiry). The holder renews it every third of its
lifetime; a process that finds it expired (its holder stopped, was killed or lost the
database) takes it and starts the jobs. A holder that could not renew in time stops its
jobs before anybody else may take them.

The lease is a database row, not a Redis lock, because the jobs' effects are in the
database: whoever can change them can also see and take the lease, in the same
transaction order, and an outage or restart of Redis (which only carries socket.io
messages) never lets two processes run the jobs. The expiry is read from the
database's own clock on PostgreSQL, so the processes' clocks need not agree.

The rules are pure functions (:func:`decide`, :func:`must_stop`) tested on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiohttp import web
from sqlalchemy import Column, MetaData, String, Table, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.db.models import UtcDateTime

log = logging.getLogger(__name__)

DEFAULT_TTL = 15.0  # seconds a lease lasts without being renewed

metadata = MetaData()
job_lease = Table(
    "job_lease", metadata,
    Column("name", String(100), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("expires_at", UtcDateTime(timezone=True), nullable=False),
    Column("taken_at", UtcDateTime(timezone=True), nullable=False),
)

Decision = Literal["take", "renew", "wait"]
Job = Callable[[web.Application], AsyncIterator[None]]  # an aiohttp cleanup context


def decide(holder: str | None, expires_at: datetime | None, me: str, now: datetime) -> Decision:
    """What ``me`` does with the lease a row shows (``holder`` None: no row yet).

    ``renew``: it is mine and still valid; ``take``: nobody holds it, or its holder let
    it expire (mine too: my jobs were stopped when I could not renew, so they start
    again); ``wait``: another process holds it until ``expires_at``.
    """
    if holder is None or expires_at is None or expires_at <= now:
        return "take"
    return "renew" if holder == me else "wait"


def must_stop(renewed_at: float, now: float, ttl: float) -> bool:
    """The holder's own rule: its jobs stop once its last renewal is two thirds of the
    lifetime old, leaving a third of it as a margin before another process may take the
    lease (the expiry is counted from before that renewal's commit)."""
    return now - renewed_at >= ttl * 2 / 3


def process_name() -> str:
    """Who holds a lease: the machine, the process id and a random part (a restarted
    process with the same id is another holder)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(3)}"[:200]


class Leases:
    """Takes, renews and gives back leases in the database, for one process."""

    def __init__(self, sessionmaker: async_sessionmaker, owner: str | None = None,
                 ttl: float = DEFAULT_TTL) -> None:
        self.sessionmaker = sessionmaker
        self.owner = owner or process_name()
        self.ttl = ttl

    async def hold(self, name: str) -> bool:
        """Take or renew ``name`` for ``ttl`` seconds; False while another process holds it."""
        async with self.sessionmaker() as db:
            try:
                async with db.begin():
                    if db.bind.dialect.name == "postgresql":
                        now = await db.scalar(text("SELECT now()"))
                    else:  # one machine: its clock
                        now = datetime.now(UTC)
                    row = (await db.execute(select(job_lease.c.owner, job_lease.c.expires_at)
                                            .where(job_lease.c.name == name)
                                            .with_for_update())).first()
                    action = decide(row.owner if row else None, row.expires_at if row else None,
                                    self.owner, now)
                    if action == "wait":
                        return False
                    expires = now + timedelta(seconds=self.ttl)
                    if row is None:
                        await db.execute(insert(job_lease).values(
                            name=name, owner=self.owner, expires_at=expires, taken_at=now))
                    elif action == "renew":
                        await db.execute(update(job_lease).where(job_lease.c.name == name)
                                         .values(expires_at=expires))
                    else:
                        await db.execute(update(job_lease).where(job_lease.c.name == name)
                                         .values(owner=self.owner, expires_at=expires,
                                                 taken_at=now))
            except IntegrityError:  # another process inserted the first row at the same time
                return False
        return True

    async def release(self, name: str) -> None:
        """Give the lease back (on shutdown), so another process takes it at once."""
        async with self.sessionmaker() as db, db.begin():
            await db.execute(delete(job_lease).where(job_lease.c.name == name,
                                                     job_lease.c.owner == self.owner))


class LeasedJobs:
    """A group of background jobs (aiohttp cleanup contexts) started only while this
    process holds the group's lease, and stopped when it no longer does."""

    def __init__(self, app: web.Application, name: str, jobs: Sequence[Job],
                 leases: Leases) -> None:
        self.app, self.name, self.jobs, self.leases = app, name, list(jobs), leases
        self.running: list[AsyncIterator[None]] = []
        self.renewed_at: float | None = None  # monotonic instant of the last renewal
        self._keeper: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None  # renewals go on while jobs start

    @property
    def holding(self) -> bool:
        return self.renewed_at is not None

    async def start(self) -> None:
        """Try once now (so a free lease starts the jobs during start-up, as without
        leases), then keep trying and renewing in the background."""
        await self._step()
        self._keeper = asyncio.get_running_loop().create_task(
            self._keep(), name=f"lease-{self.name}")
        if self._starting is not None:
            await asyncio.shield(self._starting)

    async def stop(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        if self.holding:
            await self._stop_jobs()
            self.renewed_at = None
            with contextlib.suppress(Exception):
                await self.leases.release(self.name)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.leases.ttl / 3)
            await self._step()

    async def _step(self) -> None:
        try:
            held = await self.leases.hold(self.name)
        except Exception as exc:  # the database is away: keep what the rule allows
            log.warning("lease %s: %s", self.name, exc)
            held = None
        now = time.monotonic()
        if held:
            if not self.holding:
                log.info("lease %s taken by %s: starting its jobs", self.name, self.leases.owner)
                self._starting = asyncio.get_running_loop().create_task(self._start_jobs())
            self.renewed_at = now
        elif self.holding and (held is False or must_stop(self.renewed_at, now, self.leases.ttl)):
            log.warning("lease %s lost by %s: stopping its jobs", self.name, self.leases.owner)
            self.renewed_at = None
            await self._stop_jobs()

    async def _start_jobs(self) -> None:
        for job in self.jobs:
            gen = job(self.app)
            try:
                await gen.__anext__()
            except Exception:
                log.exception("lease %s: a job failed to start", self.name)
                continue
            self.running.append(gen)

    async def _stop_jobs(self) -> None:
        starting, self._starting = self._starting, None
        if starting is not None:  # a job half started is let finish, then stopped
            with contextlib.suppress(BaseException):
                await asyncio.shield(starting)
        while self.running:
            gen = self.running.pop()
            try:
                await gen.__anext__()
            except StopAsyncIteration:
                pass
            except Exception:
                log.exception("lease %s: a job failed to stop", self.name)


def leased(name: str, jobs: Sequence[Job], leases: Leases) -> Job:
    """One cleanup context that runs ``jobs`` only while this process holds ``name``."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        group = LeasedJobs(app, name, jobs, leases)
        await group.start()
        yield
        await group.stop()

    ctx.__qualname__ = f"leased[{name}]"
    return ctx
