"""Invite a person to a conference (participant.add).

Input: ``ParticipantIn`` and ``conference_id``. Permission: ``manage_invitations``.
Audit: ``participant.add`` with the invitation's fields.
"""

from __future__ import annotations

from server.actions.participants import FIELDS, index
from server.api.schemas import ParticipantIn, ParticipantOut, RecordId
from server.commands import audit, scope
from server.db.models import Participant
from server.executor import Action, Context


class Input(ParticipantIn):
    conference_id: RecordId


class AddParticipant(Action):
    name = "participant.add"
    permission = "manage_invitations"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> ParticipantOut:
        await scope.conference(ctx.db, ctx.actor, data.conference_id)
        p = Participant(**data.model_dump())
        index(p)
        ctx.db.add(p)
        await ctx.db.flush()
        ctx.audit("participant.add", "participant", p.id, after=audit.snapshot(p, FIELDS))
        return ParticipantOut.model_validate(p)
