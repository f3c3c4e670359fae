"""Pure rules of transcripts and answers (no I/O): who may replace a turn's text,
what an answer must carry, the default reply date, and safe CSV cells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.domain import limits
from server.domain.calendar import WorkCalendar
from server.domain.petition_lifecycle import (
    ANSWER_OUTCOMES,
    OUTCOME_LABELS,
    STATUS_OF_OUTCOME,
    written_reply_due,
)
from server.domain.rule_profiles import PetitionOutcome, RuleProfile

MAX_TRANSCRIPT_CHARS = limits.TRANSCRIPT
HUMAN, MACHINE = "human", "machine"

# Answer outcome (API word) -> petition status, outcome in the rule profiles, label: read
# from the petition's lifecycle (server/domain/petition_lifecycle.py), its one table.
OUTCOMES: dict[str, tuple[str, PetitionOutcome, str]] = {
    str(o): (str(STATUS_OF_OUTCOME[str(o)]), ANSWER_OUTCOMES[str(o)], label)
    for o, label in OUTCOME_LABELS.items()
}


@dataclass(frozen=True)
class DraftDecision:
    """What a new machine draft does to a turn's text."""

    replace_text: bool  # the draft becomes the turn's text (and a new revision)


def draft_decision(origin: str, confirmed: bool) -> DraftDecision:
    """A machine draft replaces the text only while no person wrote or confirmed it."""
    return DraftDecision(replace_text=origin != HUMAN and not confirmed)


class AnswerRuleError(ValueError):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


def check_answer(outcome: str, unit: str, due: date | None, raised_on: date) -> None:
    """The fields an outcome needs: a unit and a deadline for an assignment, the
    receiving authority for a forwarded petition; no deadline before the petition."""
    if outcome not in OUTCOMES:
        raise AnswerRuleError("outcome", "invalid_outcome", "Kết quả không hợp lệ.")
    if outcome == "assigned" and due is None:
        raise AnswerRuleError("due_date", "due_date_required",
                              "Giao đơn vị giải quyết thì phải có hạn giải quyết.")
    if outcome == "assigned" and not unit:
        raise AnswerRuleError("unit", "unit_required", "Giao đơn vị giải quyết thì phải ghi đơn vị.")
    if outcome == "forwarded" and not unit:
        raise AnswerRuleError("unit", "unit_required",
                              "Chuyển cơ quan có thẩm quyền thì phải ghi cơ quan nhận.")
    if due is not None and due < raised_on:
        raise AnswerRuleError("due_date", "due_before_petition",
                              f"Hạn {due:%d/%m/%Y} trước ngày nêu kiến nghị {raised_on:%d/%m/%Y}.")


def default_reply_date(outcome: str, raised_on: date, profile: RuleProfile, fallback: RuleProfile,
                       cal: WorkCalendar, today: date) -> date | None:
    """The written-reply date of a case needing verification: the lifecycle's one rule
    (the commune's profile's, else the seed letter's 30 working days). ``fallback`` and
    ``today`` are not used: the lifecycle carries the seed letter's rule itself."""
    if outcome != "verifying":
        return None
    return written_reply_due(raised_on, profile, cal)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
