"""Play a bulletin now (after the one playing, if any); also replays a finished, failed
or cancelled one whose file is still there.

Input: the conference and the bulletin. Permission: ``control_broadcast``.
"""

from __future__ import annotations

from pathlib import Path

from server.actions.bulletins import BulletinRef, bulletin_of
from server.domain.errors import Gone, conflict
from server.events import BulletinsChanged
from server.executor import Action, Context
from server.followup.bulletins import BulletinOut, bulletin_out
from server.keys import CONFIG

Input = BulletinRef


class PlayBulletinNow(Action):
    name = "bulletin.play_now"
    permission = "control_broadcast"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> BulletinOut:
        b = await bulletin_of(ctx.db, ctx.actor, data.conference_id, data.bulletin_id)
        if b.status == "playing":
            raise conflict("bulletin_playing", "Bản tin này đang được phát.")
        if not (Path(ctx.services[CONFIG].data_dir) / b.audio_path).is_file():
            raise Gone("bulletin_file_gone", "Tệp âm thanh của bản tin không còn.")
        before = {"status": b.status, "play_at": b.play_at.isoformat()}
        b.status, b.play_at, b.error, b.played_at = "scheduled", ctx.now, None, None
        ctx.audit("bulletin.play_now", "bulletin", b.id, before=before,
                  after={"status": b.status, "play_at": b.play_at.isoformat()})
        ctx.emit(BulletinsChanged(b.commune_id, b.conference_id))
        return bulletin_out(b)
