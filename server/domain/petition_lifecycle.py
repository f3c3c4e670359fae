"""One petition's life, from the day it is raised to the day it is resolved.

Every part that shows a petition (the documents, the deadline board, the overview,
the public results) reads its state and its dates from here, so their counts and
dates agree.

- **States and outcomes**, with ONE table of Vietnamese labels (``STAGES``): for each
  state, the label officials and the public read, and the label of the chairman's
  decision (the answer's outcome) that puts a petition there.
- **Raised on**: the conference's day for a petition of a conference; otherwise the
  day it was recorded.
- **One rule for each due date**:

  - *conclusion notice*: the profile's conclusion notice (10 working days after the
    conference under the seed letter), or the 2025 law's publication of results;
  - *written reply* (a case that needs verification): the profile's
    ``verification_reply`` rule, else the seed letter's 30 working days
    (``FALLBACK_WRITTEN_REPLY``): the legal period, which a typed date never moves;
  - *verification result*: the date the chairman typed, else the written-reply date.
    A typed date later than the written-reply date is a promise for the result; the
    written reply (content, requirements, timeline, who is responsible) is still due
    by the legal date;
  - *assigned to a unit*: the chairman's date, never before the raised-on day.

- **Resolved on**: a date stored on the petition when it is marked resolved (cleared
  when it is reopened), never the row's last change.

Pure: no I/O; the callers pass dates and rows' values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from server.domain.calendar import WorkCalendar
from server.domain.deadlines import (
    DatedDeadline,
    add_days,
    dated_deadline,
    deadlines_for_petition,
)
from server.domain.errors import Invalid
from server.domain.rule_profiles import DeadlineRule, PetitionOutcome, RuleProfile


class PetitionStatus(StrEnum):
    """A petition's state (the ``status`` column; ``verifying`` is the profiles'
    ``needs_verification``)."""

    OPEN = "open"
    ANSWERED = "answered"
    ASSIGNED = "assigned"
    VERIFYING = "verifying"
    FORWARDED = "forwarded"
    RESOLVED = "resolved"


class AnswerOutcome(StrEnum):
    """What the leaders decided at the conference; an answer sets the petition's status
    to the status of the same name."""

    ANSWERED = "answered"
    ASSIGNED = "assigned"
    VERIFYING = "verifying"
    FORWARDED = "forwarded"


@dataclass(frozen=True)
class Stage:
    """One row of the table: a state, and the decision that leads to it."""

    state: PetitionStatus
    label: str  # the petition in this state, for officials and the public
    outcome: AnswerOutcome | None  # the chairman's decision that puts it here (None: none)
    outcome_label: str  # that decision, as the secretary records it
    profile_outcome: PetitionOutcome | None  # the rule profiles' word for it


#: The one table of a petition's states and outcomes with their Vietnamese labels.
STAGES: tuple[Stage, ...] = (
    Stage(PetitionStatus.OPEN, "Chưa có kết luận", None, "", None),
    Stage(PetitionStatus.ANSWERED, "Đã trả lời tại hội nghị", AnswerOutcome.ANSWERED,
          "Đã trả lời tại hội nghị", PetitionOutcome.ANSWERED),
    Stage(PetitionStatus.ASSIGNED, "Đã giao đơn vị giải quyết", AnswerOutcome.ASSIGNED,
          "Giao đơn vị giải quyết", PetitionOutcome.ASSIGNED),
    Stage(PetitionStatus.VERIFYING, "Đang kiểm tra, xác minh", AnswerOutcome.VERIFYING,
          "Cần xác minh, trả lời bằng văn bản", PetitionOutcome.NEEDS_VERIFICATION),
    Stage(PetitionStatus.FORWARDED, "Đã chuyển cơ quan có thẩm quyền", AnswerOutcome.FORWARDED,
          "Ngoài thẩm quyền, chuyển cơ quan có thẩm quyền", PetitionOutcome.FORWARDED),
    Stage(PetitionStatus.RESOLVED, "Đã giải quyết xong", None, "", None),
)

STATUS_LABELS: dict[PetitionStatus, str] = {s.state: s.label for s in STAGES}
OUTCOME_LABELS: dict[AnswerOutcome, str] = {s.outcome: s.outcome_label for s in STAGES if s.outcome}
#: The states in display order, and their labels by plain string (JSON, templates).
STATES: tuple[str, ...] = tuple(str(s.state) for s in STAGES)
STATE_LABELS: dict[str, str] = {str(s.state): s.label for s in STAGES}

#: Answer.outcome (as recorded at the conference) -> the rule profiles' outcome.
ANSWER_OUTCOMES: dict[str, PetitionOutcome] = {
    **{str(s.outcome): s.profile_outcome for s in STAGES if s.outcome and s.profile_outcome},
    "needs_verification": PetitionOutcome.NEEDS_VERIFICATION,  # the profiles' own word
}
#: The petition status an answer's outcome sets.
STATUS_OF_OUTCOME: dict[str, PetitionStatus] = {str(s.outcome): s.state for s in STAGES if s.outcome}


def outcome_label(answer_outcome: str) -> str:
    """The label of an answer's outcome; an unknown value is shown as it is."""
    for s in STAGES:
        if s.outcome is not None and s.outcome == answer_outcome:
            return s.outcome_label
    return answer_outcome


def outcome_of(answer_outcome: str | None) -> PetitionOutcome | None:
    """The profile outcome of the latest answer (None: no conclusion yet or unknown)."""
    if answer_outcome is None:
        return None
    return ANSWER_OUTCOMES.get(answer_outcome)


def petition_state(answer_outcome: str | None, petition_status: str) -> str:
    """One of STATES: resolved when the petition was closed, otherwise its latest handling."""
    if petition_status == PetitionStatus.RESOLVED:
        return str(PetitionStatus.RESOLVED)
    outcome = outcome_of(answer_outcome)
    if outcome is None:
        return str(PetitionStatus.OPEN)
    return str(PetitionStatus.VERIFYING) if outcome == PetitionOutcome.NEEDS_VERIFICATION else str(outcome)


#: A case that needs verification with no unit: the written reply must say who is responsible
#: (the seed letter, item 7) and the conclusion notice names the unit, so neither can be
#: issued; the answer itself is kept (the chairman may name the unit after the conference).
VERIFYING_WITHOUT_UNIT = (
    "Kiến nghị cần kiểm tra, xác minh nhưng chưa ghi đơn vị, người chịu trách nhiệm xác minh. "
    "Văn bản trả lời công dân phải nêu người chịu trách nhiệm, và thông báo kết luận chưa ban "
    "hành được cho đến khi có đơn vị: hãy ghi lại kết luận kèm đơn vị được giao.")


def answer_warnings(answer_outcome: str, unit: str) -> list[str]:
    """What is missing from an answer that the documents will need (empty: nothing).
    A warning, not a refusal: the answer records what was decided at the conference."""
    if answer_outcome in (AnswerOutcome.VERIFYING, "needs_verification") and not unit.strip():
        return [VERIFYING_WITHOUT_UNIT]
    return []


# ---- the raised-on and resolved-on dates ----------------------------------------------------


def raised_on(conference_day: date | None, recorded_on: date) -> date:
    """The day a petition counts from: its conference's day, else the day it was recorded."""
    return conference_day if conference_day is not None else recorded_on


def resolved_on_after(status: str, stored: date | None, today: date) -> date | None:
    """The stored resolved-on date once the status is set to ``status``.

    Resolved: the date already given (a clerk may type an earlier day, or it was
    resolved before), else today. Any other status (reopened): no date.
    """
    if status != PetitionStatus.RESOLVED:
        return None
    return stored or today


def check_resolved_on(resolved_on: date, raised: date, today: date) -> None:
    """A typed resolved-on date lies between the raised-on day and today."""
    if resolved_on > today:
        raise Invalid("resolved_in_future",
                      f"Ngày giải quyết xong {resolved_on:%d/%m/%Y} sau ngày hôm nay.")
    if resolved_on < raised:
        raise Invalid("resolved_before_raised",
                      f"Ngày giải quyết xong {resolved_on:%d/%m/%Y} trước ngày nêu kiến nghị "
                      f"{raised:%d/%m/%Y}.")


def resolved_on(status: str, stored: date | None) -> date | None:
    """The day a resolved petition was resolved (None while it is not)."""
    return stored if status == PetitionStatus.RESOLVED else None


# ---- one rule for each due date ---------------------------------------------------------------

#: The seed letter's periods, used when the commune's profile does not name one.
FALLBACK_CONCLUSION = DeadlineRule(
    key="conclusion_notice", label="Thông báo kết luận của Chủ tịch UBND xã", length=10,
    unit="working", anchor="after_conference",
    basis="Công văn 457/UBND-NV: chậm nhất 10 ngày làm việc sau hội nghị "
          "(áp dụng khi bộ quy tắc của xã không quy định)")
FALLBACK_WRITTEN_REPLY = DeadlineRule(
    key="verification_reply", label="Trả lời bằng văn bản vụ việc cần xác minh", length=30,
    unit="working", anchor="after_conference", applies_to="petition",
    outcomes=(PetitionOutcome.NEEDS_VERIFICATION,),
    basis="Công văn 457/UBND-NV: trong thời hạn 30 ngày làm việc "
          "(áp dụng khi bộ quy tắc của xã không quy định)")
#: The conference deadline that is the conclusion notice, in order of preference.
CONCLUSION_KEYS = ("conclusion_notice", "results_publication")

VERIFICATION_RESULT_KEY = "verification_result"
VERIFICATION_RESULT_LABEL = "Hạn có kết quả xác minh theo kết luận của Chủ tịch"


def conclusion_rule(profile: RuleProfile) -> DeadlineRule:
    after = [r for r in profile.conference_rules() if r.anchor == "after_conference"]
    for key in CONCLUSION_KEYS:
        for r in after:
            if r.key == key:
                return r
    return after[0] if after else FALLBACK_CONCLUSION


def conclusion_due(conference_day: date, profile: RuleProfile, cal: WorkCalendar) -> date:
    """The day the chairman's conclusion notice is due."""
    rule = conclusion_rule(profile)
    return add_days(conference_day, rule.length, rule.unit, cal)


def with_written_reply(profile: RuleProfile) -> RuleProfile:
    """The profile, with the seed letter's written-reply rule when it has none of its own."""
    if profile.petition_rules(PetitionOutcome.NEEDS_VERIFICATION):
        return profile
    return dataclasses.replace(profile, deadlines=(*profile.deadlines, FALLBACK_WRITTEN_REPLY))


def written_reply_rule(profile: RuleProfile) -> DeadlineRule:
    return with_written_reply(profile).petition_rules(PetitionOutcome.NEEDS_VERIFICATION)[0]


def written_reply_due(raised: date, profile: RuleProfile, cal: WorkCalendar) -> date:
    """The legal day of the written reply to a case that needs verification."""
    rule = written_reply_rule(profile)
    return add_days(raised, rule.length, rule.unit, cal)


def verification_due(typed: date | None, raised: date, reply_due: date) -> date:
    """The day the result of a verification is promised: the chairman's date, else the
    written-reply date; never before the raised-on day."""
    if typed is None:
        return reply_due
    return max(typed, raised)


def assigned_due(typed: date | None, raised: date) -> date | None:
    """The chairman's date for a unit; one typed before the raised-on day is due at once."""
    return max(typed, raised) if typed is not None else None


@dataclass(frozen=True)
class PetitionDates:
    """Everything dated about one petition, from the one set of rules above."""

    raised_on: date
    state: str  # one of STATES
    outcome: PetitionOutcome | None  # of the latest answer
    conclusion_due: date
    assigned_due: date | None = None  # assigned: the chairman's date
    written_reply_due: date | None = None  # needs verification: the legal written reply
    verification_due: date | None = None  # needs verification: the result, as promised
    resolved_on: date | None = None

    @property
    def promised_beyond_period(self) -> bool:
        """The chairman promised the result later than the written-reply period."""
        return (self.verification_due is not None and self.written_reply_due is not None
                and self.verification_due > self.written_reply_due)

    @property
    def due(self) -> date | None:
        """The date printed beside the petition: the unit's date, or the verification result's."""
        return self.assigned_due or self.verification_due


def petition_dates(*, conference_day: date | None, recorded_on: date, answer_outcome: str | None,
                   status: str, typed_due: date | None, stored_resolved_on: date | None,
                   profile: RuleProfile, cal: WorkCalendar) -> PetitionDates:
    raised = raised_on(conference_day, recorded_on)
    outcome = outcome_of(answer_outcome)
    reply = verify = assigned = None
    if outcome == PetitionOutcome.ASSIGNED:
        assigned = assigned_due(typed_due, raised)
    elif outcome == PetitionOutcome.NEEDS_VERIFICATION:
        reply = written_reply_due(raised, profile, cal)
        verify = verification_due(typed_due, raised, reply)
    return PetitionDates(
        raised_on=raised, state=petition_state(answer_outcome, status), outcome=outcome,
        conclusion_due=conclusion_due(raised, profile, cal), assigned_due=assigned,
        written_reply_due=reply, verification_due=verify,
        resolved_on=resolved_on(status, stored_resolved_on))


# ---- deadlines on the board -----------------------------------------------------------------


def petition_deadlines(d: PetitionDates, profile: RuleProfile, cal: WorkCalendar, today: date,
                       reply_sent_on: date | None = None) -> list[DatedDeadline]:
    """A petition's deadlines as the board shows them, sorted by due day.

    - assigned: the chairman's date, done when resolved;
    - needs verification: the written reply (done when it is first sent, or when the
      petition is resolved) and, when the chairman promised another day, the result
      (done when resolved).
    """
    resolved = d.resolved_on
    if d.outcome == PetitionOutcome.NEEDS_VERIFICATION:
        done = reply_sent_on or resolved
    else:
        done = resolved
    items = deadlines_for_petition(d.raised_on, d.outcome, with_written_reply(profile), cal, today,
                                   done_on=done, assigned_due=d.assigned_due)
    if (d.verification_due is not None and d.written_reply_due is not None
            and d.verification_due != d.written_reply_due):
        items.append(dated_deadline(
            key=VERIFICATION_RESULT_KEY, label=VERIFICATION_RESULT_LABEL, due=d.verification_due,
            length=(d.verification_due - d.raised_on).days, unit="calendar", anchor="assigned",
            anchor_date=d.raised_on, today=today, cal=cal, done_on=resolved))
    return sorted(items, key=lambda x: (x.due, x.key))


# ---- handled on time -------------------------------------------------------------------------


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
    outcome: PetitionOutcome | None = None,
) -> Timeliness:
    """Was a petition handled on time?

    - answered / forwarded / open: the chairman's conclusion (first answer) by the
      conference's conclusion deadline;
    - assigned: resolved by the unit's deadline (the conclusion deadline if none given);
    - verifying: the written reply sent by the written-reply deadline (``verification_due``);
    - resolved: by the rule of the handling it had (``outcome``): assigned, resolved by the
      unit's date; needs verification, the written reply (or the resolution) by the
      written-reply date; answered or forwarded, the first answer by the conclusion
      deadline. Without a known handling: resolved by the unit's date or the conclusion
      deadline.
    """
    if state == "assigned":
        due, done = assigned_due or conclusion_due, resolved_on
    elif state == "verifying":
        due, done = verification_due or conclusion_due, reply_sent_on
    elif state == "resolved":
        if outcome == PetitionOutcome.ASSIGNED:
            due, done = assigned_due or conclusion_due, resolved_on
        elif outcome == PetitionOutcome.NEEDS_VERIFICATION:
            due, done = verification_due or conclusion_due, reply_sent_on or resolved_on
        elif outcome in (PetitionOutcome.ANSWERED, PetitionOutcome.FORWARDED):
            due, done = conclusion_due, first_answer_on
        else:
            due = assigned_due or conclusion_due
            done = resolved_on or first_answer_on
    else:
        due, done = conclusion_due, first_answer_on if state != "open" else None
    on_time = done is not None and done <= due
    return Timeliness(due=due, done_on=done, on_time=on_time, counted=done is not None or today > due)


def timeliness(d: PetitionDates, today: date, first_answer_on: date | None,
               reply_sent_on: date | None = None) -> Timeliness:
    """``petition_timeliness`` from a petition's dates (what the overview counts)."""
    return petition_timeliness(d.state, d.conclusion_due, today, first_answer_on,
                               assigned_due=d.assigned_due, resolved_on=d.resolved_on,
                               verification_due=d.written_reply_due, reply_sent_on=reply_sent_on,
                               outcome=d.outcome)
