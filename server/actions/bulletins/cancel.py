"""Cancel a scheduled bulletin; one playing now is stopped (the live broadcast comes back).

Input: the conference and the bulletin. Permission: ``control_broadcast``.
"""

from __future__ import annotations

from server.actions.bulletins import BulletinRef, bulletin_of
from server.domain.errors import conflict
from server.events import BulletinsChanged
from server.executor import Action, Context
from server.followup.bulletins import BulletinOut, bulletin_out
from server.keys import BROADCAST, BULLETIN_SCHEDULER

Input = BulletinRef


class CancelBulletin(Action):
    name = "bulletin.cancel"
    permission = "control_broadcast"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> BulletinOut:
        b = await bulletin_of(ctx.db, ctx.actor, data.conference_id, data.bulletin_id)
        if b.status not in ("scheduled", "playing"):
            raise conflict("bulletin_not_cancellable",
                           "Bản tin này đã phát xong, bị lỗi hoặc đã hủy.")
        before = b.status
        if b.status == "playing":
            sched = ctx.services.get(BULLETIN_SCHEDULER)
            svc = ctx.services.get(BROADCAST)
            if sched is not None and sched.playing_id == b.id and svc is not None:
                svc.stop_bulletin()
        b.status = "cancelled"
        ctx.audit("bulletin.cancel", "bulletin", b.id, before={"status": before},
                  after={"status": "cancelled"})
        ctx.emit(BulletinsChanged(b.commune_id, b.conference_id))
        return bulletin_out(b)
