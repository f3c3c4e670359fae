"""Send today's deadline reminders by e-mail now (each deadline at most once a day).

Input: nothing. Permission: ``manage_settings``.

Sending mail can take a while: the action keeps its own unit of work untouched until the
mail is out (its session connects only at the commit, for the audit record), and the
reminder job records each step with one connection at a time, so no request holds two.
"""

from __future__ import annotations

from sqlalchemy import select

from server.api.schemas import Input as JsonInput
from server.db.models import Setting
from server.domain.errors import Conflict, UpstreamFailed
from server.domain.local_time import local_date
from server.executor import Action, Context
from server.followup import reminders
from server.keys import EXECUTOR


class Input(JsonInput):
    pass


class SendRemindersNow(Action):
    name = "reminders.send_now"
    permission = "manage_settings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        app = ctx.services
        cid = ctx.actor.commune_id
        async with app[EXECUTOR].reading() as db:
            configured = (await db.execute(select(Setting.key).where(
                Setting.commune_id == cid, Setting.key == reminders.SETTING_KEY))
            ).scalar_one_or_none()
        if configured is None:
            raise Conflict("smtp_not_configured", "Chưa cấu hình máy chủ thư (SMTP) nên chưa "
                                                  "gửi được nhắc việc qua e-mail.")
        today = local_date(ctx.now)
        result = (await reminders.send_due_reminders(app, today, [cid])).get(cid, {})
        if result.get("error"):
            raise UpstreamFailed("smtp_failed", result["error"])
        ctx.audit("reminder.send_now", "commune", cid,
                  after={"day": today.isoformat(), "sent": result.get("sent", 0),
                         "already": result.get("already", 0)})
        return result
