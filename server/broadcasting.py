"""The live broadcast inside the server: control from the tablets, per-turn recordings.

The BroadcastService (broadcast/) captures, encodes, serves the mounts and records;
this module starts it with the server, lets moderators control it, pushes its state
to every tablet and, reduced to ``on_air``/``live_audio``, to the public screens
(both as ``broadcast:status``),
and cuts each finished speaking turn out of the continuous recording.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import select

from broadcast.service import BroadcastService
from server.api.registry import Api, Call
from server.api.schemas import Input
from server.auth import Actor, actor_from_device_token
from server.commands import audit, scope
from server.db.models import Commune, Conference, Recording, SpeakingTurn, TurnPetition
from server.domain import queue as q
from server.domain.errors import Gone, Unavailable, not_found
from server.fanout import fan_out

log = logging.getLogger(__name__)
api = Api()
TurnRecorded = Callable[[int, str, Path], Awaitable[None]]


class OnAirIn(Input):
    on_air: bool
    chime: bool = True


class MuteIn(Input):
    muted: bool


class AutoMuteIn(Input):
    enabled: bool


class RecordingOut(BaseModel):
    id: int
    turn_id: str | None
    media_type: str
    sha256: str
    start_s: float
    end_s: float
    url: str


def _service(call: Call) -> BroadcastService:
    svc = call.app.get("broadcast")
    if svc is None:
        raise Unavailable("broadcast_unavailable", "Phát thanh chưa khởi động.")
    return svc


@api.route("GET", "/api/broadcast", summary="Broadcast state: source, level, outputs, relays",
           tag="broadcast")
async def get_broadcast(call: Call) -> dict:
    return _service(call).status()


@api.route("POST", "/api/broadcast/on-air", summary="Go on air (with a chime) or off air",
           tag="broadcast", body=OnAirIn, permission="control_broadcast")
async def set_on_air(call: Call) -> dict:
    svc = _service(call)
    before = svc.on_air
    await svc.set_on_air(call.body.on_air, chime=call.body.chime)
    audit.record(call.db, call.user, "broadcast.on_air", "broadcast", "live",
                 before={"on_air": before}, after={"on_air": svc.on_air})
    return svc.status()


@api.route("POST", "/api/broadcast/mute", summary="Mute or unmute the broadcast", tag="broadcast",
           body=MuteIn, permission="control_broadcast")
async def set_muted(call: Call) -> dict:
    svc = _service(call)
    before = svc.muted
    await svc.set_muted(call.body.muted)
    audit.record(call.db, call.user, "broadcast.mute", "broadcast", "live",
                 before={"muted": before}, after={"muted": svc.muted})
    return svc.status()


@api.route("POST", "/api/broadcast/auto-mute", summary="Mute automatically between turns",
           tag="broadcast", body=AutoMuteIn, permission="control_broadcast")
async def set_auto_mute(call: Call) -> dict:
    svc = _service(call)
    await svc.set_auto_mute_between_turns(call.body.enabled)
    audit.record(call.db, call.user, "broadcast.auto_mute", "broadcast", "live",
                 after={"enabled": call.body.enabled})
    return svc.status()


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
           tag="recordings", permission="listen_recordings", raw=True,
           response={"audio/wav": {}, "audio/ogg": {}})
async def recording_audio(call: Call) -> web.StreamResponse:
    r = await call.db.get(Recording, call.path_int("id"))
    if r is None:
        raise not_found("Không có bản ghi âm này.")
    await scope.conference(call.db, call.user, r.conference_id)
    path = Path(r.path)
    if not path.is_file():
        raise Gone("recording_gone", "Tệp ghi âm không còn (đã hết thời hạn lưu trữ).")
    audit.record(call.db, call.user, "recording.listen", "recording", r.id)
    return web.FileResponse(path, headers={
        "Content-Type": r.media_type, "Cache-Control": "private, no-store",
        "Content-Disposition": f'inline; filename="luot-{r.turn_id or r.id}{path.suffix}"'})


async def record_turn(app: web.Application, conference_id: int, turn: q.Turn) -> Recording | None:
    """Cut a finished turn out of the continuous recording and register the file."""
    svc: BroadcastService | None = app.get("broadcast")
    if svc is None or turn.started_at is None or turn.ended_at is None:
        return None
    rec = svc.recorder
    start_s, end_s = rec.offset_at(turn.started_at), rec.offset_at(turn.ended_at)
    if start_s is None or end_s is None or end_s <= start_s:
        log.warning("turn %s is not within the recording", turn.id)
        return None
    folder = app["config"].data_dir / "recordings" / f"conference-{conference_id}"
    wav, digest = await rec.extract(turn.started_at, turn.ended_at, folder / f"{turn.id}.wav")
    async with app["sessionmaker"]() as db, db.begin():
        row = Recording(conference_id=conference_id, turn_id=turn.id, path=str(wav),
                        media_type="audio/wav", sha256=digest, start_s=start_s, end_s=end_s)
        db.add(row)
        st = await db.get(SpeakingTurn, turn.id)
        if st is not None:
            st.recording_start_s, st.recording_end_s = start_s, end_s
        audit.record(db, "system", "recording.turn", "speaking_turn", turn.id,
                     after={"path": wav.name, "sha256": digest, "start_s": start_s, "end_s": end_s})
    for listener in app["turn_recorded"]:
        try:
            await listener(conference_id, turn.id, wav)
        except Exception:
            log.exception("turn_recorded listener failed")
    return row


async def expire_recordings(app: web.Application, now: datetime | None = None) -> list[str]:
    """Delete the audio whose retention period (the commune's setting) has ended.

    Per-turn files go when their commune's period ends (their rows stay, so the audit
    trail and the petition page say the audio existed; playing it answers 410). The
    continuous recording is kept as long as the longest period of any commune.
    """
    now = now or datetime.now(UTC)
    deleted: list[str] = []
    async with app["sessionmaker"]() as db, db.begin():
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
    svc: BroadcastService | None = app.get("broadcast")
    if svc is not None and communes:
        longest = max(c.retention_days for c in communes)
        deleted += svc.recorder.expire_before(now - timedelta(days=longest))
    return deleted


def setup(app: web.Application) -> None:
    app["apis"].append(api)
    api.add_to(app)
    app["turn_recorded"] = []  # listeners: (conference_id, turn_id, wav path)
    app["openapi_extra"].update({
        "/live.opus": {"get": {"summary": "Live Ogg/Opus stream (headers first for late joiners)",
                               "tags": ["broadcast"], "security": [],
                               "responses": {"200": {"description": "audio/ogg stream"}}}},
        "/live.mp3": {"get": {"summary": "Live MP3 stream", "tags": ["broadcast"], "security": [],
                              "responses": {"200": {"description": "audio/mpeg stream"}}}},
        "/api/relays/report": {"post": {
            "summary": "A loudspeaker relay reports its health (Bearer relay device token)",
            "tags": ["broadcast"], "security": [{"device": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "connected": {"type": "boolean"},
                    "buffer_ms": {"type": "number"}, "last_audio_at": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "string"}},
                    "stream": {"type": "string"}}}}}},
            "responses": {"200": {"description": "Recorded"}, "4XX": {"description": "Refused"}}}},
    })
    config = app["config"]

    async def authorize_relay(token: str) -> bool:
        async with app["sessionmaker"]() as db:
            actor = await actor_from_device_token(db, token)
        return actor is not None and actor.role == "relay"

    last_public: dict[str, dict[str, Any]] = {}

    def on_change(status: dict[str, Any]) -> None:
        sio = app["sio"]
        asyncio.get_running_loop().create_task(fan_out(sio, "broadcast:status", status, "staff"))
        public = {"on_air": status["on_air"], "live_audio": status["live_audio"]}
        if public != last_public.get("value"):
            last_public["value"] = public
            asyncio.get_running_loop().create_task(
                fan_out(sio, "broadcast:status", public, "public"))

    svc = BroadcastService(config.audio_source, config.data_dir, icecast_urls=config.icecast_urls,
                           rtp_targets=config.rtp_targets, line_out=config.line_out,
                           on_change=on_change, authorize_device=authorize_relay)
    svc.add_routes(app)

    loops: list[asyncio.Task] = []  # periodic jobs, cancelled on shutdown

    async def start(app: web.Application) -> None:
        await svc.start()
        app["broadcast"] = svc
        app["queue"].hooks.append(on_queue_events)

        async def say_why_no_audio() -> None:
            await asyncio.sleep(3)  # the source and the encoder need a moment to start
            reason = svc.no_live_audio_reason()
            if reason:
                log.warning("no live audio: %s", reason)
                print(f"  Chưa có âm thanh trực tiếp / no live audio: {reason}", flush=True)

        async def retention_sweeps() -> None:
            while True:
                try:
                    gone = await expire_recordings(app)
                    if gone:
                        log.info("retention period ended: deleted %d audio files", len(gone))
                except Exception:
                    log.exception("recording retention sweep failed")
                await asyncio.sleep(6 * 3600)

        for job in (say_why_no_audio(), retention_sweeps()):
            loops.append(asyncio.get_running_loop().create_task(job))

    async def stop(app: web.Application) -> None:
        for task in loops:
            task.cancel()
        await svc.stop()

    async def on_queue_events(conference_id: int, state: q.QueueState,
                              events: tuple[q.Event, ...]) -> None:
        for ev in events:
            if ev.type in ("speech_started", "speech_resumed"):
                await svc.turn_started()
            elif ev.type in ("speech_ended", "speech_paused"):
                await svc.turn_ended()
            if ev.type == "speech_ended" and ev.turn_id:
                turn = next(t for t in state.turns if t.id == ev.turn_id)
                # cut in the background: the queue never waits for ffmpeg
                task = asyncio.get_running_loop().create_task(
                    record_turn(app, conference_id, turn))
                app["background"].add(task)
                task.add_done_callback(app["background"].discard)

    async def join_extra(actor: Actor, cid: int) -> dict[str, Any]:
        status = svc.status()
        if actor.kind == "user":
            return {"broadcast": status}
        return {"broadcast": {"on_air": status["on_air"], "live_audio": status["live_audio"]}}

    @app["sio"].on("broadcast:watch")
    async def watch(sid: str, _data: Any = None) -> dict[str, Any]:
        """A tablet's broadcast panel: the full state now, then every change."""
        actor: Actor = (await app["sio"].get_session(sid))["actor"]
        if actor.kind != "user":
            return {"ok": False, "error": {"code": "forbidden",
                                           "message": "Chỉ cán bộ đã đăng nhập xem được."}}
        await app["sio"].enter_room(sid, "staff")
        return {"ok": True, "broadcast": svc.status()}

    app["background"] = set()
    app["join_extras"].append(join_extra)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)

