"""Runs every action the same way, whatever carried it (HTTP, socket.io, the CLI):

    permission -> validation -> [the action's lock] -> one session, one transaction
    -> run (the action writes its audit record in the same transaction) -> commit
    -> publish the events the action emitted -> [release the lock]

A request never holds more than one pooled connection: the unit of work is the only
place that opens a session for it, and everything the action calls gets that session.
A refused action raises a ``DomainError`` before the commit, so it writes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from server.api.errors import from_validation
from server.auth import Actor
from server.commands import audit
from server.domain.errors import forbidden, unauthenticated
from server.domain.inputs import refuse_big_ints
from server.domain.roles import can
from server.events import Bus

WROTE = "doithoai.wrote"  # set on a session that sent an INSERT, UPDATE or DELETE


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


@dataclass
class Unit:
    """One unit of work: its session (inside one transaction) and the events to publish
    once it has committed."""

    db: AsyncSession
    events: list[Any] = field(default_factory=list)

    def emit(self, event: Any) -> None:
        self.events.append(event)


@dataclass
class Context:
    """What an action runs with."""

    unit: Unit
    actor: Actor
    now: datetime
    services: Any  # the aiohttp application, read through its AppKeys

    @property
    def db(self) -> AsyncSession:
        return self.unit.db

    def emit(self, event: Any) -> None:
        self.unit.emit(event)

    def audit(self, action: str, entity: str, entity_id: Any, *,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
              reason: str = "") -> None:
        audit.record(self.db, self.actor, action, entity, entity_id, before=before, after=after,
                     reason=reason)


class Action:
    """One thing a person or device can do. Subclasses set ``name``, ``permission`` and
    ``Input`` (a pydantic model, or None for a free-form payload checked by the domain),
    and implement ``run``."""

    name: ClassVar[str] = ""
    permission: ClassVar[str | None] = "view"  # None: anyone, even without a login
    devices: ClassVar[bool] = False  # device tokens (screens, relays) may run it
    Input: ClassVar[type[BaseModel] | None] = None

    def authorize(self, actor: Actor | None, data: Any) -> None:
        """Refuse a caller without the permission (``data`` is the parsed input)."""
        if self.permission is None:
            return
        if actor is None:
            raise unauthenticated()
        if actor.kind == "device":
            if not self.devices:
                raise forbidden("Thiết bị chỉ được đọc dữ liệu công khai.")
            return
        if actor.kind != "user" or not can(actor.role, self.permission):
            raise forbidden()

    def parse(self, raw: Any) -> Any:
        if self.Input is None:
            return raw
        try:
            return self.Input.model_validate(raw)
        except ValidationError as exc:
            raise from_validation(exc) from None

    def lock_key(self, data: Any) -> Hashable | None:
        """Actions with the same key run one at a time in this process, commit and publish
        included. Several server processes (a province) are serialised by the database: an
        action whose order matters also locks its row there (the queue: the conference row,
        server/queue/service.py); this lock then only spares it a wait on a connection."""
        return None

    async def run(self, ctx: Context, data: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class Executor:
    """``readers`` bounds how many read-only units hold a connection at once, below the
    pool's size, so however many screens and phones read, a command always finds a
    connection without queueing behind them. ``generation`` grows after every unit that
    may have written: cached reads made at an older generation are not served again."""

    def __init__(self, sessionmaker: async_sessionmaker, bus: Bus, services: Any,
                 readers: int = 8) -> None:
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.services = services
        self.generation = 0
        # the HTTP edge's copies of cacheable reads, and the ones being made (api/registry.py)
        self.cached_reads: dict[tuple, tuple[int, float, bytes]] = {}
        self.reads_in_flight: dict[tuple, tuple[int, asyncio.Future[bytes]]] = {}
        self._readers = asyncio.Semaphore(max(1, readers))
        # GET requests handled at once: the rest wait, costing nothing, so a command (a
        # socket event, a POST) never queues behind hundreds of runnable reads
        self.read_turns = asyncio.Semaphore(8)
        self._locks: dict[Hashable, asyncio.Lock] = {}  # per process; see Action.lock_key

    def cached_read(self, key: tuple, max_age: float) -> bytes | None:
        """A read made at the current write generation, no older than ``max_age`` s."""
        hit = self.cached_reads.get(key)
        if hit is None or hit[0] != self.generation or time.monotonic() - hit[1] >= max_age:
            return None
        return hit[2]

    def keep_read(self, key: tuple, generation: int, body: bytes) -> None:
        """Keep a read made at ``generation``, unless something was written since."""
        if self.generation != generation:
            return
        if len(self.cached_reads) >= 10_000:
            self.cached_reads.clear()
        self.cached_reads[key] = (generation, time.monotonic(), body)

    @asynccontextmanager
    async def unit(self, lock_key: Hashable | None = None, *,
                   read_only: bool = False) -> AsyncIterator[Unit]:
        """One session and one transaction; the events emitted inside are published
        after the commit (and before the lock, if any, is released). A ``read_only``
        unit waits for a reader's place and leaves the cache generation alone."""
        lock = self._locks.setdefault(lock_key, asyncio.Lock()) if lock_key else nullcontext()
        gate = self._readers if read_only else nullcontext()
        async with lock, gate:
            db = self.sessionmaker()
            try:
                async with db:
                    unit = Unit(db=db)
                    async with db.begin():
                        yield unit
            finally:
                if not read_only or db.sync_session.info.get(WROTE):
                    self.generation += 1
            await self.bus.publish(unit.events)
            if unit.events:
                # listeners update what reads are served from (the queue in memory): a
                # read cached between the commit and them is not served again
                self.generation += 1

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads outside any action (background jobs, pages, logins)."""
        async with self._readers, self.sessionmaker() as db:
            yield db

    async def run(self, action: Action, actor: Actor | None, raw: Any, *,
                  now: datetime | None = None) -> Any:
        data = action.parse(raw)
        refuse_big_ints(data)
        action.authorize(actor, data)
        assert actor is not None or action.permission is None
        async with self.unit(action.lock_key(data)) as unit:
            ctx = Context(unit=unit, actor=actor, now=now or datetime.now(UTC),  # type: ignore[arg-type]
                          services=self.services)
            return await action.run(ctx, data)
