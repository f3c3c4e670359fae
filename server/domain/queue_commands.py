"""Commands a person can give the speaking queue, and how they arrive as JSON.

Every command carries `command_id` (made by the client; the same id is applied
once) and `base_version` (the queue version the client saw).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from server.domain.field_labels import label
from server.domain.queue_model import DESK, DomainError, QueueSettings


@dataclass(frozen=True, kw_only=True)
class Command:
    command_id: str
    base_version: int
    type_name: ClassVar[str] = ""
    # True: may be applied on an older version (it only adds, or acts on one named
    # turn whose status is re-checked). False: refused with version_conflict.
    commutative: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class RegisterTurn(Command):
    """A citizen asks to speak, at the desk or by the QR form (QR may need approval)."""

    type_name: ClassVar[str] = "register_turn"
    commutative: ClassVar[bool] = True
    person_key: str
    display_name: str
    hamlet: str = ""
    topic: str = ""
    petition_ids: tuple[str, ...] = ()
    needs_interpreter: bool = False
    language: str | None = None
    consent_full_name: bool = False
    source: str = DESK
    turn_id: str | None = None  # default: the command id


@dataclass(frozen=True, kw_only=True)
class ApproveTurn(Command):
    type_name: ClassVar[str] = "approve_turn"
    commutative: ClassVar[bool] = True
    turn_id: str


@dataclass(frozen=True, kw_only=True)
class RejectTurn(Command):
    type_name: ClassVar[str] = "reject_turn"
    commutative: ClassVar[bool] = True
    turn_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CallNext(Command):
    type_name: ClassVar[str] = "call_next"


@dataclass(frozen=True, kw_only=True)
class CallTurn(Command):
    """Call a named waiting turn; a reason is needed unless it is the next in order."""

    type_name: ClassVar[str] = "call_turn"
    turn_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Start(Command):
    type_name: ClassVar[str] = "start"
    turn_id: str


@dataclass(frozen=True, kw_only=True)
class Pause(Command):
    type_name: ClassVar[str] = "pause"
    turn_id: str


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    type_name: ClassVar[str] = "resume"
    turn_id: str


@dataclass(frozen=True, kw_only=True)
class End(Command):
    type_name: ClassVar[str] = "end"
    turn_id: str


@dataclass(frozen=True, kw_only=True)
class Skip(Command):
    """The called person is not present."""

    type_name: ClassVar[str] = "skip"
    turn_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    type_name: ClassVar[str] = "withdraw"
    commutative: ClassVar[bool] = True
    turn_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Defer(Command):
    type_name: ClassVar[str] = "defer"
    turn_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Requeue(Command):
    """A deferred or skipped turn goes back to the end of the line."""

    type_name: ClassVar[str] = "requeue"
    turn_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Move(Command):
    """Put a waiting turn at `new_index` of the call order (0 = next). Reason required."""

    type_name: ClassVar[str] = "move"
    turn_id: str
    new_index: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class AddAnswerTurn(Command):
    """An official answers a petition; placed before citizens (see docs/queue-rules.md)."""

    type_name: ClassVar[str] = "add_answer_turn"
    commutative: ClassVar[bool] = True
    petition_id: str
    official_name: str
    role: str = ""
    person_key: str | None = None  # default: "official:<name>"
    needs_interpreter: bool = False
    language: str | None = None
    turn_id: str | None = None  # default: the command id


@dataclass(frozen=True, kw_only=True)
class LinkPetition(Command):
    type_name: ClassVar[str] = "link_petition"
    commutative: ClassVar[bool] = True
    turn_id: str
    petition_id: str


@dataclass(frozen=True, kw_only=True)
class ExtendTime(Command):
    type_name: ClassVar[str] = "extend_time"
    turn_id: str
    seconds: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class UpdateSettings(Command):
    type_name: ClassVar[str] = "update_settings"
    settings: QueueSettings
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CloseList(Command):
    """The chair closes the list: no new citizen registrations; answer turns still."""

    type_name: ClassVar[str] = "close_list"
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class OpenList(Command):
    type_name: ClassVar[str] = "open_list"
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SetPhase(Command):
    """Move the conference to a phase of its run-of-show (server/domain/phases.py)."""

    type_name: ClassVar[str] = "set_phase"
    phase: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Undo(Command):
    """Put back the queue as it was before the last change (anyone's). Reason required."""

    type_name: ClassVar[str] = "undo"
    reason: str


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.type_name: cls
    for cls in (
        RegisterTurn, ApproveTurn, RejectTurn, CallNext, CallTurn, Start, Pause, Resume,
        End, Skip, Withdraw, Defer, Requeue, Move, AddAnswerTurn, LinkPetition, ExtendTime,
        UpdateSettings, CloseList, OpenList, SetPhase, Undo,
    )
}


def _bad(message: str, **details: Any) -> DomainError:
    return DomainError("bad_command", message, **details)


def _check_value(name: str, annotation: str, value: Any) -> Any:
    """Type-check one JSON value against a field annotation (as written in this module)."""
    optional = annotation.endswith("| None")
    base = annotation.removesuffix(" | None")
    if value is None and optional:
        return None
    if base == "str" and isinstance(value, str):
        return value
    if base == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if base == "int" and isinstance(value, float) and value.is_integer():
        return int(value)  # JSON does not tell 3 from 3.0
    if base == "bool" and isinstance(value, bool):
        return value
    if base == "tuple[str, ...]" and isinstance(value, list | tuple):
        if all(isinstance(v, str) for v in value):
            return tuple(value)
    if base == "QueueSettings" and isinstance(value, dict):
        return settings_from_dict(value)
    raise _bad(f"{label(name)}: không đúng kiểu.", field=name)


def settings_from_dict(d: dict[str, Any]) -> QueueSettings:
    known = {f.name for f in dataclasses.fields(QueueSettings)}
    unknown = set(d) - known
    if unknown:
        raise _bad("Thiết lập có trường không biết.", fields=sorted(unknown))
    return QueueSettings(**d)


def command_from_dict(d: dict[str, Any]) -> Command:
    """Build a command from JSON: {"type": "call_next", "command_id": ..., "base_version": ...}.

    Unknown types, unknown or missing fields and wrong types raise DomainError("bad_command").
    """
    if not isinstance(d, dict):
        raise _bad("Lệnh phải là một đối tượng JSON.")
    cls = COMMAND_TYPES.get(d.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise _bad("Loại lệnh không hợp lệ.", type=d.get("type"))
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {k: v for k, v in d.items() if k != "type"}
    unknown = set(values) - set(fields)
    if unknown:
        raise _bad("Lệnh có trường không biết.", fields=sorted(unknown))
    missing = [
        n for n, f in fields.items()
        if n not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _bad("Lệnh thiếu: " + "; ".join(label(m) for m in missing) + ".", fields=missing)
    checked = {n: _check_value(n, str(fields[n].type), v) for n, v in values.items()}
    return cls(**checked)


def command_to_dict(command: Command) -> dict[str, Any]:
    out: dict[str, Any] = {"type": command.type_name}
    for f in dataclasses.fields(command):
        value = getattr(command, f.name)
        if isinstance(value, QueueSettings):
            value = dataclasses.asdict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out
