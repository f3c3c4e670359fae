"""Pure rules of the queue: who is called next, how many turns a person has, the timer.

The call order is computed, never stored by displays: waiting turns sorted by
(tier, place in the line). Tiers: answer turns (0), first-timers (1), repeat
speakers (2), speakers of a hamlet that has used its time budget (3, only when the
conference sets one). A manual Move may fix a turn's tier (Turn.manual_tier).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.domain.queue_model import (
    ANSWER,
    CITIZEN,
    COUNTED_STATUSES,
    DONE,
    FLOOR_STATUSES,
    PAUSED,
    SPEAKING,
    TIER_ANSWER,
    TIER_FIRST_TIMER,
    TIER_OVER_BUDGET,
    TIER_REPEAT,
    WAITING,
    QueueSettings,
    QueueState,
    TimerView,
    Turn,
    utc,
)
from server.domain.text import fold


def has_spoken(state: QueueState, person_key: str) -> bool:
    """True when the person has a citizen turn that is done or has the floor now."""
    return any(
        t.person_key == person_key
        and t.kind == CITIZEN
        and (t.status == DONE or t.status in FLOOR_STATUSES)
        for t in state.turns
    )


def natural_tiers(state: QueueState) -> dict[str, int]:
    """The tier each waiting turn gets from the rules alone (ignoring manual moves).

    A citizen turn is a first-timer turn when its person has not spoken yet and
    it is the person's earliest registered (lowest seq) waiting turn. It depends on statuses
    and registration instants only, never on the place in the line, so moving a
    turn never changes another turn's tier.
    """
    rest = state.split[1]
    done = _done_citizens(state)
    on_floor = {t.person_key for _, t in rest
                if t.kind == CITIZEN and t.status in FLOOR_STATUSES}
    earliest: dict[str, Turn] = {}
    for _, t in rest:
        if t.status == WAITING and t.kind == CITIZEN:
            best = earliest.get(t.person_key)
            if best is None or t.seq < best.seq:
                earliest[t.person_key] = t
    budget = state.settings.hamlet_budget_seconds
    spent = hamlet_seconds(state) if budget else {}
    tiers: dict[str, int] = {}
    for _, t in rest:
        if t.status != WAITING:
            continue
        if t.kind == ANSWER:
            tiers[t.id] = TIER_ANSWER
        elif budget and spent.get(fold(t.hamlet), 0.0) >= budget:
            tiers[t.id] = TIER_OVER_BUDGET
        elif not state.settings.first_timers_first:
            tiers[t.id] = TIER_FIRST_TIMER
        elif t.person_key in done or t.person_key in on_floor \
                or earliest[t.person_key].id != t.id:
            tiers[t.id] = TIER_REPEAT
        else:
            tiers[t.id] = TIER_FIRST_TIMER
    return tiers


def effective_tiers(state: QueueState) -> dict[str, int]:
    tiers = natural_tiers(state)
    for _, t in state.split[1]:
        if t.id in tiers and t.manual_tier is not None:
            tiers[t.id] = t.manual_tier
    return tiers


# The people with a finished (done) citizen turn, of the last queue asked about, per
# conference, with the finished turns it was made from (held, so that their ids stay
# theirs): it changes only when a turn finishes.
_DONE: dict[Any, tuple[tuple[Turn, ...], frozenset[int], frozenset[str]]] = {}


def _done_citizens(state: QueueState) -> frozenset[str]:
    """Person keys of the citizen turns that are done, made again only from the turns
    that finished since the last time (or all of them, when a finish was undone)."""
    final = state.split[0]
    hit = _DONE.get(state.conference_id)
    if hit is not None and hit[0] == final:
        return hit[2]
    ids = frozenset(map(id, final))
    if hit is not None and hit[1] <= ids:
        known = hit[1]
        added = [t for t in final if id(t) not in known]
        people = hit[2] | {t.person_key for t in added if t.kind == CITIZEN and t.status == DONE}
    else:
        people = frozenset(t.person_key for t in final if t.kind == CITIZEN and t.status == DONE)
    if len(_DONE) >= 1000:
        _DONE.clear()
    _DONE[state.conference_id] = (final, ids, people)
    return people


def hamlet_seconds(state: QueueState) -> dict[str, float]:
    """Speaking time of finished citizen turns per hamlet (folded name)."""
    spent: dict[str, float] = {}
    for t in state.turns:
        if t.kind == CITIZEN and t.status == DONE and t.ended_at is not None:
            key = fold(t.hamlet)
            spent[key] = spent.get(key, 0.0) + elapsed_seconds(t, t.ended_at)
    return spent


_SPOKEN: dict[int, tuple[Turn, float]] = {}


def _spoken(turn: Turn) -> float:
    """A finished turn's speaking time, computed once per turn (a turn never changes)."""
    hit = _SPOKEN.get(id(turn))
    if hit is not None and hit[0] is turn:
        return hit[1]
    if len(_SPOKEN) >= 50_000:
        _SPOKEN.clear()
    seconds = elapsed_seconds(turn, turn.ended_at)  # type: ignore[arg-type]
    _SPOKEN[id(turn)] = (turn, seconds)
    return seconds


def _tally(turns: Iterable[Turn], now: datetime | None,
           people: dict[str, dict], hamlets: dict[str, dict]) -> None:
    """Add the turns' speaking time to the per-person and per-hamlet totals."""
    for t in turns:
        seconds = _spoken(t) if now is None else elapsed_seconds(t, now)
        person = people.setdefault(t.person_key, {"person_key": t.person_key,
                                                  "name": t.display_name, "hamlet": t.hamlet,
                                                  "turns": 0, "seconds": 0.0})
        person["turns"] += 1
        person["seconds"] += seconds
        place = hamlets.setdefault(fold(t.hamlet), {"hamlet": t.hamlet, "turns": 0,
                                                     "seconds": 0.0, "people": set()})
        place["turns"] += 1
        place["seconds"] += seconds
        place["people"].add(t.person_key)


def _rank(person: dict) -> tuple:
    """Most speaking time first (to the tenth of a second shown), then by name; the person
    key settles a tie between two people of one name."""
    return (-round(person["seconds"], 1), person["name"], person["person_key"])


@dataclass(frozen=True)
class _Finished:
    """The totals of a day's finished turns, and its people ranked. Never changed once
    made: a later state with the same finished turns shares it, and one with more
    finished turns is made from it and those turns."""

    turns: tuple[Turn, ...]  # the finished turns, in the state's order (held: ids stay theirs)
    key: frozenset[int]  # their ids
    people: dict[str, dict]
    hamlets: dict[str, dict]
    ranked: list[dict]


# The finished totals of the last queue asked about, per conference: the day's finished
# turns change only when one more ends (or an end is undone).
_FINISHED: dict[Any, _Finished] = {}


def _more_finished(hit: _Finished, added: list[Turn]
                   ) -> tuple[dict[str, dict], dict[str, dict], list[dict]] | None:
    """The people, hamlets and ranking of ``hit`` with the ``added`` turns counted in: the
    people and hamlets they touch are copied, the rest shared; None when an added turn
    names a person or a hamlet differently from the turns counted before (then everything
    is counted again, so the name shown stays the first turn's)."""
    people, hamlets = dict(hit.people), dict(hit.hamlets)
    ranked = list(hit.ranked)
    for t in added:
        before = people.get(t.person_key)
        place = hamlets.get(fold(t.hamlet))
        if (before is not None and (before["name"], before["hamlet"]) != (t.display_name, t.hamlet)) \
                or (place is not None and place["hamlet"] != t.hamlet):
            return None
        if before is not None:
            del ranked[bisect.bisect_left(ranked, _rank(before), key=_rank)]
            people[t.person_key] = dict(before)
        if place is not None:
            hamlets[fold(t.hamlet)] = {**place, "people": set(place["people"])}
        _tally([t], None, people, hamlets)
        bisect.insort(ranked, people[t.person_key], key=_rank)
    return people, hamlets, ranked


def _finished(state: QueueState, spoke: list[Turn]) -> _Finished:
    finished = tuple([t for t in spoke if t.ended_at is not None])
    hit = _FINISHED.get(state.conference_id)
    if hit is not None and hit.turns == finished:
        return hit
    key = frozenset(map(id, finished))
    made = None
    if hit is not None and hit.key <= key:
        made = _more_finished(hit, [t for t in finished if id(t) not in hit.key])
    if made is None:
        people: dict[str, dict] = {}
        hamlets: dict[str, dict] = {}
        _tally(finished, None, people, hamlets)
        made = people, hamlets, sorted(people.values(), key=_rank)
    if len(_FINISHED) >= 1000:
        _FINISHED.clear()
    hit = _FINISHED[state.conference_id] = _Finished(finished, key, *made)
    return hit


def _spoke(state: QueueState) -> list[Turn]:
    return [t for t in state.turns if t.kind == CITIZEN and t.started_at is not None]


def _on_floor(done: _Finished, spoke: list[Turn], now: datetime
              ) -> tuple[dict[str, dict], dict[str, dict]]:
    """The people and hamlets of the turns that have not ended (on the floor or paused):
    copies of their finished totals with the time so far added; the rest stay shared."""
    open_turns = [t for t in spoke if t.ended_at is None]
    people = {t.person_key: dict(done.people[t.person_key]) for t in open_turns
              if t.person_key in done.people}
    hamlets = {}
    for t in open_turns:
        h = fold(t.hamlet)
        if h in done.hamlets and h not in hamlets:
            hamlets[h] = {**done.hamlets[h], "people": set(done.hamlets[h]["people"])}
    _tally(open_turns, now, people, hamlets)
    return people, hamlets


def _hamlet_rows(hamlets: list[dict], budget: float | None) -> list[dict]:
    out = []
    for h in hamlets:
        row = {"hamlet": h["hamlet"], "turns": h["turns"], "people": len(h["people"]),
               "seconds": round(h["seconds"], 1)}
        if budget:
            row["budget_left"] = round(max(budget - h["seconds"], 0.0), 1)
        out.append(row)
    return sorted(out, key=lambda h: (-h["seconds"], h["hamlet"]))


def _person_row(p: dict) -> dict:
    return {**p, "seconds": round(p["seconds"], 1)}


def balance(state: QueueState, now: datetime) -> dict[str, list[dict]]:
    """Who has spoken how much: each person's and each hamlet's citizen turns that had
    the floor and their speaking time (the turn on the floor counted to ``now``), most
    time first. What the exports show as the hall's balance (every person)."""
    spoke = _spoke(state)
    done = _finished(state, spoke)
    people, hamlets = _on_floor(done, spoke, now)
    everyone = {**done.people, **people}
    return {
        "people": [_person_row(p) for p in sorted(everyone.values(), key=_rank)],
        "hamlets": _hamlet_rows(list({**done.hamlets, **hamlets}.values()),
                                state.settings.hamlet_budget_seconds),
    }


def balance_view(state: QueueState, now: datetime, keys: set[str], top: int
                 ) -> dict[str, Any]:
    """The balance a tablet gets after each command: every hamlet, and of the people the
    ``top`` who spoke most and those whose keys are in ``keys`` (the people in its view),
    in the order of the full balance; ``people_total`` says how many spoke in all.

    The same rows as ``balance`` cut to those people, at a cost that follows the turns
    not yet ended and ``top``, not the length of the day: the finished turns' totals and
    ranking are made once per change of the finished turns."""
    spoke = _spoke(state)
    done = _finished(state, spoke)
    people, hamlets = _on_floor(done, spoke, now)
    # the top of everyone: people on the floor may only climb, so the others' top is in
    # the first ``top + len(people)`` finished ranks
    shown = {p["person_key"]: p for p in done.ranked[:top + len(people)]
             if p["person_key"] not in people}
    shown.update(people)
    ranked = sorted(shown.values(), key=_rank)[:top]
    chosen = {p["person_key"]: p for p in ranked}
    for key in keys:
        p = people.get(key) or done.people.get(key)
        if p is not None:
            chosen[key] = p
    return {
        "people": [_person_row(p) for p in sorted(chosen.values(), key=_rank)],
        "hamlets": _hamlet_rows(list({**done.hamlets, **hamlets}.values()),
                                state.settings.hamlet_budget_seconds),
        "people_total": len(done.people) + sum(1 for k in people if k not in done.people),
    }


# The call order of the last few states asked about: a command, its staff view and its
# public view all ask for the same state's order (a state never changes).
_ORDER: dict[int, tuple[QueueState, list[Turn]]] = {}


def call_order(state: QueueState) -> list[Turn]:
    """Every waiting turn in the order CallNext would pick them."""
    hit = _ORDER.get(id(state))
    if hit is not None and hit[0] is state:
        return list(hit[1])
    tiers = effective_tiers(state)
    waiting = [(tiers[t.id], i, t) for i, t in state.split[1] if t.status == WAITING]
    waiting.sort(key=lambda x: (x[0], x[1]))
    order = [t for _, _, t in waiting]
    if len(_ORDER) >= 64:
        _ORDER.clear()
    _ORDER[id(state)] = (state, order)
    return list(order)


def next_speakers(state: QueueState, n: int | None = None) -> tuple[Turn, ...]:
    """The next `n` turns (all when None) in the order CallNext would pick them."""
    order = call_order(state)
    return tuple(order if n is None else order[: max(n, 0)])


def turns_used(state: QueueState, person_key: str) -> int:
    """Citizen turns that count against the person's maximum (all but withdrawn/rejected)."""
    return sum(
        1 for t in state.turns
        if t.person_key == person_key and t.kind == CITIZEN and t.status in COUNTED_STATUSES
    )


def allowed_seconds(turn: Turn, settings: QueueSettings) -> int:
    base = settings.answer_seconds if turn.kind == ANSWER else settings.speaking_seconds
    extra = settings.interpreter_extra_seconds if turn.needs_interpreter else 0
    return base + extra + turn.extra_seconds


def elapsed_seconds(turn: Turn, now: datetime) -> float:
    """Speaking time so far: from started_at to ended_at (or now), minus the pauses."""
    if turn.started_at is None:
        return 0.0
    now = utc(now)
    end = turn.ended_at or now
    total = (end - turn.started_at).total_seconds()
    for start, stop in turn.paused_spans:
        span_end = min(stop or end, end)
        total -= max((span_end - start).total_seconds(), 0.0)
    return max(total, 0.0)


def timer(turn: Turn, settings: QueueSettings, now: datetime) -> TimerView:
    """The turn's clock at `now`, from stored instants only (survives a restart)."""
    allowed = allowed_seconds(turn, settings)
    elapsed = elapsed_seconds(turn, now)
    remaining = allowed - elapsed
    running = turn.status == SPEAKING
    return TimerView(
        elapsed=elapsed,
        remaining=remaining,
        allowed=allowed,
        warning=turn.started_at is not None and 0 <= remaining <= settings.warning_seconds,
        overtime=remaining < 0,
        running=running,
        paused=turn.status == PAUSED,
        ends_at=utc(now) + timedelta(seconds=remaining) if running else None,
    )
