"""Change the commune's settings (commune.update): its names for documents, the higher
authority, the rule profile, how long recordings are kept, the chairman's name.

Input: ``CommuneIn`` (a rule profile the server knows). Permission: ``manage_settings``.
Audit: ``commune.update`` with the settings before and after.
"""

from __future__ import annotations

from server.actions.commune import FIELDS
from server.api.schemas import CommuneIn, CommuneOut
from server.commands import audit
from server.db.models import Commune
from server.domain.errors import Invalid
from server.executor import Action, Context
from server.keys import RULES


class UpdateCommune(Action):
    name = "commune.update"
    permission = "manage_settings"
    Input = CommuneIn

    async def run(self, ctx: Context, data: CommuneIn) -> CommuneOut:
        if data.rule_profile and data.rule_profile not in ctx.services[RULES].profile_keys():
            raise Invalid("unknown_rule_profile", f"Không có bộ quy tắc “{data.rule_profile}”.")
        commune = await ctx.db.get(Commune, ctx.actor.commune_id)
        assert commune is not None
        before = audit.snapshot(commune, FIELDS)
        audit.apply_patch(commune, data)
        await ctx.db.flush()
        ctx.audit("commune.update", "commune", commune.id, before=before,
                  after=audit.snapshot(commune, FIELDS))
        return CommuneOut.model_validate(commune)
