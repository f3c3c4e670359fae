"""Edit a petition (petition.update).

Input: the fields to change (``PetitionPatch``; a null leaves a field as it is, except
``conference_id``, which it clears) and ``petition_id``. Permission: ``record_petition``.
Audit: ``petition.update`` with the fields before and after.
"""

from __future__ import annotations

from server.actions.petitions import FIELDS, index, petition_out, usable_field
from server.api.schemas import PetitionOut, PetitionPatch, RecordId
from server.commands import audit, scope
from server.domain.personal_data import sees_phones
from server.executor import Action, Context


class Input(PetitionPatch):
    petition_id: RecordId


class UpdatePetition(Action):
    name = "petition.update"
    permission = "record_petition"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> PetitionOut:
        p = await scope.petition(ctx.db, ctx.actor, data.petition_id)
        before = audit.snapshot(p, FIELDS)
        if data.conference_id is not None:
            await scope.conference(ctx.db, ctx.actor, data.conference_id)
        if data.field_id is not None:
            await usable_field(ctx.db, ctx.actor, data.field_id)
        # a role that is not shown phone numbers cannot overwrite one it never saw
        hidden = () if sees_phones(ctx.actor.role) else ("phone",)
        audit.apply_patch(p, data, clearable=("conference_id",), skip=("petition_id", *hidden))
        await ctx.db.flush()
        await ctx.db.refresh(p, ["field"])
        index(p, p.field.name)
        ctx.audit("petition.update", "petition", p.id, before=before,
                  after=audit.snapshot(p, FIELDS))
        return petition_out(p)
