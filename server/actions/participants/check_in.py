"""Check a person in on the day, or undo a check-in made by mistake
(participant.check_in / participant.undo_check_in in the audit log).

Input: ``checked_in`` (default yes), ``conference_id`` and ``participant_id``.
Permission: ``check_in``.
"""

from __future__ import annotations

from server.actions.participants import FIELDS
from server.api.schemas import CheckInIn, ParticipantOut, RecordId
from server.commands import audit, scope
from server.executor import Action, Context


class Input(CheckInIn):
    conference_id: RecordId
    participant_id: RecordId


class CheckIn(Action):
    name = "participant.check_in"
    permission = "check_in"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> ParticipantOut:
        p = await scope.participant(ctx.db, ctx.actor, data.conference_id, data.participant_id)
        before = audit.snapshot(p, FIELDS)
        p.checked_in_at = ctx.now if data.checked_in else None
        await ctx.db.flush()
        ctx.audit("participant.check_in" if data.checked_in else "participant.undo_check_in",
                  "participant", p.id, before=before, after=audit.snapshot(p, FIELDS))
        return ParticipantOut.model_validate(p)
