"""Pure rules of the follow-up part: a petition's current handling and state,
what marks a deadline done, and whether a petition was handled on time.

No I/O: the callers load rows and pass plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.domain.rule_profiles import PetitionOutcome

#: Answer.outcome (as recorded at the conference) -> the rule profiles' outcome.
ANSWER_OUTCOMES: dict[str, PetitionOutcome] = {
    "answered": PetitionOutcome.ANSWERED,
    "assigned": PetitionOutcome.ASSIGNED,
    "verifying": PetitionOutcome.NEEDS_VERIFICATION,
    "needs_verification": PetitionOutcome.NEEDS_VERIFICATION,
    "forwarded": PetitionOutcome.FORWARDED,
}

#: States of a petition shown to officials and to the public.
STATES: tuple[str, ...] = ("open", "answered", "assigned", "verifying", "forwarded", "resolved")
STATE_LABELS: dict[str, str] = {
    "open": "Chưa có kết luận",
    "answered": "Đã trả lời tại hội nghị",
    "assigned": "Đã giao đơn vị giải quyết",
    "verifying": "Đang kiểm tra, xác minh",
    "forwarded": "Đã chuyển cơ quan có thẩm quyền",
    "resolved": "Đã giải quyết xong",
}


def outcome_of(answer_outcome: str | None) -> PetitionOutcome | None:
    """The profile outcome of the latest answer (None: no conclusion yet or unknown)."""
    if answer_outcome is None:
        return None
    return ANSWER_OUTCOMES.get(answer_outcome)


def petition_state(answer_outcome: str | None, petition_status: str) -> str:
    """One of STATES: resolved when the petition was closed, otherwise its latest handling."""
    if petition_status == "resolved":
        return "resolved"
    outcome = outcome_of(answer_outcome)
    if outcome is None:
        return "open"
    return "verifying" if outcome == PetitionOutcome.NEEDS_VERIFICATION else str(outcome)


@dataclass(frozen=True)
class DocumentEvents:
    """When a conference's documents were issued and first sent (local dates)."""

    conclusion_issued: date | None = None
    conclusion_sent: date | None = None
    report_issued: date | None = None
    report_sent: date | None = None
    announcement_issued: date | None = None
    announced_on: date | None = None  # the conference's public announcement in the app


def conference_done(events: DocumentEvents) -> dict[str, date]:
    """Deadline key -> the day it was met, derived from documents and dispatches.

    - conclusion notice: the day it is issued;
    - report to the higher level: the day it is first sent (dispatch record);
    - results publication (2025 law): the day the conclusion notice is first sent out;
    - announcement (2025 law): the earlier of the in-app announcement and the issued
      announcement document.
    """
    done: dict[str, date] = {}
    if events.conclusion_issued:
        done["conclusion_notice"] = events.conclusion_issued
    if events.report_sent:
        done["report_higher_level"] = events.report_sent
    if events.conclusion_sent:
        done["results_publication"] = events.conclusion_sent
    announced = [d for d in (events.announced_on, events.announcement_issued) if d]
    if announced:
        done["announcement"] = min(announced)
    return done


@dataclass(frozen=True)
class Timeliness:
    due: date
    done_on: date | None
    on_time: bool
    counted: bool  # its deadline has passed or it is done: it enters the on-time share


def petition_timeliness(
    state: str,
    conclusion_due: date,
    today: date,
    first_answer_on: date | None,
    assigned_due: date | None = None,
    resolved_on: date | None = None,
    verification_due: date | None = None,
    reply_sent_on: date | None = None,
) -> Timeliness:
    """Was a petition handled on time?

    - answered / forwarded / open: the chairman's conclusion (first answer) by the
      conference's conclusion deadline;
    - assigned: resolved by the unit's deadline (the conclusion deadline if none given);
    - verifying: the written reply sent by the verification deadline;
    - resolved: counted by the day it was resolved against the deadline of its
      handling (assigned deadline when one was given, else the conclusion deadline).
    """
    if state == "assigned":
        due, done = assigned_due or conclusion_due, resolved_on
    elif state == "verifying":
        due, done = verification_due or conclusion_due, reply_sent_on
    elif state == "resolved":
        due = assigned_due or conclusion_due
        done = resolved_on or first_answer_on
    else:
        due, done = conclusion_due, first_answer_on if state != "open" else None
    on_time = done is not None and done <= due
    return Timeliness(due=due, done_on=done, on_time=on_time, counted=done is not None or today > due)
