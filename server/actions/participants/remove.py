"""Remove an invitation (participant.remove), unless the person has registered to speak.

Input: ``conference_id`` and ``participant_id``. Permission: ``manage_invitations``.
Audit: ``participant.remove`` with the invitation's fields before (its conference too).
"""

from __future__ import annotations

from sqlalchemy import select

from server.actions.participants import FIELDS
from server.api import schemas
from server.api.schemas import RecordId
from server.commands import audit, scope
from server.db.models import SpeakingTurn
from server.domain.errors import Conflict
from server.executor import Action, Context


class Input(schemas.Input):
    conference_id: RecordId
    participant_id: RecordId


class RemoveParticipant(Action):
    name = "participant.remove"
    permission = "manage_invitations"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict[str, bool]:
        p = await scope.participant(ctx.db, ctx.actor, data.conference_id, data.participant_id)
        spoke = (await ctx.db.execute(select(SpeakingTurn.id).where(
            SpeakingTurn.participant_id == p.id).limit(1))).scalar_one_or_none()
        if spoke is not None:
            raise Conflict("participant_has_turn",
                           f"{p.full_name} đã đăng ký phát biểu tại hội nghị nên không xóa khỏi "
                           "danh sách mời được.")
        before = audit.snapshot(p, FIELDS)
        await ctx.db.delete(p)
        await ctx.db.flush()
        ctx.audit("participant.remove", "participant", data.participant_id, before=before)
        return {"ok": True}
