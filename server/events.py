"""The declared events: what an action changed, published once, after its commit.

An action never talks to sockets, schedulers or other parts directly: it returns (or
emits) events, the executor commits, then the bus hands each event to the listeners
that ``server/app.py`` declares in one list. A failing listener is logged and never
undoes a committed change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueChanged:
    """A queue command was applied: the new state and the domain events it caused."""

    conference_id: int
    commune_id: int
    state: Any  # server.domain.queue.QueueState
    happenings: tuple[Any, ...] = ()  # server.domain.queue.Event


@dataclass(frozen=True)
class TranscriptUpdated:
    conference_id: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class AnswerCreated:
    conference_id: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class BulletinsChanged:
    """A bulletin was scheduled, changed or cancelled."""

    commune_id: int
    conference_id: int | None = None


@dataclass(frozen=True)
class TurnRecorded:
    """A finished turn was cut out of the continuous recording."""

    conference_id: int
    turn_id: str
    wav: Path


@dataclass(frozen=True)
class CaptionsChanged:
    """A conference's captions settings or hidden turns changed, or the commune's vocabulary
    (``conference_id`` None)."""

    commune_id: int
    conference_id: int | None = None


@dataclass(frozen=True)
class AccountsChanged:
    """A user or a device token changed: cached identities must be looked up again.
    ``sessions``: only these login sessions ended (a logout; their stored ids), so only
    they are forgotten; empty: everything is."""

    commune_id: int
    sessions: tuple[str, ...] = ()


Listener = Callable[[Any], Awaitable[None]]


@dataclass
class Bus:
    """Who listens to which event; filled once by the assembly, then only published to."""

    _listeners: dict[type, list[Listener]] = field(default_factory=dict)

    def listen(self, event_type: type, listener: Listener) -> None:
        self._listeners.setdefault(event_type, []).append(listener)

    def listeners(self, event_type: type) -> list[Listener]:
        return list(self._listeners.get(event_type, ()))

    async def publish(self, events: Iterable[Any]) -> None:
        for event in events:
            for listener in self._listeners.get(type(event), ()):
                try:
                    await listener(event)
                except Exception:
                    log.exception("listener %s failed on %s",
                                  getattr(listener, "__qualname__", listener),
                                  type(event).__name__)
