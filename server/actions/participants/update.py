"""Edit an invitation (participant.update).

Input: the fields to change (``ParticipantPatch``; a null leaves a field as it is),
``conference_id`` and ``participant_id``. Permission: ``manage_invitations``. Audit:
``participant.update`` with the fields before and after.
"""

from __future__ import annotations

from server.actions.participants import FIELDS, index
from server.api.schemas import ParticipantOut, ParticipantPatch, RecordId
from server.commands import audit, scope
from server.domain.personal_data import sees_phones
from server.executor import Action, Context


class Input(ParticipantPatch):
    conference_id: RecordId
    participant_id: RecordId


class UpdateParticipant(Action):
    name = "participant.update"
    permission = "manage_invitations"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> ParticipantOut:
        p = await scope.participant(ctx.db, ctx.actor, data.conference_id, data.participant_id)
        before = audit.snapshot(p, FIELDS)
        # a role that is not shown phone numbers cannot overwrite one it never saw
        hidden = () if sees_phones(ctx.actor.role) else ("phone",)
        audit.apply_patch(p, data, skip=("conference_id", "participant_id", *hidden))
        index(p)
        await ctx.db.flush()
        ctx.audit("participant.update", "participant", p.id, before=before,
                  after=audit.snapshot(p, FIELDS))
        return ParticipantOut.model_validate(p)
