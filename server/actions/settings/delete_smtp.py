"""Stop the e-mail reminders: forget the commune's SMTP settings.

Input: nothing. Permission: ``manage_settings``.
"""

from __future__ import annotations

from sqlalchemy import delete

from server.api.schemas import Input as JsonInput
from server.db.models import Setting
from server.executor import Action, Context
from server.followup.reminders import SETTING_KEY


class Input(JsonInput):
    pass


class DeleteSmtp(Action):
    name = "settings.delete_smtp"
    permission = "manage_settings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        await ctx.db.execute(delete(Setting).where(Setting.commune_id == ctx.actor.commune_id,
                                                   Setting.key == SETTING_KEY))
        ctx.audit("settings.smtp_delete", "setting", SETTING_KEY)
        return {"configured": False}
