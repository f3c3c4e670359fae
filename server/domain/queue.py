"""The live speaking queue as a pure state machine: apply(state, command, now, actor).

No I/O: the server stores the returned state, records the history entry and
broadcasts the new version. Rules are described in docs/queue-rules.md.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from server.domain import field_labels, limits, phases
from server.domain.names import public_name
from server.domain.queue_codec import from_dict, to_dict, to_json, view_dict
from server.domain.queue_commands import (
    COMMAND_TYPES,
    AddAnswerTurn,
    ApproveTurn,
    CallNext,
    CallTurn,
    CloseList,
    Command,
    Defer,
    End,
    ExtendTime,
    LinkPetition,
    Move,
    OpenList,
    Pause,
    RegisterTurn,
    RejectTurn,
    Requeue,
    Resume,
    SetPhase,
    Skip,
    Start,
    Undo,
    UpdateSettings,
    Withdraw,
    command_from_dict,
    command_to_dict,
)
from server.domain.queue_model import (
    ANSWER,
    CALLED,
    CITIZEN,
    DEFERRED,
    DONE,
    FLOOR_STATUSES,
    MAX_APPLIED_IDS,
    MAX_HISTORY,
    MAX_UNDO,
    PAUSED,
    PENDING_APPROVAL,
    QR,
    REJECTED,
    SKIPPED,
    SOURCES,
    SPEAKING,
    WAITING,
    WITHDRAWN,
    DomainError,
    Event,
    HistoryEntry,
    QueueSettings,
    QueueState,
    Result,
    TimerView,
    Turn,
    UndoEntry,
    changed_turns,
    utc,
)
from server.domain.queue_rules import (
    call_order,
    effective_tiers,
    natural_tiers,
    next_speakers,
    timer,
    turns_used,
)
from server.domain.text import clean_line, clean_text

__all__ = [
    "COMMAND_TYPES", "AddAnswerTurn", "ApproveTurn", "CallNext", "CallTurn", "Command",
    "Defer", "DomainError", "End", "Event", "ExtendTime", "HistoryEntry", "LinkPetition",
    "Move", "Pause", "QueueSettings", "QueueState", "RegisterTurn", "RejectTurn", "Requeue",
    "Result", "Resume", "SetPhase", "Skip", "CloseList", "OpenList", "Start", "TimerView", "Turn", "Undo", "UpdateSettings",
    "Withdraw", "apply", "command_from_dict", "replay", "command_to_dict", "from_dict", "new_queue",
    "next_speakers", "public_view", "timer", "to_dict", "to_json", "view_dict", "STATUS_LABELS",
    "changed_turns",
]

STATUS_LABELS = {
    PENDING_APPROVAL: "chờ duyệt",
    WAITING: "đang chờ",
    CALLED: "đã được mời",
    SPEAKING: "đang phát biểu",
    PAUSED: "tạm dừng",
    DONE: "đã phát biểu xong",
    SKIPPED: "vắng mặt khi được mời",
    WITHDRAWN: "đã rút đăng ký",
    DEFERRED: "hoãn lại",
    REJECTED: "bị từ chối",
}

# Text limits, from the one list of them (server/domain/limits.py).
MAX_NAME = limits.PERSON_NAME
MAX_HAMLET = limits.HAMLET
MAX_POSITION = limits.POSITION
MAX_TOPIC = limits.TOPIC
MAX_REASON = limits.REASON
MAX_ID = limits.TURN_ID
MAX_PETITION_REF = limits.PETITION_REF
MAX_PERSON_KEY = limits.PERSON_KEY
MAX_LANGUAGE = limits.LANGUAGE


def new_queue(conference_id: int | str, settings: QueueSettings | None = None) -> QueueState:
    """An empty queue at version 0."""
    settings = settings or QueueSettings()
    if settings.problems():
        raise DomainError(
            "invalid_settings", "Thiết lập hàng đợi không hợp lệ.", fields=settings.problems()
        )
    return QueueState(conference_id=conference_id, settings=settings)


# --- errors -------------------------------------------------------------------


def _turn_not_found(turn_id: str) -> DomainError:
    return DomainError("turn_not_found", "Không tìm thấy lượt phát biểu này.", turn_id=turn_id)


def _invalid_status(turn: Turn, action: str) -> DomainError:
    label = STATUS_LABELS.get(turn.status, turn.status)
    return DomainError(
        "invalid_status",
        f"Không thể {action}: lượt của {turn.display_name} đang ở trạng thái «{label}».",
        turn_id=turn.id,
        status=turn.status,
    )


def _reason_required() -> DomainError:
    return DomainError("reason_required", "Cần ghi lý do cho thao tác này.")


def _floor_busy(state: QueueState) -> DomainError:
    current = state.current
    name = current.display_name if current else ""
    return DomainError(
        "floor_busy",
        f"{name} đang giữ quyền phát biểu; hãy kết thúc, bỏ qua hoặc hoãn lượt đó trước.",
        current_turn_id=state.current_turn_id,
    )


def _text(value: str, field: str, limit: int, *, required: bool, multiline: bool = False) -> str:
    """A text of a command, cleaned; ``field`` is its code, named in Vietnamese in a refusal
    from the one table (server/domain/field_labels.py)."""
    label = field_labels.label(field)
    if not isinstance(value, str):
        raise DomainError("bad_command", f"{label}: phải là chuỗi ký tự.", field=field)
    text = clean_text(value) if multiline else clean_line(value)
    if required and not text:
        code = "reason_required" if field == "reason" else "text_required"
        raise DomainError(code, f"{label}: không được để trống.", field=field, label=label)
    if len(text) > limit:
        raise DomainError("text_too_long", f"{label}: tối đa {limit} ký tự.", field=field,
                          label=label, limit=limit)
    return text


def _reason(value: str, *, required: bool) -> str:
    if required and not clean_line(value or ""):
        raise _reason_required()
    return _text(value or "", "reason", MAX_REASON, required=False)


def _new_id(value: str | None, command: Command, state: QueueState) -> str:
    turn_id = _text(value or command.command_id, "turn_id", MAX_ID, required=True)
    if state.turn(turn_id) is not None:
        raise DomainError(
            "duplicate_turn_id", "Mã lượt phát biểu đã tồn tại.", turn_id=turn_id
        )
    return turn_id


_SEQ = operator.attrgetter("seq")


def _next_seq(state: QueueState) -> int:
    return max(map(_SEQ, state.turns), default=0) + 1


def _petition_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        pid = _text(v, "petition_id", MAX_PETITION_REF, required=True)
        if pid not in out:
            out.append(pid)
    return tuple(out)


# --- the change a handler computes -----------------------------------------------


@dataclass
class _Change:
    turns: tuple[Turn, ...]
    current_turn_id: str | None
    settings: QueueSettings
    summary: str
    reason: str = ""
    turn_id: str | None = None
    phases: tuple[tuple[str, datetime], ...] | None = None  # None: unchanged
    events: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)


def _get(state: QueueState, turn_id: str) -> Turn:
    turn = state.turn(turn_id)
    if turn is None:
        raise _turn_not_found(turn_id)
    return turn


def _with(state: QueueState, turn: Turn) -> tuple[Turn, ...]:
    """The state's turns with ``turn`` in the place of the one of its id."""
    i = state.places[turn.id]
    return state.turns[:i] + (turn,) + state.turns[i + 1:]


def _change(state: QueueState, turns: tuple[Turn, ...], summary: str, **kw: Any) -> _Change:
    kw.setdefault("current_turn_id", state.current_turn_id)
    kw.setdefault("settings", state.settings)
    return _Change(turns=turns, summary=summary, **kw)


def _label(turn: Turn) -> str:
    if turn.kind == ANSWER:
        return f"{turn.display_name} ({turn.role})" if turn.role else turn.display_name
    return f"{turn.display_name} ({turn.hamlet})" if turn.hamlet else turn.display_name


def _require_current(state: QueueState, turn: Turn, action: str) -> None:
    if state.current_turn_id != turn.id:
        raise DomainError(
            "not_current",
            f"Không thể {action}: lượt của {turn.display_name} không phải lượt đang giữ quyền phát biểu.",
            turn_id=turn.id,
            current_turn_id=state.current_turn_id,
        )


# --- handlers ---------------------------------------------------------------------


def _register(state: QueueState, c: RegisterTurn, now: datetime) -> _Change:
    person_key = _text(c.person_key, "person_key", MAX_PERSON_KEY, required=True)
    name = _text(c.display_name, "display_name", MAX_NAME, required=True)
    hamlet = _text(c.hamlet, "hamlet", MAX_HAMLET, required=False)
    topic = _text(c.topic, "topic", MAX_TOPIC, required=False, multiline=True)
    language = _text(c.language or "", "language", MAX_LANGUAGE, required=False) or None
    if c.source not in SOURCES:
        raise DomainError("bad_command", "Nguồn đăng ký không hợp lệ.", source=c.source)
    if not state.settings.registrations_open:
        raise DomainError("list_closed", "Chủ tọa đã đóng danh sách đăng ký phát biểu; "
                                         "không nhận thêm đăng ký.")
    turn_id = _new_id(c.turn_id, c, state)
    limit = state.settings.max_turns_per_person
    used = turns_used(state, person_key)
    if limit and used >= limit:
        raise DomainError(
            "max_turns_reached",
            f"{name} đã đăng ký đủ {limit} lượt phát biểu được phép trong hội nghị này.",
            person_key=person_key,
            limit=limit,
        )
    pending = c.source == QR and state.settings.require_approval_for_self_registration
    turn = Turn(
        id=turn_id,
        seq=_next_seq(state),
        person_key=person_key,
        display_name=name,
        hamlet=hamlet,
        topic=topic,
        kind=CITIZEN,
        petition_ids=_petition_ids(c.petition_ids),
        needs_interpreter=bool(c.needs_interpreter),
        language=language,
        consent_full_name=bool(c.consent_full_name),
        status=PENDING_APPROVAL if pending else WAITING,
        source=c.source,  # type: ignore[arg-type]
        registered_at=now,
    )
    what = "Đăng ký qua mã QR (chờ duyệt)" if pending else "Đăng ký phát biểu"
    return _change(
        state, (*state.turns, turn), f"{what}: {_label(turn)}", turn_id=turn_id,
        events=[("turn_registered", turn_id, {"status": turn.status, "source": c.source})],
    )


def _approve(state: QueueState, c: ApproveTurn, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    if turn.status != PENDING_APPROVAL:
        raise _invalid_status(turn, "duyệt đăng ký")
    turns = _with(state, replace(turn, status=WAITING))
    return _change(
        state, turns, f"Duyệt đăng ký: {_label(turn)}", turn_id=turn.id,
        events=[("turn_approved", turn.id, {})],
    )


def _reject(state: QueueState, c: RejectTurn, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=False)
    if turn.status != PENDING_APPROVAL:
        raise _invalid_status(turn, "từ chối đăng ký")
    turns = _with(state, replace(turn, status=REJECTED, ended_at=now))
    return _change(
        state, turns, f"Từ chối đăng ký: {_label(turn)}", reason=reason, turn_id=turn.id,
        events=[("turn_rejected", turn.id, {})],
    )


def _call(state: QueueState, turn: Turn, now: datetime, summary: str, reason: str) -> _Change:
    called = replace(turn, status=CALLED, called_at=now)
    return _change(
        state, _with(state, called), summary, reason=reason, turn_id=turn.id,
        current_turn_id=turn.id, events=[("turn_called", turn.id, {"kind": turn.kind})],
    )


def _call_next(state: QueueState, c: CallNext, now: datetime) -> _Change:
    if state.current_turn_id is not None:
        raise _floor_busy(state)
    order = call_order(state)
    if not order:
        raise DomainError("queue_empty", "Không còn ai trong hàng chờ.")
    return _call(state, order[0], now, f"Mời phát biểu: {_label(order[0])}", "")


def _call_turn(state: QueueState, c: CallTurn, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    if turn.status != WAITING:
        raise _invalid_status(turn, "mời phát biểu")
    if state.current_turn_id is not None:
        raise _floor_busy(state)
    order = call_order(state)
    in_order = order[0].id == turn.id
    reason = _reason(c.reason, required=not in_order)
    summary = f"Mời phát biểu: {_label(turn)}"
    if not in_order:
        summary += f" (trước lượt, vị trí {[t.id for t in order].index(turn.id) + 1})"
    return _call(state, turn, now, summary, reason)


def _start(state: QueueState, c: Start, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    if turn.status != CALLED:
        raise _invalid_status(turn, "bắt đầu phát biểu")
    _require_current(state, turn, "bắt đầu phát biểu")
    turns = _with(state, replace(turn, status=SPEAKING, started_at=now))
    return _change(
        state, turns, f"Bắt đầu phát biểu: {_label(turn)}", turn_id=turn.id,
        events=[("speech_started", turn.id, {})],
    )


def _pause(state: QueueState, c: Pause, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    if turn.status != SPEAKING:
        raise _invalid_status(turn, "tạm dừng")
    _require_current(state, turn, "tạm dừng")
    paused = replace(turn, status=PAUSED, paused_spans=(*turn.paused_spans, (now, None)))
    return _change(
        state, _with(state, paused), f"Tạm dừng: {_label(turn)}", turn_id=turn.id,
        events=[("speech_paused", turn.id, {})],
    )


def _close_pause(turn: Turn, now: datetime) -> tuple[tuple[datetime, datetime | None], ...]:
    spans = turn.paused_spans
    if spans and spans[-1][1] is None:
        start = spans[-1][0]
        spans = (*spans[:-1], (start, max(start, now)))
    return spans


def _resume(state: QueueState, c: Resume, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    if turn.status != PAUSED:
        raise _invalid_status(turn, "tiếp tục")
    _require_current(state, turn, "tiếp tục")
    resumed = replace(turn, status=SPEAKING, paused_spans=_close_pause(turn, now))
    return _change(
        state, _with(state, resumed), f"Tiếp tục phát biểu: {_label(turn)}",
        turn_id=turn.id, events=[("speech_resumed", turn.id, {})],
    )


def _end(state: QueueState, c: End, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    if turn.status not in (SPEAKING, PAUSED):
        raise _invalid_status(turn, "kết thúc phát biểu")
    _require_current(state, turn, "kết thúc phát biểu")
    ended = replace(turn, status=DONE, ended_at=now, paused_spans=_close_pause(turn, now))
    view = timer(ended, state.settings, now)
    return _change(
        state, _with(state, ended), f"Kết thúc phát biểu: {_label(turn)}",
        turn_id=turn.id, current_turn_id=None,
        events=[("speech_ended", turn.id, {"elapsed": round(view.elapsed, 3),
                                           "allowed": view.allowed})],
    )


def _leave(
    state: QueueState, turn: Turn, status: str, now: datetime, summary: str, reason: str,
    event: str,
) -> _Change:
    """The turn leaves the line or the floor with `status`."""
    current = None if state.current_turn_id == turn.id else state.current_turn_id
    left = replace(turn, status=status)
    return _change(
        state, _with(state, left), summary, reason=reason, turn_id=turn.id,
        current_turn_id=current, events=[(event, turn.id, {"from": turn.status})],
    )


def _skip(state: QueueState, c: Skip, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=False)
    if turn.status != CALLED:
        raise _invalid_status(turn, "bỏ qua")
    return _leave(state, turn, SKIPPED, now, f"Bỏ qua (vắng mặt): {_label(turn)}", reason,
                  "turn_skipped")


def _withdraw(state: QueueState, c: Withdraw, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=False)
    if turn.status not in (PENDING_APPROVAL, WAITING, CALLED, DEFERRED, SKIPPED):
        raise _invalid_status(turn, "rút đăng ký")
    return _leave(state, turn, WITHDRAWN, now, f"Rút đăng ký: {_label(turn)}", reason,
                  "turn_withdrawn")


def _defer(state: QueueState, c: Defer, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=False)
    if turn.status not in (WAITING, CALLED):
        raise _invalid_status(turn, "hoãn")
    return _leave(state, turn, DEFERRED, now, f"Hoãn lượt: {_label(turn)}", reason,
                  "turn_deferred")


def _requeue(state: QueueState, c: Requeue, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=False)
    if turn.status not in (DEFERRED, SKIPPED):
        raise _invalid_status(turn, "đưa lại vào hàng chờ")
    back = replace(turn, status=WAITING, manual_tier=None)
    turns = (*(t for t in state.turns if t.id != turn.id), back)  # to the end of the line
    return _change(
        state, turns, f"Đưa lại vào hàng chờ: {_label(turn)}", reason=reason, turn_id=turn.id,
        events=[("turn_requeued", turn.id, {"from": turn.status})],
    )


def _move(state: QueueState, c: Move, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=True)
    if turn.status != WAITING:
        raise _invalid_status(turn, "đổi thứ tự")
    order = call_order(state)
    ids = [t.id for t in order]
    old_index = ids.index(turn.id)
    if isinstance(c.new_index, bool) or not isinstance(c.new_index, int) or not (
        0 <= c.new_index < len(order)
    ):
        raise DomainError(
            "bad_index", f"Vị trí mới phải từ 1 đến {len(order)}.", size=len(order)
        )
    if c.new_index == old_index:
        raise DomainError("no_change", "Lượt này đã ở vị trí đó.")
    tiers = effective_tiers(state)
    natural = natural_tiers(state)[turn.id]
    rest = [t for t in order if t.id != turn.id]
    prev = rest[c.new_index - 1] if c.new_index > 0 else None
    nxt = rest[c.new_index] if c.new_index < len(rest) else None
    # The moved turn keeps its own tier when that fits between its new neighbours;
    # otherwise it takes the nearest neighbour's tier (a recorded manual override).
    tier = natural
    if prev is not None:
        tier = max(tier, tiers[prev.id])
    if nxt is not None:
        tier = min(tier, tiers[nxt.id])
    moved = replace(turn, manual_tier=None if tier == natural else tier)
    # Place it in the line next to a neighbour of the same tier, so that sorting by
    # (tier, line) puts it exactly at new_index and leaves everyone else in order.
    line = [t for t in state.turns if t.id != turn.id]
    if nxt is not None and tiers[nxt.id] == tier:
        at = next(i for i, t in enumerate(line) if t.id == nxt.id)
    elif prev is not None and tiers[prev.id] == tier:
        at = next(i for i, t in enumerate(line) if t.id == prev.id) + 1
    else:
        at = len(line)
    line.insert(at, moved)
    return _change(
        state, tuple(line),
        f"Đổi thứ tự: {_label(turn)} từ vị trí {old_index + 1} sang vị trí {c.new_index + 1}",
        reason=reason, turn_id=turn.id,
        events=[("order_changed", turn.id, {"from": old_index, "to": c.new_index})],
    )


def _add_answer(state: QueueState, c: AddAnswerTurn, now: datetime) -> _Change:
    petition_id = _text(c.petition_id, "petition_id", MAX_PETITION_REF, required=True)
    name = _text(c.official_name, "official_name", MAX_NAME, required=True)
    role = _text(c.role, "position", MAX_POSITION, required=False)
    language = _text(c.language or "", "language", MAX_LANGUAGE, required=False) or None
    person_key = _text(c.person_key or f"official:{name}", "person_key", MAX_PERSON_KEY,
                       required=True)
    for t in state.turns:
        if (t.kind == ANSWER and t.answers_petition_id == petition_id
                and t.status not in (DONE, WITHDRAWN, REJECTED)):
            raise DomainError(
                "answer_exists",
                "Kiến nghị này đã có một lượt trả lời chưa hoàn thành trong hàng chờ.",
                petition_id=petition_id, turn_id=t.id,
            )
    turn_id = _new_id(c.turn_id, c, state)
    turn = Turn(
        id=turn_id, seq=_next_seq(state), person_key=person_key, display_name=name, role=role, kind=ANSWER,
        petition_ids=(petition_id,), answers_petition_id=petition_id,
        needs_interpreter=bool(c.needs_interpreter), language=language,
        consent_full_name=True, status=WAITING, source="desk", registered_at=now,
    )
    return _change(
        state, (*state.turns, turn),
        f"Thêm lượt trả lời kiến nghị {petition_id}: {_label(turn)}", turn_id=turn_id,
        events=[("answer_turn_added", turn_id, {"petition_id": petition_id})],
    )


def _link(state: QueueState, c: LinkPetition, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    petition_id = _text(c.petition_id, "petition_id", MAX_PETITION_REF, required=True)
    if turn.status == REJECTED:
        raise _invalid_status(turn, "gắn kiến nghị")
    if petition_id in turn.petition_ids:
        raise DomainError("already_linked", "Kiến nghị này đã được gắn với lượt phát biểu.")
    linked = replace(turn, petition_ids=(*turn.petition_ids, petition_id))
    return _change(
        state, _with(state, linked),
        f"Gắn kiến nghị {petition_id} với lượt của {_label(turn)}", turn_id=turn.id,
        events=[("petition_linked", turn.id, {"petition_id": petition_id})],
    )


def _extend(state: QueueState, c: ExtendTime, now: datetime) -> _Change:
    turn = _get(state, c.turn_id)
    reason = _reason(c.reason, required=True)
    if isinstance(c.seconds, bool) or not isinstance(c.seconds, int) or not 1 <= c.seconds <= 3600:
        raise DomainError("bad_seconds", "Thời gian thêm phải từ 1 đến 3600 giây.")
    if turn.status not in FLOOR_STATUSES:
        raise _invalid_status(turn, "thêm thời gian")
    _require_current(state, turn, "thêm thời gian")
    longer = replace(turn, extra_seconds=turn.extra_seconds + c.seconds)
    return _change(
        state, _with(state, longer), f"Thêm {c.seconds} giây cho {_label(turn)}",
        reason=reason, turn_id=turn.id,
        events=[("time_extended", turn.id, {"seconds": c.seconds})],
    )


def _update_settings(state: QueueState, c: UpdateSettings, now: datetime) -> _Change:
    reason = _reason(c.reason, required=False)
    if not isinstance(c.settings, QueueSettings):
        raise DomainError("bad_command", "Thiết lập không hợp lệ.")
    bad = c.settings.problems()
    if bad:
        raise DomainError("invalid_settings", "Quy tắc phát biểu không hợp lệ: "
                          + "; ".join(field_labels.label(b) for b in bad) + ".", fields=bad)
    if c.settings == state.settings:
        raise DomainError("no_change", "Thiết lập không thay đổi.")
    changed = {
        f.name: getattr(c.settings, f.name)
        for f in dataclasses.fields(QueueSettings)
        if getattr(c.settings, f.name) != getattr(state.settings, f.name)
    }
    return _change(
        state, state.turns, "Đổi thiết lập hàng đợi: "
        + ", ".join(SETTING_LABELS.get(name, name) for name in sorted(changed)),
        reason=reason, settings=c.settings, events=[("settings_changed", None, changed)],
    )


# What each setting is called in the queue's history and on the tablet.
SETTING_LABELS = {
    "speaking_seconds": "thời gian phát biểu",
    "warning_seconds": "báo trước khi hết giờ",
    "max_turns_per_person": "số lượt tối đa mỗi người",
    "first_timers_first": "ưu tiên người phát biểu lần đầu",
    "interpreter_extra_seconds": "thời gian thêm cho phiên dịch",
    "answer_seconds": "thời gian trả lời",
    "require_approval_for_self_registration": "duyệt đăng ký qua điện thoại",
    "hamlet_budget_seconds": "thời gian mỗi thôn",
    "registrations_open": "nhận đăng ký",
    "phase_minutes": "thời gian dự kiến các phần",
}


def _set_phase(state: QueueState, c: SetPhase, now: datetime) -> _Change:
    reason = _reason(c.reason, required=False)
    if c.phase not in phases.PHASES:
        raise DomainError("bad_command", "Phần của hội nghị không hợp lệ.", phase=c.phase)
    if state.phases and state.phases[-1][0] == c.phase:
        raise DomainError("no_change", f"Hội nghị đang ở phần “{phases.LABELS[c.phase]}”.")
    return _change(
        state, state.turns, f"Chuyển sang phần: {phases.LABELS[c.phase]}", reason=reason,
        phases=(*state.phases, (c.phase, now)),
        events=[("phase_changed", None, {"phase": c.phase})],
    )


def _set_list(state: QueueState, c: CloseList | OpenList, now: datetime) -> _Change:
    reason = _reason(c.reason, required=False)
    opening = isinstance(c, OpenList)
    if state.settings.registrations_open == opening:
        raise DomainError("no_change", "Danh sách đăng ký đã mở." if opening
                          else "Danh sách đăng ký đã đóng.")
    settings = replace(state.settings, registrations_open=opening)
    return _change(
        state, state.turns, "Mở lại danh sách đăng ký" if opening
        else "Đóng danh sách đăng ký phát biểu", reason=reason, settings=settings,
        events=[("list_opened" if opening else "list_closed", None, {})],
    )


_HANDLERS: dict[type[Command], Callable[[QueueState, Any, datetime], _Change]] = {
    RegisterTurn: _register,
    ApproveTurn: _approve,
    RejectTurn: _reject,
    CallNext: _call_next,
    CallTurn: _call_turn,
    Start: _start,
    Pause: _pause,
    Resume: _resume,
    End: _end,
    Skip: _skip,
    Withdraw: _withdraw,
    Defer: _defer,
    Requeue: _requeue,
    Move: _move,
    AddAnswerTurn: _add_answer,
    LinkPetition: _link,
    ExtendTime: _extend,
    UpdateSettings: _update_settings,
    CloseList: _set_list,
    OpenList: _set_list,
    SetPhase: _set_phase,
}


# --- apply ------------------------------------------------------------------------


def _check_floor(turns: tuple[Turn, ...], current_turn_id: str | None) -> None:
    """Never two people with the floor, and current_turn_id names the one who has it."""
    holders = [t.id for t in turns if t.status in FLOOR_STATUSES]
    expected = [current_turn_id] if current_turn_id else []
    if holders != expected:
        raise AssertionError(f"floor invariant broken: {holders} vs {current_turn_id}")


def apply(state: QueueState, command: Command, now: datetime, actor: str) -> Result:
    """Apply one command; return the new state and what happened.

    A command id already applied returns the same state and no events. Refusals
    raise DomainError and change nothing. `now` must be timezone-aware.
    """
    now = utc(now)
    if not isinstance(command, Command) or type(command) not in (*_HANDLERS, Undo):
        raise DomainError("bad_command", "Lệnh không hợp lệ.")
    if not isinstance(command.command_id, str) or not command.command_id.strip():
        raise DomainError("bad_command", "Lệnh thiếu mã lệnh (command_id).")
    if command.command_id in state.applied_command_ids:
        return Result(state, ())
    base = command.base_version
    if isinstance(base, bool) or not isinstance(base, int) or base > state.version or base < 0:
        raise DomainError(
            "bad_version", "Phiên bản hàng đợi gửi kèm lệnh không hợp lệ.",
            base_version=base, version=state.version,
        )
    if base < state.version and not command.commutative:
        raise DomainError(
            "version_conflict",
            "Hàng đợi vừa được thay đổi trên máy khác. Hãy xem lại hàng đợi rồi thao tác lại.",
            base_version=base, version=state.version,
        )
    version = state.version + 1
    actor = clean_line(actor or "") or "?"
    ids = (*state.applied_command_ids, command.command_id)[-MAX_APPLIED_IDS:]

    if isinstance(command, Undo):
        reason = _reason(command.reason, required=True)
        if not state.undo_stack:
            raise DomainError("nothing_to_undo", "Không còn thao tác nào để hoàn tác.")
        last = state.undo_stack[-1]
        entry = HistoryEntry(
            version=version, command=Undo.type_name, actor=actor, reason=reason,
            summary=f"Hoàn tác: {last.summary}", at=now,
        )
        new = replace(
            state, version=version, turns=last.turns, current_turn_id=last.current_turn_id,
            settings=last.settings, history=(*state.history, entry)[-MAX_HISTORY:],
            undo_stack=state.undo_stack[:-1], applied_command_ids=ids, updated_at=now,
            phases=last.phases,
        )
        event = Event(type="undone", version=version,
                      data={"undone_version": last.version, "command": last.command})
        return Result(new, (event,))

    change = _HANDLERS[type(command)](state, command, now)
    _check_floor(change.turns, change.current_turn_id)
    entry = HistoryEntry(
        version=version, command=command.type_name, actor=actor, reason=change.reason,
        summary=change.summary, at=now, turn_id=change.turn_id,
    )
    undo = UndoEntry(
        version=version, command=command.type_name, summary=change.summary,
        turns=state.turns, current_turn_id=state.current_turn_id, settings=state.settings,
        phases=state.phases,
    )
    new = replace(
        state, version=version, turns=change.turns, current_turn_id=change.current_turn_id,
        settings=change.settings, history=(*state.history, entry)[-MAX_HISTORY:],
        undo_stack=(*state.undo_stack, undo)[-MAX_UNDO:], applied_command_ids=ids,
        updated_at=now, phases=state.phases if change.phases is None else change.phases,
    )
    events = tuple(
        Event(type=kind, version=version, turn_id=turn_id, data=data)
        for kind, turn_id, data in change.events
    )
    return Result(new, events)


def replay(state: QueueState, logged: Iterable[tuple[dict[str, Any], datetime, str]]
           ) -> QueueState:
    """The state after applying again, in order, commands kept as ``command_to_dict``
    wrote them, each with the instant and the actor it was first applied with. ``apply``
    is a pure function, so this is the state those commands made; a logged command that
    is refused now means the log does not belong to this state (ValueError)."""
    for command, at, actor in logged:
        version = state.version
        try:
            state = apply(state, command_from_dict(command), at, actor).state
        except DomainError as exc:
            raise ValueError(f"queue log does not follow version {version}: {exc}") from exc
        if state.version != version + 1:
            raise ValueError(f"queue log does not follow version {version}")
    return state


# --- views ------------------------------------------------------------------------


def timer_dict(view: TimerView) -> dict[str, Any]:
    return {
        "elapsed": round(view.elapsed, 3),
        "remaining": round(view.remaining, 3),
        "allowed": view.allowed,
        "warning": view.warning,
        "overtime": view.overtime,
        "running": view.running,
        "paused": view.paused,
        "ends_at": view.ends_at.isoformat() if view.ends_at else None,
    }


def _public_turn(turn: Turn) -> dict[str, Any]:
    if turn.kind == ANSWER:
        # Officials answer in their official capacity: full name and title.
        name = f"{turn.display_name} - {turn.role}" if turn.role else turn.display_name
    else:
        name = public_name(turn.display_name, turn.hamlet, turn.consent_full_name)
    return {
        "turn_id": turn.id,
        "name": name,
        "kind": turn.kind,
        "needs_interpreter": turn.needs_interpreter,
        "language": turn.language,
    }


def public_view(state: QueueState, now: datetime, next_count: int = 5) -> dict[str, Any]:
    """What the public screen shows: masked names, the timer, the next turns. JSON-safe.

    Never contains a phone number, an address, a topic or a person key.
    """
    now = utc(now)
    current = state.current
    current_view = None
    timer_view = None
    if current is not None:
        current_view = {**_public_turn(current), "status": current.status}
        timer_view = timer_dict(timer(current, state.settings, now))
    order = call_order(state)
    return {
        "conference_id": state.conference_id,
        "version": state.version,
        "server_time": now.isoformat(),
        "current": current_view,
        "timer": timer_view,
        "next": [
            {"position": i + 1, **_public_turn(t)} for i, t in enumerate(order[:next_count])
        ],
        "waiting_count": len(order),
        "warning_seconds": state.settings.warning_seconds,
        "registrations_open": state.settings.registrations_open,
        "phase": state.phases[-1][0] if state.phases else None,
        "phase_label": phases.LABELS[state.phases[-1][0]] if state.phases else None,
        # the current phase's plan and time used, for the screen's phase clock
        "phase_now": phases.current(state.phases, now, state.settings.phase_minutes),
    }
