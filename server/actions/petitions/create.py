"""Record a petition (petition.create).

Input: ``PetitionIn`` (its conference, if any, and its field must be the commune's; the
field still in use). Permission: ``record_petition``. Audit: ``petition.create``.
"""

from __future__ import annotations

from server.actions.petitions import FIELDS, index, petition_out, usable_field
from server.api.schemas import PetitionIn, PetitionOut
from server.commands import audit, scope
from server.db.models import Petition
from server.executor import Action, Context


class CreatePetition(Action):
    name = "petition.create"
    permission = "record_petition"
    Input = PetitionIn

    async def run(self, ctx: Context, data: PetitionIn) -> PetitionOut:
        if data.conference_id is not None:
            await scope.conference(ctx.db, ctx.actor, data.conference_id)
        f = await usable_field(ctx.db, ctx.actor, data.field_id)
        p = Petition(commune_id=ctx.actor.commune_id, **data.model_dump())
        index(p, f.name)
        ctx.db.add(p)
        await ctx.db.flush()
        await ctx.db.refresh(p, ["field"])
        ctx.audit("petition.create", "petition", p.id, after=audit.snapshot(p, FIELDS))
        return petition_out(p)
