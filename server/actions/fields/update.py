"""Rename, reorder or retire a petition field (field.update).

Input: the fields to change (``FieldPatch``) and ``field_id``. Permission:
``manage_settings``. Audit: ``field.update`` with the fields before and after.
"""

from __future__ import annotations

from server.actions.fields import FIELDS
from server.api.schemas import FieldOut, FieldPatch, RecordId
from server.commands import audit, scope
from server.executor import Action, Context


class Input(FieldPatch):
    field_id: RecordId


class UpdateField(Action):
    name = "field.update"
    permission = "manage_settings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> FieldOut:
        f = await scope.field(ctx.db, ctx.actor, data.field_id)
        before = audit.snapshot(f, FIELDS)
        audit.apply_patch(f, data, skip=("field_id",))
        await ctx.db.flush()
        ctx.audit("field.update", "petition_field", f.id, before=before,
                  after=audit.snapshot(f, FIELDS))
        return FieldOut.model_validate(f)
