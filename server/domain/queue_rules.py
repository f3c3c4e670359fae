"""Pure rules of the queue: who is called next, how many turns a person has, the timer.

The call order is computed, never stored by displays: waiting turns sorted by
(tier, place in the line). Tiers: answer turns (0), first-timers (1), repeat
speakers (2). A manual Move may fix a turn's tier (Turn.manual_tier).
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
    TIER_REPEAT,
    WAITING,
    QueueSettings,
    QueueState,
    TimerView,
    Turn,
    utc,
)


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
    spoken = {
        t.person_key for t in state.turns
        if t.kind == CITIZEN and (t.status == DONE or t.status in FLOOR_STATUSES)
    }
    earliest: dict[str, Turn] = {}
    for t in state.turns:
        if t.status == WAITING and t.kind == CITIZEN:
            best = earliest.get(t.person_key)
            if best is None or t.seq < best.seq:
                earliest[t.person_key] = t
    tiers: dict[str, int] = {}
    for t in state.turns:
        if t.status != WAITING:
            continue
        if t.kind == ANSWER:
            tiers[t.id] = TIER_ANSWER
        elif not state.settings.first_timers_first:
            tiers[t.id] = TIER_FIRST_TIMER
        elif t.person_key in spoken or earliest[t.person_key].id != t.id:
            tiers[t.id] = TIER_REPEAT
        else:
            tiers[t.id] = TIER_FIRST_TIMER
    return tiers


def effective_tiers(state: QueueState) -> dict[str, int]:
    tiers = natural_tiers(state)
    for t in state.turns:
        if t.id in tiers and t.manual_tier is not None:
            tiers[t.id] = t.manual_tier
    return tiers


def call_order(state: QueueState) -> list[Turn]:
    """Every waiting turn in the order CallNext would pick them."""
    tiers = effective_tiers(state)
    waiting = [(tiers[t.id], i, t) for i, t in enumerate(state.turns) if t.status == WAITING]
    waiting.sort(key=lambda x: (x[0], x[1]))
    return [t for _, _, t in waiting]


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
