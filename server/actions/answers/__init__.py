"""Actions on answers to petitions: record what the leaders decided."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from server.db.models import Answer
from server.domain.petition_lifecycle import answer_warnings
from server.transcripts.rules import OUTCOMES


class AnswerOut(BaseModel):
    id: int
    petition_id: int
    turn_id: str | None
    answered_by: str
    outcome: str
    outcome_label: str
    unit: str
    due_date: date | None
    text: str
    created_at: datetime
    warnings: list[str] = Field(default=[], description="What the documents will still need "
                                "(a case to verify without a responsible unit)")


def answer_out(a: Answer) -> AnswerOut:
    return AnswerOut(id=a.id, petition_id=a.petition_id, turn_id=a.turn_id,
                     answered_by=a.answered_by, outcome=a.outcome,
                     outcome_label=OUTCOMES[a.outcome][2] if a.outcome in OUTCOMES
                     else a.outcome, unit=a.unit, due_date=a.due_date, text=a.text,
                     created_at=a.created_at, warnings=answer_warnings(a.outcome, a.unit))
