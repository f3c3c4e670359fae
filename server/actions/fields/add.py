"""Add a petition field (field.add).

Input: ``FieldIn`` (a code not yet used in the commune). Permission: ``manage_settings``.
Audit: ``field.add``.
"""

from __future__ import annotations

from sqlalchemy import select

from server.actions.fields import FIELDS
from server.api.schemas import FieldIn, FieldOut
from server.commands import audit
from server.db.models import PetitionField
from server.domain.errors import Conflict
from server.executor import Action, Context


class AddField(Action):
    name = "field.add"
    permission = "manage_settings"
    Input = FieldIn

    async def run(self, ctx: Context, data: FieldIn) -> FieldOut:
        dup = (await ctx.db.execute(select(PetitionField.id).where(
            PetitionField.commune_id == ctx.actor.commune_id,
            PetitionField.code == data.code))).first()
        if dup:
            raise Conflict("duplicate_code", f"Mã lĩnh vực “{data.code}” đã có.")
        f = PetitionField(commune_id=ctx.actor.commune_id, **data.model_dump())
        ctx.db.add(f)
        await ctx.db.flush()
        ctx.audit("field.add", "petition_field", f.id, after=audit.snapshot(f, FIELDS))
        return FieldOut.model_validate(f)
