"""The live broadcast inside the server: the BroadcastService (broadcast/) started with
the server, controlled from the tablets, its state pushed to every tablet and, reduced to
``on_air``/``live_audio``, to the public screens (both as ``broadcast:status``); it
follows the floor (the auto-mute rule between turns) and has each finished turn cut out.
Every change a person makes is an action (server/actions/broadcast/)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from broadcast.service import BroadcastService
from server.actions.broadcast import CONTROLS
from server.actions.broadcast.set_auto_mute import AutoMuteIn, SetAutoMute
from server.actions.broadcast.set_muted import MuteIn, SetMuted
from server.actions.broadcast.set_on_air import OnAirIn, SetOnAir
from server.api.registry import Api, Call, read_json
from server.api.responses import BroadcastStatus, RelayReportOut
from server.auth import Actor
from server.broadcasting.province import ProvinceBroadcast
from server.broadcasting.recordings import api as recordings_api
from server.broadcasting.recordings import expire_recordings, record_turn
from server.domain.broadcast_mute import Mute, effective_mute
from server.domain.errors import Unavailable
from server.events import QueueChanged
from server.fanout import fan_out
from server.keys import (
    APIS,
    BACKGROUND,
    BROADCAST,
    CONFIG,
    EXECUTOR,
    IDENTITIES,
    JOIN_EXTRAS,
    OPENAPI_EXTRA,
    SIO,
)

log = logging.getLogger(__name__)
api = Api()


class BroadcastControls:
    """What the server keeps beside the running broadcast: the operator's own mute, the
    auto-mute rule between turns and whether a turn is on the floor. The broadcast is
    always told the effective mute the rule gives (server/domain/broadcast_mute.py), so
    unticking auto-mute gives back exactly what the operator chose."""

    def __init__(self, svc: BroadcastService) -> None:
        self.svc = svc
        self.operator_muted = False
        self.auto_mute = False
        self.turn_on_floor = False

    def mute(self) -> Mute:
        return effective_mute(self.operator_muted, self.auto_mute, self.turn_on_floor)

    async def _apply(self) -> None:
        await self.svc.set_muted(self.mute().muted)

    async def set_operator_muted(self, muted: bool) -> None:
        self.operator_muted = bool(muted)
        await self._apply()

    async def set_auto_mute(self, enabled: bool) -> None:
        self.auto_mute = bool(enabled)
        await self._apply()

    async def follow_floor(self, on_floor: bool) -> None:
        self.turn_on_floor = on_floor
        await self._apply()

    def status(self, status: dict[str, Any] | None = None) -> dict[str, Any]:
        """The broadcast's state for the tablets. ``muted`` is what goes out (a bulletin
        on air is never muted); ``mute_reason`` says why ("operator": the operator muted,
        "between_turns": auto-mute with nobody on the floor; null when not muted);
        ``operator_muted`` is the operator's own choice (the mute button)."""
        st = dict(self.svc.status() if status is None else status)
        mute = self.mute()
        muted = bool(st["muted"])
        st.update(operator_muted=self.operator_muted, auto_mute_between_turns=self.auto_mute,
                  turn_on_floor=self.turn_on_floor,
                  mute_reason=mute.reason.value if muted and mute.reason else None,
                  mute_reason_label=mute.label if muted else None)
        return st


PROVINCE: web.AppKey[ProvinceBroadcast] = web.AppKey("province_broadcast")
NOT_STARTED = "Phát thanh chưa khởi động."


def shown_status(app: web.Application) -> dict[str, Any] | None:
    """The broadcast's full status as this process shows it: its own when it runs the
    broadcast, else the audio process's last one (a province), else None."""
    province = app.get(PROVINCE)
    if province is None or province.owner():
        return app[CONTROLS].status() if app.get(BROADCAST) is not None else None
    return province.heard.current()


@api.route("GET", "/api/broadcast", summary="Broadcast state: source, level, outputs, relays",
           tag="broadcast", response=BroadcastStatus)
async def get_broadcast(call: Call) -> dict:
    status = shown_status(call.app)
    if status is None:
        raise Unavailable("broadcast_unavailable", NOT_STARTED)
    return status


async def _control(call: Call, action: Any) -> dict:
    """Run a control here, or (a province, the audio elsewhere) on the audio process."""
    body = await read_json(call.request)
    province = call.app.get(PROVINCE)
    if province is not None and province.active and not province.owner():
        return await province.forward(action, call.user, body)
    status = await call.run(action, body)
    if province is not None:
        province.publish(status, force=True)  # the others show it now
    return status


@api.route("POST", "/api/broadcast/on-air", summary="Go on air (with a chime) or off air",
           tag="broadcast", body=OnAirIn, permission=SetOnAir.permission,
           response=BroadcastStatus, transaction=False)
async def set_on_air(call: Call) -> dict:
    return await _control(call, SetOnAir())


@api.route("POST", "/api/broadcast/mute", summary="Mute or unmute the broadcast", tag="broadcast",
           body=MuteIn, permission=SetMuted.permission, response=BroadcastStatus,
           transaction=False)
async def set_muted(call: Call) -> dict:
    return await _control(call, SetMuted())


@api.route("POST", "/api/broadcast/auto-mute", summary="Mute automatically between turns",
           tag="broadcast", body=AutoMuteIn, permission=SetAutoMute.permission,
           response=BroadcastStatus, transaction=False)
async def set_auto_mute(call: Call) -> dict:
    return await _control(call, SetAutoMute())


# The queue's happenings the broadcast acts on (the rest need nothing of it)
FOLLOWED = frozenset({"speech_started", "speech_resumed", "speech_ended", "speech_paused"})


async def follow_queue(app: web.Application, event: QueueChanged) -> None:
    """Listener: the broadcast follows the floor (the auto-mute rule between turns), and
    each finished turn is cut out of the recording in the background (the queue never
    waits for ffmpeg)."""
    if app.get(BROADCAST) is None:
        return
    controls = app[CONTROLS]
    for ev in event.happenings:
        if ev.type in ("speech_started", "speech_resumed"):
            await controls.follow_floor(True)
        elif ev.type in ("speech_ended", "speech_paused"):
            await controls.follow_floor(False)
        turn = event.state.turn(ev.turn_id) if ev.type == "speech_ended" and ev.turn_id else None
        if turn is not None:
            task = asyncio.get_running_loop().create_task(
                record_turn(app, event.conference_id, turn))
            app[BACKGROUND].add(task)
            task.add_done_callback(app[BACKGROUND].discard)


def setup(app: web.Application) -> None:
    for part in (api, recordings_api):
        app[APIS].append(part)
        part.add_to(app)
    app[OPENAPI_EXTRA].update({
        "/live.opus": {"get": {"summary": "Live Ogg/Opus stream (headers first for late joiners)",
                               "tags": ["broadcast"], "security": [], "responses": {"200": {
                                   "description": "An endless audio stream", "content": {
                                       "audio/ogg": {"schema": {"type": "string",
                                                                "format": "binary"}}}}}}},
        "/live.mp3": {"get": {"summary": "Live MP3 stream", "tags": ["broadcast"], "security": [],
                              "responses": {"200": {
                                  "description": "An endless audio stream", "content": {
                                      "audio/mpeg": {"schema": {"type": "string",
                                                                "format": "binary"}}}}}}},
        "/api/relays/report": {"post": {
            "summary": "A loudspeaker relay reports its health (Bearer relay device token)",
            "tags": ["broadcast"], "security": [{"device": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "connected"], "properties": {
                    "name": {"type": "string", "maxLength": 100,
                             "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"},
                    "connected": {"type": "boolean"},
                    "buffer_ms": {"type": "number", "minimum": 0},
                    "last_audio_at": {"anyOf": [{"type": "string", "format": "date-time"},
                                                {"type": "null"}]},
                    "errors": {"type": "array", "items": {"type": "string"}},
                    "url": {"type": "string"},
                    "underruns": {"type": "integer", "minimum": 0},
                    "underruns_1min": {"type": "integer", "minimum": 0},
                    "last_underrun_at": {"anyOf": [{"type": "string", "format": "date-time"},
                                                   {"type": "null"}]},
                    **{k: {"type": "number", "minimum": 0} for k in (
                        "target_ms", "silence_ms", "dropped_ms", "trimmed_ms", "stretched_ms")},
                    "restarts": {"type": "integer", "minimum": 0}}}}}},
            "responses": {
                "200": {"description": "Recorded", "content": {"application/json": {
                    "schema": RelayReportOut.model_json_schema()}}},
                "4XX": {"description": "Refused: no relay token, or a malformed report",
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    })
    config = app[CONFIG]

    async def authorize_relay(token: str) -> bool:
        """A loudspeaker relay's device token, through the same Identities as HTTP and
        sockets (remembered for a few seconds; a revoked token is forgotten at once)."""
        found, actor = app[IDENTITIES].known_device(token)
        if not found:
            async with app[EXECUTOR].reading() as db:
                actor = await app[IDENTITIES].from_device_token(db, token)
        return actor is not None and actor.role == "relay"

    last_public: dict[str, dict[str, Any]] = {}

    def on_change(status: dict[str, Any]) -> None:
        sio = app[SIO]
        status = controls.status(status)
        province.publish(status)  # the other processes show it too
        asyncio.get_running_loop().create_task(fan_out(sio, "broadcast:status", status, "staff"))
        public = {"on_air": status["on_air"], "live_audio": status["live_audio"]}
        if public != last_public.get("value"):
            last_public["value"] = public
            asyncio.get_running_loop().create_task(
                fan_out(sio, "broadcast:status", public, "public"))

    svc = BroadcastService(config.audio_source, config.data_dir, icecast_urls=config.icecast_urls,
                           rtp_targets=config.rtp_targets, line_out=config.line_out,
                           on_change=on_change, authorize_device=authorize_relay,
                           disk_reserve=config.disk_reserve)
    controls = BroadcastControls(svc)
    app[CONTROLS] = controls
    live = {"running": False}  # this process runs the broadcast now (its lease)
    province = ProvinceBroadcast(
        app[SIO].manager, owner=lambda: live["running"],
        status=controls.status, actions={a.name: a for a in (SetOnAir, SetMuted, SetAutoMute)},
        run=lambda action, actor, data: app[EXECUTOR].run(action, actor, data))
    app[PROVINCE] = province
    svc.add_routes(app)

    loops: list[asyncio.Task] = []  # periodic jobs, cancelled on shutdown

    async def start(app: web.Application) -> None:
        await svc.start()
        app[BROADCAST] = svc
        live["running"] = True

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

        jobs = [say_why_no_audio(), retention_sweeps()]
        if province.active:
            jobs.append(province.heartbeat())
            province.publish(controls.status(), force=True)
        for job in jobs:
            loops.append(asyncio.get_running_loop().create_task(job))

    async def stop(app: web.Application) -> None:
        for task in loops:
            task.cancel()
        live["running"] = False  # another process may take the audio over
        province.publish(None)
        await svc.stop()

    async def ask_owner(_app: web.Application) -> None:
        await province.ask()  # a process without the audio shows its state from the start

    app.on_startup.append(ask_owner)

    async def join_extra(actor: Actor, cid: int) -> dict[str, Any]:
        status = shown_status(app) or controls.status()
        if actor.kind == "user":
            return {"broadcast": status}
        return {"broadcast": {"on_air": status["on_air"], "live_audio": status["live_audio"]}}

    @app[SIO].on("broadcast:watch")
    async def watch(sid: str, _data: Any = None) -> dict[str, Any]:
        """A tablet's broadcast panel: the full state now, then every change."""
        actor: Actor = (await app[SIO].get_session(sid))["actor"]
        if actor.kind != "user":
            return {"ok": False, "error": {"code": "forbidden",
                                           "message": "Chỉ cán bộ đã đăng nhập xem được."}}
        await app[SIO].enter_room(sid, "staff")
        return {"ok": True, "broadcast": shown_status(app) or controls.status()}

    app[BACKGROUND] = set()
    app[JOIN_EXTRAS].append(join_extra)
    async def running(app: web.Application) -> AsyncIterator[None]:
        """Background job (cleanup_ctx): started after the database, stopped on shutdown."""
        await start(app)
        yield
        await stop(app)

    app.cleanup_ctx.append(running)

