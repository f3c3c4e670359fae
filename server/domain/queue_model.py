"""Data of the live speaking queue: settings, turns, the queue state, errors.

Everything here is frozen; a change makes a new value (see `server.domain.queue`).
Instants are timezone-aware UTC datetimes; durations are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import compress
from operator import is_not
from typing import Any, Literal

from server.domain import errors, phases

# --- turn statuses -----------------------------------------------------------

PENDING_APPROVAL = "pending_approval"
WAITING = "waiting"
CALLED = "called"
SPEAKING = "speaking"
PAUSED = "paused"
DONE = "done"
SKIPPED = "skipped"
WITHDRAWN = "withdrawn"
DEFERRED = "deferred"
REJECTED = "rejected"

STATUSES = (
    PENDING_APPROVAL, WAITING, CALLED, SPEAKING, PAUSED,
    DONE, SKIPPED, WITHDRAWN, DEFERRED, REJECTED,
)
# The person holding one of these has the floor; at most one turn at a time.
FLOOR_STATUSES = frozenset({CALLED, SPEAKING, PAUSED})
# Turns that never come back (except through Undo).
FINAL_STATUSES = frozenset({DONE, WITHDRAWN, REJECTED})
# Turns that use one of a person's allowed turns.
COUNTED_STATUSES = frozenset(STATUSES) - {WITHDRAWN, REJECTED}

CITIZEN = "citizen"
ANSWER = "answer"
KINDS = (CITIZEN, ANSWER)
DESK = "desk"
QR = "qr"
SOURCES = (DESK, QR)

TurnKind = Literal["citizen", "answer"]
TurnSource = Literal["desk", "qr"]

# Tiers of the call order (lower is called first), see docs/queue-rules.md.
TIER_ANSWER = 0
TIER_FIRST_TIMER = 1
TIER_REPEAT = 2
TIER_OVER_BUDGET = 3  # a hamlet that has used its share of speaking time waits behind others

# Bounds that keep the state small enough to store on every change.
# Each is a window, so the cost of a command does not grow with the length of the day:
# a client re-sends an unacknowledged command within seconds; the tablet shows the last
# 60 lines of history; the whole history stays in the audit log (one event a command).
MAX_APPLIED_IDS = 200
MAX_UNDO = 20
MAX_HISTORY = 100


class DomainError(errors.DomainError):
    """A refused queue command: `code` is stable for programs, `message` is Vietnamese for
    people. A stale base version or a busy floor is a conflict; anything else is invalid."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(code, message)
        self.kind = "conflict" if code in ("version_conflict", "floor_busy") else "invalid"
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": dict(self.details)}


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("queue instants must be timezone-aware")
    return moment.astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    """Rules of one conference's queue (all durations in seconds)."""

    speaking_seconds: int = 180
    warning_seconds: int = 30
    max_turns_per_person: int = 2  # 0 = unlimited
    first_timers_first: bool = True
    interpreter_extra_seconds: int = 120
    answer_seconds: int = 300  # speaking time of an official's answer turn
    require_approval_for_self_registration: bool = True
    # Speaking time each hamlet may use before its speakers wait behind the others (0: none)
    hamlet_budget_seconds: int = 0
    # False once the chair closes the list: no new citizen registrations (answers still)
    registrations_open: bool = True
    # The run-of-show's planned minutes per phase (server/domain/phases.py)
    phase_minutes: dict[str, int] = field(default_factory=phases.default_plan)

    def problems(self) -> list[str]:
        """Names of the fields whose value is out of range (empty when valid)."""
        bad = []
        checks = {
            "speaking_seconds": 10 <= self.speaking_seconds <= 3600,
            "warning_seconds": 0 <= self.warning_seconds <= 600,
            "max_turns_per_person": 0 <= self.max_turns_per_person <= 100,
            "interpreter_extra_seconds": 0 <= self.interpreter_extra_seconds <= 3600,
            "answer_seconds": 10 <= self.answer_seconds <= 7200,
            "hamlet_budget_seconds": 0 <= self.hamlet_budget_seconds <= 36000,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not ok:
                bad.append(name)
        for name in ("first_timers_first", "require_approval_for_self_registration",
                     "registrations_open"):
            if not isinstance(getattr(self, name), bool):
                bad.append(name)
        bad.extend(f"phase_minutes.{p}" for p in phases.plan_problems(self.phase_minutes))
        return bad


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One request to speak: a citizen's turn or an official's answer to a petition."""

    id: str
    seq: int = 0  # registration order in this queue (1, 2, ...); breaks no tie by name
    person_key: str  # stable key of the speaker (a person id, or "official:<name>")
    display_name: str  # full name as registered; masked for the public by names.public_name
    hamlet: str = ""
    topic: str = ""
    kind: TurnKind = CITIZEN
    role: str = ""  # an official's title, for answer turns ("Chủ tịch UBND xã")
    petition_ids: tuple[str, ...] = ()
    answers_petition_id: str | None = None
    needs_interpreter: bool = False
    language: str | None = None
    consent_full_name: bool = False
    status: str = WAITING
    source: TurnSource = DESK
    registered_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # (start, end) of each pause; the open pause of a paused turn has end None.
    paused_spans: tuple[tuple[datetime, datetime | None], ...] = ()
    extra_seconds: int = 0  # time added by ExtendTime
    manual_tier: int | None = None  # set by Move when the moderator overrides the tier


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """One line of the queue's audit history."""

    version: int
    command: str  # command type, e.g. "call_next"
    actor: str
    reason: str
    summary: str  # Vietnamese, for the history panel
    at: datetime
    turn_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class UndoEntry:
    """What Undo puts back: the queue as it was before the change at `version`."""

    version: int
    command: str
    summary: str
    turns: tuple[Turn, ...]
    current_turn_id: str | None
    settings: QueueSettings
    phases: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True, kw_only=True)
class QueueState:
    """The whole queue of one conference at one version."""

    conference_id: int | str
    version: int = 0
    settings: QueueSettings = field(default_factory=QueueSettings)
    turns: tuple[Turn, ...] = ()  # every turn; waiting turns' relative order is the line
    current_turn_id: str | None = None  # the turn that has the floor
    history: tuple[HistoryEntry, ...] = ()  # the last MAX_HISTORY entries
    undo_stack: tuple[UndoEntry, ...] = ()
    applied_command_ids: tuple[str, ...] = ()  # most recent last, at most MAX_APPLIED_IDS
    updated_at: datetime | None = None
    # The run-of-show: each phase entered and when (server/domain/phases.py), in order
    phases: tuple[tuple[str, datetime], ...] = ()

    # Derived once per state (a state never changes), so that a command and its views walk
    # the day's turns once, and otherwise only the turns still in the line or on the floor.
    @cached_property
    def places(self) -> dict[str, int]:
        """Each turn's place in ``turns`` by its id (the first one of an id)."""
        last = len(self.turns) - 1
        return {t.id: last - i for i, t in enumerate(reversed(self.turns))}

    @cached_property
    def split(self) -> tuple[tuple[Turn, ...], tuple[tuple[int, Turn], ...]]:
        """The finished turns (``FINAL_STATUSES``) in order, and every other turn with its
        place in ``turns``: the rules of the line walk the second, which holds the line, the
        floor and the turns set aside, not the day's finished turns."""
        final: list[Turn] = []
        rest: list[tuple[int, Turn]] = []
        for i, t in enumerate(self.turns):
            if t.status in FINAL_STATUSES:
                final.append(t)
            else:
                rest.append((i, t))
        return tuple(final), tuple(rest)

    def turn(self, turn_id: str) -> Turn | None:
        place = self.places.get(turn_id)
        return None if place is None else self.turns[place]

    @property
    def current(self) -> Turn | None:
        return self.turn(self.current_turn_id) if self.current_turn_id else None


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened, for the server to broadcast or record."""

    type: str  # e.g. "turn_called", "speech_started"
    version: int
    turn_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    state: QueueState
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TimerView:
    """A turn's clock at one instant. `remaining` is negative in overtime."""

    elapsed: float
    remaining: float
    allowed: int
    warning: bool
    overtime: bool
    running: bool
    paused: bool
    ends_at: datetime | None = None  # when it reaches zero, if running


def changed_turns(old: QueueState, new: QueueState) -> list[Turn]:
    """The turns of ``new`` that may differ from ``old``'s turn of the same id: each one at
    a place where ``old`` holds another object, and those past ``old``'s last turn. A
    command changes one or two turns of hundreds, and turns are never changed in place,
    so comparing the two tuples object by object (in C) finds them without a walk in
    Python; a turn that only moved place is among them, unchanged."""
    a, b = old.turns, new.turns
    if a is b:
        return []
    return [*compress(b, map(is_not, a, b)), *b[len(a):]]
