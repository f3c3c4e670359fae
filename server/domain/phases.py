"""The conference's run-of-show: its phases, their Vietnamese names and planned minutes.

A dialogue conference runs in this order (the seed letter and the usual agenda): the
opening and the report, the citizens' opinions, the officials' answers, the chair's
conclusion, the closing. The moderator moves between them from the tablet; the queue
keeps when each began (server/domain/queue.py, ``set_phase``), so the time used is
shown against the plan, and the minutes and transcripts are grouped by phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from server.domain import limits

OPENING = "opening"
OPINIONS = "opinions"
ANSWERS = "answers"
CONCLUSION = "conclusion"
CLOSING = "closing"

PHASES = (OPENING, OPINIONS, ANSWERS, CONCLUSION, CLOSING)

LABELS = {
    OPENING: "Khai mạc, báo cáo",
    OPINIONS: "Nhân dân phát biểu ý kiến",
    ANSWERS: "Lãnh đạo trả lời",
    CONCLUSION: "Chủ tọa kết luận",
    CLOSING: "Bế mạc",
}

# The commune's usual plan; each conference may set its own (the queue's settings,
# ``phase_minutes``, changed by the action conference.set_phase_plan).
PLANNED_MINUTES = {OPENING: 20, OPINIONS: 90, ANSWERS: 45, CONCLUSION: 15, CLOSING: 5}


def default_plan() -> dict[str, int]:
    return dict(PLANNED_MINUTES)


def plan_problems(minutes: Any) -> list[str]:
    """The phases whose planned minutes are missing or wrong (not a whole number of minutes
    between limits.PHASE_MINUTES_MIN and PHASE_MINUTES_MAX), and any name that is not a
    phase; empty when the plan is good."""
    if not isinstance(minutes, Mapping):
        return list(PHASES)
    bad = [str(k) for k in minutes if k not in PHASES]
    for p in PHASES:
        value = minutes.get(p)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not limits.PHASE_MINUTES_MIN <= value <= limits.PHASE_MINUTES_MAX:
            bad.append(p)
    return bad


def planned_seconds(minutes: Mapping[str, int] | None, phase: str) -> int:
    """A phase's planned length in seconds under ``minutes`` (the default plan fills gaps)."""
    value = (minutes or {}).get(phase)
    return (value if isinstance(value, int) else PLANNED_MINUTES[phase]) * 60


def current(log: tuple[tuple[str, datetime], ...], now: datetime,
            minutes: Mapping[str, int] | None = None) -> dict[str, Any] | None:
    """The phase now running (for the public screen): its label, plan and the seconds used
    so far (every span of it, as in ``timeline``); None before the first."""
    for row in timeline(log, now, minutes):
        if row["current"]:
            return {k: row[k] for k in ("phase", "label", "planned_seconds", "used_seconds")}
    return None


def timeline(log: tuple[tuple[str, datetime], ...], now: datetime,
             minutes: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """Each phase in order (JSON-ready) with its plan (``minutes``, the conference's; the
    default plan otherwise), when it began and ended (ISO 8601; the next phase's start) and
    the seconds used so far; ``current`` marks the phase now running. A phase entered twice
    adds up its spans."""
    used: dict[str, float] = dict.fromkeys(PHASES, 0.0)
    first: dict[str, datetime] = {}
    last_end: dict[str, datetime | None] = {}
    for i, (phase, start) in enumerate(log):
        end = log[i + 1][1] if i + 1 < len(log) else None
        used[phase] += max(((end or now) - start).total_seconds(), 0.0)
        first.setdefault(phase, start)
        last_end[phase] = end
    current = log[-1][0] if log else None
    return [{
        "phase": p, "label": LABELS[p], "planned_seconds": planned_seconds(minutes, p),
        "used_seconds": round(used[p], 1),
        "started_at": first[p].isoformat() if p in first else None,
        "ended_at": last_end[p].isoformat() if last_end.get(p) and p != current else None,
        "current": p == current,
    } for p in PHASES]


def phase_at(log: tuple[tuple[str, datetime], ...], moment: datetime) -> str | None:
    """The phase running at ``moment`` (None before the first): to group turns by phase."""
    found = None
    for phase, start in log:
        if start <= moment:
            found = phase
        else:
            break
    return found
