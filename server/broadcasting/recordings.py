"""Per-turn recordings: each finished speaking turn cut out of the continuous recording,
hashed and registered; listening to them; deleting them when the commune's retention
period ends."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import select

from broadcast.service import BroadcastService
from server.actions.recordings.listen import ListenRecording
from server.api.registry import Api, Call
from server.commands import audit, scope
from server.db.models import Commune, Conference, Recording, SpeakingTurn, TurnPetition
from server.domain import queue as q
from server.events import TurnRecorded
from server.keys import (
    BROADCAST,
    CONFIG,
    EXECUTOR,
)

log = logging.getLogger(__name__)
api = Api()


class RecordingOut(BaseModel):
    id: int
    turn_id: str | None
    media_type: str
    sha256: str
    start_s: float
    end_s: float
    url: str


def _recording_out(r: Recording) -> RecordingOut:
    return RecordingOut(id=r.id, turn_id=r.turn_id, media_type=r.media_type, sha256=r.sha256,
                        start_s=r.start_s, end_s=r.end_s, url=f"/api/recordings/{r.id}/audio")


@api.route("GET", "/api/petitions/{id}/recordings", summary="Audio of the turns linked to a petition",
           tag="recordings", response=[RecordingOut], permission="listen_recordings")
async def petition_recordings(call: Call) -> list[RecordingOut]:
    p = await scope.petition(call.db, call.user, call.path_int("id"))
    rows = (await call.db.execute(
        select(Recording).join(TurnPetition, TurnPetition.turn_id == Recording.turn_id)
        .where(TurnPetition.petition_id == p.id).order_by(Recording.start_s))).scalars()
    return [_recording_out(r) for r in rows]


@api.route("GET", "/api/conferences/{id}/recordings", summary="Per-turn recordings of a conference",
           tag="recordings", response=[RecordingOut], permission="listen_recordings")
async def conference_recordings(call: Call) -> list[RecordingOut]:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    rows = (await call.db.execute(select(Recording).where(Recording.conference_id == conf.id)
                                  .order_by(Recording.start_s))).scalars()
    return [_recording_out(r) for r in rows]


@api.route("GET", "/api/recordings/{id}/audio", summary="Play or download one recording",
           tag="recordings", permission=ListenRecording.permission, raw=True,
           response={"audio/wav": {}, "audio/ogg": {}}, transaction=False)
async def recording_audio(call: Call) -> web.StreamResponse:
    audio = await call.run(ListenRecording(), {"recording_id": call.path_int("id")})
    return web.FileResponse(audio.path, headers={
        "Content-Type": audio.media_type, "Cache-Control": "private, no-store",
        "Content-Disposition": f'inline; filename="{audio.filename}"'})


async def record_turn(app: web.Application, conference_id: int, turn: q.Turn) -> Recording | None:
    """Cut a finished turn out of the continuous recording and register the file."""
    svc: BroadcastService | None = app.get(BROADCAST)
    if svc is None or turn.started_at is None or turn.ended_at is None:
        return None
    rec = svc.recorder
    start_s, end_s = rec.offset_at(turn.started_at), rec.offset_at(turn.ended_at)
    if start_s is None or end_s is None or end_s <= start_s:
        log.warning("turn %s is not within the recording", turn.id)
        return None
    folder = app[CONFIG].data_dir / "recordings" / f"conference-{conference_id}"
    wav, digest = await rec.extract(turn.started_at, turn.ended_at, folder / f"{turn.id}.wav")
    async with app[EXECUTOR].unit() as unit:
        db = unit.db
        row = Recording(conference_id=conference_id, turn_id=turn.id, path=str(wav),
                        media_type="audio/wav", sha256=digest, start_s=start_s, end_s=end_s)
        db.add(row)
        st = await db.get(SpeakingTurn, turn.id)
        if st is not None:
            st.recording_start_s, st.recording_end_s = start_s, end_s
        audit.record(db, "system", "recording.turn", "speaking_turn", turn.id,
                     after={"path": wav.name, "sha256": digest, "start_s": start_s, "end_s": end_s})
        unit.emit(TurnRecorded(conference_id, turn.id, wav))
    return row


async def expire_recordings(app: web.Application, now: datetime | None = None) -> list[str]:
    """Delete the audio whose retention period (the commune's setting) has ended.

    Per-turn files go when their commune's period ends (their rows stay, so the audit
    trail and the petition page say the audio existed; playing it answers 410). The
    continuous recording is kept as long as the longest period of any commune.
    """
    now = now or datetime.now(UTC)
    deleted: list[str] = []
    async with app[EXECUTOR].unit() as unit:
        db = unit.db
        communes = (await db.execute(select(Commune))).scalars().all()
        for commune in communes:
            cutoff = now - timedelta(days=commune.retention_days)
            rows = (await db.execute(
                select(Recording).join(Conference, Conference.id == Recording.conference_id)
                .where(Conference.commune_id == commune.id, Recording.created_at < cutoff)
            )).scalars()
            for r in rows:
                path = Path(r.path)
                if path.is_file():
                    path.unlink()
                    deleted.append(path.name)
                    audit.record(db, "system", "recording.expire", "recording", r.id,
                                 before={"path": path.name, "sha256": r.sha256},
                                 reason=f"hết thời hạn lưu {commune.retention_days} ngày",
                                 commune_id=commune.id)
    svc: BroadcastService | None = app.get(BROADCAST)
    if svc is not None and communes:
        longest = max(c.retention_days for c in communes)
        deleted += svc.recorder.expire_before(now - timedelta(days=longest))
    return deleted

