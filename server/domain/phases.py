"""The conference's run-of-show: its phases, their Vietnamese names and planned minutes.

A dialogue conference runs in this order (the seed letter and the usual agenda): the
opening and the report, the citizens' opinions, the officials' answers, the chair's
conclusion, the closing. The moderator moves between them from the tablet; the queue
keeps when each began (server/domain/queue.py, ``set_phase``), so the time used is
shown against the plan, and the minutes and transcripts are grouped by phase.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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

PLANNED_MINUTES = {OPENING: 20, OPINIONS: 90, ANSWERS: 45, CONCLUSION: 15, CLOSING: 5}


def timeline(log: tuple[tuple[str, datetime], ...], now: datetime) -> list[dict[str, Any]]:
    """Each phase in order (JSON-ready) with its plan, when it began and ended (ISO 8601;
    the next phase's start) and the seconds used so far; ``current`` marks the phase now running. A
    phase entered twice adds up its spans."""
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
        "phase": p, "label": LABELS[p], "planned_seconds": PLANNED_MINUTES[p] * 60,
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
