"""Record an answer to a petition: who answered, the outcome (answered at the conference,
assigned to a unit, to be verified, forwarded), the unit and the due date; the petition
takes the outcome's status. "Verifying" without a date is due on the rule profile's
reply date.

Input: the petition and the answer. Permission: ``record_answer``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.answers import AnswerOut, answer_out
from server.actions.transcripts import TurnId, turn_of
from server.api.errors import invalid_fields
from server.api.formats import IsoDate
from server.api.schemas import Input as JsonInput
from server.api.schemas import Line, OneOf, Para
from server.commands import audit, scope
from server.db.models import Answer, Commune, Conference, Petition
from server.domain import limits
from server.domain.errors import Invalid
from server.domain.local_time import local_date
from server.domain.petitions import AnswerOutcome
from server.domain.rule_profiles import DEFAULT_PROFILE_KEY
from server.events import AnswerCreated
from server.executor import Action, Context
from server.followup.records import calendar_of
from server.keys import RULES
from server.transcripts.rules import OUTCOMES, AnswerRuleError, check_answer, default_reply_date


class AnswerIn(JsonInput):
    answered_by: Line(limits.PERSON_NAME, 1)
    outcome: OneOf(AnswerOutcome)
    unit: Line(limits.ORGANISATION) = ""
    due_date: Annotated[date, *IsoDate] | None = Field(
        default=None, description="Required for 'assigned'; for 'verifying' defaults to the rule "
                                  "profile's reply date")
    text: Para(limits.LONG_TEXT) = ""
    turn_id: TurnId | None = None


class Input(AnswerIn):
    petition_id: int = Field(ge=1)


async def raised_on(db: AsyncSession, p: Petition) -> date:
    """The day the petition was raised: its conference's, else the day it was recorded."""
    if p.conference_id is not None:
        conf = await db.get(Conference, p.conference_id)
        return local_date(conf.starts_at)
    return local_date(p.created_at)


class AddAnswer(Action):
    name = "answer.add"
    permission = "record_answer"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> AnswerOut:
        db = ctx.db
        p = await scope.petition(db, ctx.actor, data.petition_id)
        raised = await raised_on(db, p)
        due = data.due_date
        if due is None and data.outcome == AnswerOutcome.VERIFYING:
            rules = ctx.services[RULES]
            commune = await db.get(Commune, p.commune_id)
            due = default_reply_date("verifying", raised, rules.profile(commune.rule_profile),
                                     rules.profile(DEFAULT_PROFILE_KEY),
                                     await calendar_of(db, rules.calendar(), p.commune_id),
                                     local_date(ctx.now))
        try:
            check_answer(data.outcome, data.unit, due, raised)
        except AnswerRuleError as exc:
            raise invalid_fields([{"field": exc.field, "code": exc.code,
                                   "message": exc.message}]) from None
        if data.turn_id is not None:
            turn = await turn_of(db, ctx.actor, data.turn_id)
            if turn.conference_id != p.conference_id:
                raise Invalid("turn_not_in_conference",
                              "Lượt phát biểu này không thuộc hội nghị của kiến nghị.")
        before = audit.snapshot(p, ("status",))
        a = Answer(petition_id=p.id, turn_id=data.turn_id, answered_by=data.answered_by,
                   outcome=data.outcome, unit=data.unit, due_date=due, text=data.text,
                   created_by=ctx.actor.user_id)
        db.add(a)
        p.status = OUTCOMES[data.outcome][0]
        await db.flush()
        ctx.audit("answer.create", "petition", p.id, before=before, after={
            "status": p.status, "answer_id": a.id, "answered_by": a.answered_by,
            "outcome": a.outcome, "unit": a.unit, "due_date": due.isoformat() if due else None,
            "turn_id": a.turn_id})
        out = answer_out(a)
        if p.conference_id is not None:
            ctx.emit(AnswerCreated(p.conference_id, out.model_dump(mode="json")))
        return out
