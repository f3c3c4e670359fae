"""The live captions at the edge: their HTTP endpoints, the join acknowledgement, the
listeners declared in server/app.py, and the background job that runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from server.actions.captions.hide_turn import HideIn, HideTurnCaptions
from server.actions.captions.put_vocabulary import PutVocabulary, VocabularyIn
from server.actions.captions.set_settings import SetCaptionsSettings, SettingsIn
from server.api.registry import Api, Call, read_json
from server.auth import Actor
from server.captions import store
from server.captions.service import CaptionService
from server.commands import scope
from server.domain.captions import merge_terms
from server.domain.errors import Unavailable
from server.domain.roles import can
from server.events import CaptionsChanged, QueueChanged
from server.keys import APIS, CAPTIONS, CONFIG, EXECUTOR, JOIN_EXTRAS

api = Api()


class CaptionsStateOut(BaseModel):
    conference_id: int
    enabled: bool
    available: bool
    mode: Literal["live", "finals_only", "paused", "off", "unavailable"]
    public: bool
    show_when_muted: bool
    hidden_turn_id: str | None
    turn_id: str | None
    message: str


class CaptionLineOut(BaseModel):
    conference_id: int
    turn_id: str
    seq: int
    final: bool
    text: str
    at: str


class CaptionsOut(BaseModel):
    state: CaptionsStateOut
    lines: list[CaptionLineOut]


class VocabularyOut(BaseModel):
    terms: list[str]
    from_record: list[str]


def _service(app: web.Application) -> CaptionService:
    svc = app.get(CAPTIONS)
    if svc is None:
        raise Unavailable("captions_unavailable", "Phụ đề chưa khởi động trên máy chủ này.")
    return svc


@api.route("GET", "/api/conferences/{id}/captions", summary="Live captions: state and the "
           "current turn's last lines", tag="captions", response=CaptionsOut)
async def get_captions(call: Call) -> dict:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    svc = _service(call.app)
    if conf.id not in svc.settings:
        svc.settings[conf.id] = await store.load_settings(call.db, conf.commune_id, conf.id)
    return svc.snapshot(conf.id, public_only=False)


@api.route("POST", "/api/conferences/{id}/captions/settings", summary="Turn the captions on or "
           "off, or show them while the broadcast is muted", tag="captions", body=SettingsIn,
           response=CaptionsStateOut, permission=SetCaptionsSettings.permission,
           transaction=False)
async def post_settings(call: Call) -> dict:
    cid = call.path_int("id")
    await call.run(SetCaptionsSettings(), {**await read_json(call.request), "conference_id": cid})
    return _service(call.app).state(cid)


@api.route("POST", "/api/conferences/{id}/captions/hide", summary="Hide one turn's captions "
           "from the public, or show them again", tag="captions", body=HideIn,
           response=CaptionsStateOut, permission=HideTurnCaptions.permission, transaction=False)
async def post_hide(call: Call) -> dict:
    cid = call.path_int("id")
    await call.run(HideTurnCaptions(), {**await read_json(call.request), "conference_id": cid})
    return _service(call.app).state(cid)


async def _vocabulary(call: Call, edited: list[str] | None = None) -> dict:
    """The vocabulary as stored; kept in memory here when this process runs the captions
    (in a province, the one with the audio reads it again when told of a change)."""
    svc = call.app.get(CAPTIONS)
    commune_id = call.user.commune_id
    async with call.app[EXECUTOR].reading() as db:
        found = await store.record_terms(db, commune_id)
        if edited is None:
            edited = await store.edited_terms(db, commune_id)
    if svc is not None:
        svc.vocabulary[commune_id] = merge_terms(found, edited)
    return {"terms": edited, "from_record": found}


@api.route("GET", "/api/commune/vocabulary", summary="The commune's vocabulary for captions "
           "and drafts: the edited list and the names from the record", tag="captions",
           response=VocabularyOut, transaction=False)
async def get_vocabulary(call: Call) -> dict:
    return await _vocabulary(call)


@api.route("PUT", "/api/commune/vocabulary", summary="Replace the commune's edited vocabulary",
           tag="captions", body=VocabularyIn, response=VocabularyOut,
           permission=PutVocabulary.permission, transaction=False)
async def put_vocabulary(call: Call) -> dict:
    terms = await call.run(PutVocabulary(), await read_json(call.request))
    return await _vocabulary(call, terms)


# ---- listeners (declared in server/app.py) --------------------------------------------------

async def follow_queue(app: web.Application, event: QueueChanged) -> None:
    """Listener: captions run while a turn is on the floor."""
    svc = app.get(CAPTIONS)
    if svc is None:
        return
    for ev in event.happenings:
        if not ev.turn_id:
            continue
        if ev.type == "turn_called":  # someone walks to the microphone: load the model now
            await svc.warm_up(event.conference_id, event.commune_id)
        elif ev.type in ("speech_started", "speech_resumed"):
            await svc.turn_on_floor(event.conference_id, event.commune_id, ev.turn_id)
        elif ev.type == "speech_paused":
            await svc.turn_off_floor(event.conference_id, ev.turn_id, ended=False)
        elif ev.type == "speech_ended":
            await svc.turn_off_floor(event.conference_id, ev.turn_id, ended=True)


async def on_captions_changed(app: web.Application, event: CaptionsChanged) -> None:
    """Listener: settings or vocabulary changed: read them again, tell the rooms."""
    svc = app.get(CAPTIONS)
    if svc is None:
        return
    if event.conference_id is None:
        await svc.load_vocabulary(event.commune_id)
        return
    settings = await svc.load_settings(event.conference_id, event.commune_id)
    turn = svc.turn
    if settings["enabled"] and turn is not None and turn.conference_id == event.conference_id:
        svc.ensure_worker()
    await svc.publish_state(event.conference_id)


# ---- assembly -------------------------------------------------------------------------------

def setup(app: web.Application) -> None:
    app[APIS].append(api)
    api.add_to(app)

    async def join_extra(actor: Actor, cid: int) -> dict[str, Any]:
        svc = app.get(CAPTIONS)
        if svc is None:
            return {}
        if cid not in svc.settings:
            await svc.load_settings(cid, actor.commune_id)
        staff = actor.kind == "user" and can(actor.role, "view")
        return {"captions": svc.snapshot(cid, public_only=not staff)}

    app[JOIN_EXTRAS].append(join_extra)

    async def running(app: web.Application) -> AsyncIterator[None]:
        """Background job (cleanup_ctx): after the broadcast has started; the recogniser
        process itself starts with the first captioned turn."""
        svc = CaptionService(app, enabled=app[CONFIG].captions)
        await svc.start()
        app[CAPTIONS] = svc
        yield
        await svc.stop()

    app.cleanup_ctx.append(running)

