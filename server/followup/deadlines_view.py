"""Deadlines of conferences and petitions as the app shows them: dated with the
commune's rule profile and the working-day calendar, marked done from the issued
documents and dispatch records (never stored twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from server.domain import petition_lifecycle as lifecycle
from server.domain.calendar import WorkCalendar
from server.domain.deadlines import DatedDeadline, DeadlineStatus, deadlines_for_conference
from server.domain.names import public_name
from server.domain.rule_profiles import RuleProfile
from server.followup.records import CommuneRecord, ConferenceRecord, PetitionRecord
from server.followup.state import STATE_LABELS, conference_done

#: Board order: the most urgent first.
URGENCY = {DeadlineStatus.OVERDUE: 0, DeadlineStatus.DUE_TODAY: 1, DeadlineStatus.DUE_SOON: 2,
           DeadlineStatus.UPCOMING: 3, DeadlineStatus.DONE: 4}
PENDING = (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_TODAY, DeadlineStatus.DUE_SOON)


@dataclass(frozen=True)
class BoardItem:
    item_key: str  # stable: "conference:3:conclusion_notice", "petition:7:verification_reply"
    deadline: DatedDeadline
    conference_id: int | None
    conference_title: str
    petition_id: int | None = None
    subject: str = ""  # what it is about, safe to show to staff

    def to_json(self) -> dict[str, Any]:
        d = self.deadline
        return {
            "item_key": self.item_key, "key": d.key, "label": d.label, "due": d.due.isoformat(),
            "status": str(d.status), "status_label": d.status_label,
            "done_on": d.done_on.isoformat() if d.done_on else None, "late": d.late,
            "days_left": d.days_left, "working_days_left": d.working_days_left,
            "length": d.length, "unit": d.unit, "anchor": d.anchor,
            "anchor_date": d.anchor_date.isoformat(),
            "conference_id": self.conference_id, "conference_title": self.conference_title,
            "petition_id": self.petition_id, "subject": self.subject,
        }


def petition_deadlines(rec: PetitionRecord, profile: RuleProfile, cal: WorkCalendar,
                       today: date) -> list[DatedDeadline]:
    """The petition's deadlines, dated by its lifecycle (the same dates the documents print)."""
    return lifecycle.petition_deadlines(rec.dates(profile, cal), profile, cal, today, rec.reply_sent_on)


def _subject(rec: PetitionRecord) -> str:
    p = rec.petition
    who = public_name(p.raised_by, p.hamlet, p.consent_full_name)
    text = p.content if len(p.content) <= 80 else p.content[:79] + "…"
    return f"Kiến nghị #{p.id} ({p.field.name}) — {who}: {text}"


def conference_items(rec: ConferenceRecord, profile: RuleProfile, cal: WorkCalendar,
                     today: date) -> tuple[list[BoardItem], list[dict[str, Any]]]:
    """The conference's own deadlines, and each petition's with its state."""
    c = rec.conference
    conf_items = [BoardItem(f"conference:{c.id}:{d.key}", d, c.id, c.title, None, c.title)
                  for d in deadlines_for_conference(rec.day, profile, cal, today,
                                                    conference_done(rec.events))]
    petitions = []
    for p in rec.petitions:
        ds = petition_deadlines(p, profile, cal, today)
        petitions.append({
            "petition_id": p.petition.id, "state": p.state, "state_label": STATE_LABELS[p.state],
            "field": p.petition.field.name, "subject": _subject(p),
            "unit": p.latest.unit if p.latest else "",
            "deadlines": [BoardItem(f"petition:{p.petition.id}:{d.key}", d, c.id, c.title,
                                    p.petition.id, _subject(p)).to_json() for d in ds],
        })
    return conf_items, petitions


def board(record: CommuneRecord, profile: RuleProfile, cal: WorkCalendar, today: date,
          include_all: bool = False) -> list[BoardItem]:
    """Every deadline of the commune; by default only the due soon, due today and overdue,
    the most urgent first, then by due day."""
    items: list[BoardItem] = []
    for rec in record.conferences:
        conf_items, _ = conference_items(rec, profile, cal, today)
        items.extend(conf_items)
        for p in rec.petitions:
            items.extend(BoardItem(f"petition:{p.petition.id}:{d.key}", d, rec.conference.id,
                                   rec.conference.title, p.petition.id, _subject(p))
                         for d in petition_deadlines(p, profile, cal, today))
    for p in record.loose_petitions:
        items.extend(BoardItem(f"petition:{p.petition.id}:{d.key}", d, None, "", p.petition.id,
                               _subject(p)) for d in petition_deadlines(p, profile, cal, today))
    if not include_all:
        items = [i for i in items if i.deadline.status in PENDING]
    items.sort(key=lambda i: (URGENCY[i.deadline.status], i.deadline.due, i.item_key))
    return items


def counts(items: list[BoardItem]) -> dict[str, int]:
    out = {"overdue": 0, "due_today": 0, "due_soon": 0}
    for i in items:
        if str(i.deadline.status) in out:
            out[str(i.deadline.status)] += 1
    out["total"] = sum(out.values())
    return out
