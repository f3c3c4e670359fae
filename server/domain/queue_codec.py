"""JSON-safe form of the queue state: to_dict / from_dict round-trip exactly.

Instants are ISO 8601 strings with their UTC offset; tuples become lists.
`schema` lets a later version read what an earlier one stored.

Schema 2 stores each distinct turn once, in ``turn_table``; the state's turns
and every undo entry's turns are indexes into it. The undo copies share most
Turn objects with the state (a command changes one or two turns), so a
50-turn queue with 20 undo entries stores about 70 turns instead of 1,050.
Schema 1 (every list of turns written out in full) is still read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from server.domain.queue_model import (
    CITIZEN,
    COUNTED_STATUSES,
    DEFERRED,
    DONE,
    FLOOR_STATUSES,
    SKIPPED,
    HistoryEntry,
    QueueSettings,
    QueueState,
    Turn,
    UndoEntry,
    utc,
)

SCHEMA = 2
READABLE_SCHEMAS = (1, 2)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _when(text: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(text)) if text is not None else None


# Turns are immutable and shared between versions, so each is converted once and reused
# by every later version that still holds it: a command costs the conversion of the turns
# it changed, not of the whole day's. The cache holds the Turn itself, so its id() is not
# reused while the entry lives. The dicts it returns are shared: never mutate them.
_ENCODED: dict[int, tuple[Turn, dict[str, Any]]] = {}
_ENCODED_MAX = 20_000


def _turn_to_dict(t: Turn) -> dict[str, Any]:
    """A turn as JSON types (shared, read-only)."""
    hit = _ENCODED.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    if len(_ENCODED) >= _ENCODED_MAX:
        _ENCODED.clear()
    d = _encode_turn(t)
    _ENCODED[id(t)] = (t, d)
    return d


def _encode_turn(t: Turn) -> dict[str, Any]:
    return {
        "id": t.id,
        "seq": t.seq,
        "person_key": t.person_key,
        "display_name": t.display_name,
        "hamlet": t.hamlet,
        "topic": t.topic,
        "kind": t.kind,
        "role": t.role,
        "petition_ids": list(t.petition_ids),
        "answers_petition_id": t.answers_petition_id,
        "needs_interpreter": t.needs_interpreter,
        "language": t.language,
        "consent_full_name": t.consent_full_name,
        "status": t.status,
        "source": t.source,
        "registered_at": _iso(t.registered_at),
        "called_at": _iso(t.called_at),
        "started_at": _iso(t.started_at),
        "ended_at": _iso(t.ended_at),
        "paused_spans": [[_iso(a), _iso(b)] for a, b in t.paused_spans],
        "extra_seconds": t.extra_seconds,
        "manual_tier": t.manual_tier,
    }


class _TurnTable:
    """Distinct Turn objects (by identity) in first-seen order, each converted once.

    Used within one to_dict call, while the state keeps every turn alive (ids stay unique).
    """

    def __init__(self) -> None:
        self.objects: list[Turn] = []
        self._index: dict[int, int] = {}

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [_turn_to_dict(t) for t in self.objects]

    def refs(self, turns: tuple[Turn, ...]) -> list[int]:
        out = []
        for t in turns:
            i = self._index.get(id(t))
            if i is None:
                i = self._index[id(t)] = len(self.objects)
                self.objects.append(t)
            out.append(i)
        return out


def _turn_from_dict(d: dict[str, Any]) -> Turn:
    registered = _when(d["registered_at"])
    assert registered is not None
    return Turn(
        id=d["id"],
        seq=d["seq"],
        person_key=d["person_key"],
        display_name=d["display_name"],
        hamlet=d["hamlet"],
        topic=d["topic"],
        kind=d["kind"],
        role=d["role"],
        petition_ids=tuple(d["petition_ids"]),
        answers_petition_id=d["answers_petition_id"],
        needs_interpreter=d["needs_interpreter"],
        language=d["language"],
        consent_full_name=d["consent_full_name"],
        status=d["status"],
        source=d["source"],
        registered_at=registered,
        called_at=_when(d["called_at"]),
        started_at=_when(d["started_at"]),
        ended_at=_when(d["ended_at"]),
        paused_spans=tuple((_when(a), _when(b)) for a, b in d["paused_spans"]),  # type: ignore[misc]
        extra_seconds=d["extra_seconds"],
        manual_tier=d["manual_tier"],
    )


def settings_to_dict(s: QueueSettings) -> dict[str, Any]:
    return dataclasses.asdict(s)


def _history_to_dict(h: HistoryEntry) -> dict[str, Any]:
    return {
        "version": h.version,
        "command": h.command,
        "actor": h.actor,
        "reason": h.reason,
        "summary": h.summary,
        "at": _iso(h.at),
        "turn_id": h.turn_id,
    }


def _history_from_dict(d: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        version=d["version"], command=d["command"], actor=d["actor"], reason=d["reason"],
        summary=d["summary"], at=_when(d["at"]), turn_id=d["turn_id"],  # type: ignore[arg-type]
    )


def _undo_to_dict(u: UndoEntry, table: _TurnTable) -> dict[str, Any]:
    return {
        "version": u.version,
        "command": u.command,
        "summary": u.summary,
        "turns": table.refs(u.turns),
        "current_turn_id": u.current_turn_id,
        "settings": settings_to_dict(u.settings),
        "phases": _phases_to_list(u.phases),
    }


def _undo_from_dict(d: dict[str, Any], turns: Any) -> UndoEntry:
    return UndoEntry(
        version=d["version"], command=d["command"], summary=d["summary"],
        turns=turns(d["turns"]),
        current_turn_id=d["current_turn_id"], settings=QueueSettings(**d["settings"]),
        phases=_phases_from_list(d.get("phases", [])),
    )


def _phases_to_list(phases: tuple[tuple[str, datetime], ...]) -> list[list[str | None]]:
    return [[p, _iso(at)] for p, at in phases]


def _phases_from_list(items: list[list[str]]) -> tuple[tuple[str, datetime], ...]:
    return tuple((p, _when(at)) for p, at in items)  # type: ignore[misc]


def _common(state: QueueState, history: int | None = None) -> dict[str, Any]:
    """What the stored state and the client's view both hold (the view: the ``history``
    last entries of the history; None: all)."""
    entries = state.history
    if history is not None:
        entries = entries[len(entries) - history:] if history else ()
    return {
        "schema": SCHEMA,
        "conference_id": state.conference_id,
        "version": state.version,
        "settings": settings_to_dict(state.settings),
        "current_turn_id": state.current_turn_id,
        "history": [_history_to_dict(h) for h in entries],
        "updated_at": _iso(state.updated_at),
        "phases": _phases_to_list(state.phases),
    }


def to_dict(state: QueueState) -> dict[str, Any]:
    """The whole state as plain JSON types (what the server stores)."""
    table = _TurnTable()
    turns = table.refs(state.turns)
    undo_stack = [_undo_to_dict(u, table) for u in state.undo_stack]
    return _common(state) | {
        "turn_table": table.rows,
        "turns": turns,
        "undo_stack": undo_stack,
        "applied_command_ids": list(state.applied_command_ids),
    }


RECENT_FINAL = 10  # finished turns a tablet still shows (the rest are in the minutes)
RECENT_ASIDE = 10  # skipped or deferred turns it shows (all of them: GET …/queue?aside=all)
SET_ASIDE_STATUSES = frozenset({SKIPPED, DEFERRED})
HISTORY_SHOWN = 30  # history entries it shows (all of them: the audit log)


def to_json(state: QueueState) -> str:
    """``json.dumps(to_dict(state))``, made from each turn's JSON text written once: the
    server stores this after every command, so its cost follows the turns that changed,
    not the length of the day."""
    table = _TurnTable()
    turns = table.refs(state.turns)
    undo_stack = [_undo_to_dict(u, table) for u in state.undo_stack]
    rows = ",".join(_turn_json(t) for t in table.objects)
    rest = json.dumps(_common(state) | {"turns": turns, "undo_stack": undo_stack,
                                        "applied_command_ids": list(state.applied_command_ids)})
    return '{"turn_table":[' + rows + "]," + rest[1:]


_JSON: dict[int, tuple[Turn, str]] = {}


def _turn_json(t: Turn) -> str:
    hit = _JSON.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    if len(_JSON) >= _ENCODED_MAX:
        _JSON.clear()
    text = json.dumps(_encode_turn(t))
    _JSON[id(t)] = (t, text)
    return text


def view_dict(state: QueueState, recent_final: int | None = RECENT_FINAL,
              recent_aside: int | None = RECENT_ASIDE,
              history: int | None = HISTORY_SHOWN) -> dict[str, Any]:
    """The state for a client, without the undo copies and command ids, cut so that what
    a tablet receives after each command does not grow with the day: every turn in the
    line or on the floor, the ``recent_aside`` last turns set aside (skipped or deferred),
    the ``recent_final`` last finished ones and the ``history`` last history entries (None:
    all of them). ``people`` tells, for each person in the view, the citizen turns they
    used and whether they already spoke (counted over the whole day);
    ``earlier_final_turns`` and ``earlier_aside_turns`` how many turns were left out."""
    final, placed = state.split
    rest = [t for _, t in placed]
    done = _finished(state.conference_id, final, recent_final)
    older_aside = _older([t for t in rest if t.status in SET_ASIDE_STATUSES], recent_aside)
    cut = done.older | set(map(id, older_aside))
    turns = [t for t in state.turns if id(t) not in cut] if cut else state.turns
    people: dict[str, dict[str, Any]] = {}
    for t in turns:
        if t.person_key not in people:
            used, spoke = done.people.get(t.person_key, (0, False))
            people[t.person_key] = {"turns_used": used, "spoken": spoke}
    for t in rest:
        person = people.get(t.person_key)
        if person is None or t.kind != CITIZEN:
            continue
        if t.status in COUNTED_STATUSES:
            person["turns_used"] += 1
        if t.status in FLOOR_STATUSES:
            person["spoken"] = True
    return _common(state, history) | {
        "turns": [_turn_to_dict(t) for t in turns], "people": people,
        "earlier_final_turns": len(done.older), "earlier_aside_turns": len(older_aside)}


@dataclasses.dataclass(frozen=True)
class _Finished:
    """What a view needs of a queue's finished turns, which change only when one more
    turn finishes (or a finish is undone): so it is made once per change, not per view,
    and from the turns that finished since the last one, not from the whole day."""
    ids: tuple[int, ...]  # the turns' ids, in order (the turns themselves, not equal ones)
    key: frozenset[int]  # the same, as a set
    turns: tuple[Turn, ...]  # held, so that the ids stay theirs
    keep: int | None
    kept: tuple[Turn, ...]  # the ``keep`` most recent (all when keep is None)
    older: frozenset[int]  # ids of the turns beyond the ``keep`` most recent
    people: dict[str, tuple[int, bool]]  # person key: (citizen turns used, spoke)


_FINISHED: dict[Any, _Finished] = {}  # the last one made, per conference


def _count(people: dict[str, tuple[int, bool]], turns: Iterable[Turn]) -> None:
    for t in turns:
        if t.kind != CITIZEN:
            continue
        used, spoke = people.get(t.person_key, (0, False))
        people[t.person_key] = (used + (t.status in COUNTED_STATUSES), spoke or t.status == DONE)


def _finished(conference_id: Any, final: tuple[Turn, ...], keep: int | None) -> _Finished:
    hit = _FINISHED.get(conference_id)
    ids = tuple(map(id, final))
    if hit is not None and hit.ids == ids and hit.keep == keep:
        return hit
    key = frozenset(ids)
    if hit is not None and hit.keep == keep and hit.key <= key:
        # more turns finished, none undone: add them to what was known
        added = [t for t in final if id(t) not in hit.key]
        people = dict(hit.people)
        _count(people, added)
        candidates = [*hit.kept, *added]
        gone = frozenset(map(id, _older(candidates, keep)))
        kept = tuple(t for t in candidates if id(t) not in gone)
        older = hit.older | gone
    else:
        people = {}
        _count(people, final)
        gone = frozenset(map(id, _older(list(final), keep)))
        kept = tuple(t for t in final if id(t) not in gone)
        older = gone
    if len(_FINISHED) >= 1000:
        _FINISHED.clear()
    hit = _FINISHED[conference_id] = _Finished(ids, key, final, keep, kept, older, people)
    return hit


def _older(group: list[Turn], keep: int | None) -> list[Turn]:
    """The turns of ``group`` beyond the ``keep`` most recent (by when they left the line)."""
    if keep is None or len(group) <= keep:
        return []
    ranked = sorted(group, key=_recency)
    return ranked[:len(ranked) - keep]


def _recency(t: Turn) -> tuple[datetime, int]:
    return (t.ended_at or t.called_at or t.registered_at, t.seq)


def from_dict(d: dict[str, Any]) -> QueueState:
    """Rebuild the state stored by to_dict (either schema). Raises ValueError on an unknown one."""
    schema = d.get("schema")
    if schema not in READABLE_SCHEMAS:
        raise ValueError(f"unknown queue state schema: {schema!r}")
    if schema == 1:
        def turns(items: list[dict[str, Any]]) -> tuple[Turn, ...]:
            return tuple(_turn_from_dict(t) for t in items)
    else:
        table = [_turn_from_dict(t) for t in d["turn_table"]]

        def turns(items: list[int]) -> tuple[Turn, ...]:
            return tuple(table[i] for i in items)
    return QueueState(
        conference_id=d["conference_id"],
        version=d["version"],
        settings=QueueSettings(**d["settings"]),
        turns=turns(d["turns"]),
        current_turn_id=d["current_turn_id"],
        history=tuple(_history_from_dict(h) for h in d["history"]),
        undo_stack=tuple(_undo_from_dict(u, turns) for u in d["undo_stack"]),
        applied_command_ids=tuple(d["applied_command_ids"]),
        updated_at=_when(d["updated_at"]),
        phases=_phases_from_list(d.get("phases", [])),
    )
