"""JSON endpoints of transcripts and answers: a turn's text (read, write with
optimistic concurrency, confirm), a conference's turns, answers to petitions and
a petition's whole file (speaker, turns, transcripts, audio, answers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.actions.answers import AnswerOut, answer_out
from server.actions.answers.add import AddAnswer, AnswerIn
from server.actions.transcripts import turn_of
from server.actions.transcripts.confirm import ConfirmIn, ConfirmTranscript
from server.actions.transcripts.put import PutTranscript, TranscriptIn
from server.api.registry import Api, Call, read_json
from server.api.schemas import PetitionOut
from server.commands import scope
from server.db.models import Answer, Recording, SpeakingTurn, TurnPetition
from server.domain.personal_data import name_for, phone_for
from server.domain.roles import can
from server.events import AnswerCreated, TranscriptUpdated
from server.fanout import fan_out
from server.keys import SIO
from server.transcripts import store
from server.transcripts.store import TranscriptView

api = Api()


# ---- shapes ---------------------------------------------------------------------------


class RecordingLink(BaseModel):
    id: int
    start_s: float
    end_s: float
    media_type: str
    url: str | None = Field(description="Only for roles that may listen to recordings")


class TurnOut(BaseModel):
    id: str
    conference_id: int
    kind: str
    display_name: str
    hamlet: str
    topic: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    petition_ids: list[int]
    transcript: TranscriptView
    recordings: list[RecordingLink]


class PetitionDetail(BaseModel):
    petition: PetitionOut
    speaker: dict[str, str]
    turns: list[TurnOut]
    answers: list[AnswerOut]


# ---- helpers --------------------------------------------------------------------------


async def send_transcript(app: web.Application, event: TranscriptUpdated) -> None:
    """Listener: a saved transcript goes to the conference's staff tablets."""
    await fan_out(app[SIO], "transcript:updated", event.payload, f"staff:{event.conference_id}")


async def send_answer(app: web.Application, event: AnswerCreated) -> None:
    """Listener: a recorded answer goes to the conference's staff tablets."""
    await fan_out(app[SIO], "answer:created", event.payload, f"staff:{event.conference_id}")


async def turns_out(call: Call, turns: list[SpeakingTurn]) -> list[TurnOut]:
    ids = [t.id for t in turns]
    links: dict[str, list[int]] = {i: [] for i in ids}
    recs: dict[str, list[RecordingLink]] = {i: [] for i in ids}
    if ids:
        for tp in (await call.db.execute(select(TurnPetition).where(
                TurnPetition.turn_id.in_(ids)).order_by(TurnPetition.petition_id))).scalars():
            links[tp.turn_id].append(tp.petition_id)
        listen = call.user.kind == "user" and can(call.user.role, "listen_recordings")
        for r in (await call.db.execute(select(Recording).where(Recording.turn_id.in_(ids))
                                        .order_by(Recording.id))).scalars():
            recs[r.turn_id].append(RecordingLink(
                id=r.id, start_s=r.start_s, end_s=r.end_s, media_type=r.media_type,
                url=f"/api/recordings/{r.id}/audio" if listen else None))
    out = []
    for t in turns:
        view = await store.load(call.db, t)
        # the speaker's name as the caller's role may see it (an official keeps theirs)
        name = t.display_name if t.kind == "answer" else name_for(
            call.user.role, t.display_name, t.hamlet, False)
        out.append(TurnOut(id=t.id, conference_id=t.conference_id, kind=t.kind,
                           display_name=name, hamlet=t.hamlet, topic=t.topic,
                           status=t.status, started_at=t.started_at, ended_at=t.ended_at,
                           petition_ids=links[t.id], transcript=view,
                           recordings=recs[t.id]))
    return out


async def _sent(call: Call, **ids: Any) -> dict[str, Any]:
    """The JSON body as sent (the endpoint's model already accepted it), with the ids
    the address names: the action's input."""
    return {**await read_json(call.request), **ids}


def _turn_id(call: Call) -> str:
    return call.request.match_info["turn_id"]


def turn_order(t: SpeakingTurn) -> tuple:
    return (t.started_at is None, t.started_at or datetime.max.replace(tzinfo=UTC), t.id)


# ---- transcripts ----------------------------------------------------------------------


@api.route("GET", "/api/turns/{turn_id}/transcript", summary="A speaking turn's transcript",
           tag="transcripts", response=TranscriptView)
async def get_transcript(call: Call) -> TranscriptView:
    turn = await turn_of(call.db, call.user, _turn_id(call))
    return await store.load(call.db, turn)


@api.route("PUT", "/api/turns/{turn_id}/transcript",
           summary="Write a turn's transcript (409 edit_conflict if it changed since base_revision)",
           tag="transcripts", body=TranscriptIn, response=TranscriptView,
           permission=PutTranscript.permission, transaction=False)
async def put_transcript(call: Call) -> TranscriptView:
    return await call.run(PutTranscript(), await _sent(call, turn_id=_turn_id(call)))


@api.route("POST", "/api/turns/{turn_id}/transcript/confirm",
           summary="Confirm the turn's text as it stands (the machine draft)", tag="transcripts",
           body=ConfirmIn, response=TranscriptView, permission=ConfirmTranscript.permission,
           transaction=False)
async def confirm_transcript(call: Call) -> TranscriptView:
    return await call.run(ConfirmTranscript(), await _sent(call, turn_id=_turn_id(call)))


@api.route("GET", "/api/conferences/{id}/turns",
           summary="The conference's speaking turns with petitions, transcripts and audio",
           tag="transcripts", response=[TurnOut])
async def conference_turns(call: Call) -> list[TurnOut]:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    turns = list((await call.db.execute(select(SpeakingTurn).where(
        SpeakingTurn.conference_id == conf.id))).scalars())
    return await turns_out(call, sorted(turns, key=turn_order))


# ---- answers and the petition's file ----------------------------------------------------


@api.route("POST", "/api/petitions/{id}/answers", summary="Record an answer to a petition",
           tag="petitions", body=AnswerIn, response=AnswerOut, permission=AddAnswer.permission,
           status=201, transaction=False)
async def add_answer(call: Call) -> AnswerOut:
    return await call.run(AddAnswer(), await _sent(call, petition_id=call.path_int("id")))


@api.route("GET", "/api/petitions/{id}/answers", summary="Answers recorded for a petition",
           tag="petitions", response=[AnswerOut])
async def list_answers(call: Call) -> list[AnswerOut]:
    p = await scope.petition(call.db, call.user, call.path_int("id"))
    rows = (await call.db.execute(select(Answer).where(Answer.petition_id == p.id)
                                  .order_by(Answer.id))).scalars()
    return [answer_out(a) for a in rows]


@api.route("GET", "/api/petitions/{id}/detail",
           summary="A petition's file: speaker, linked turns with transcripts and audio, answers",
           tag="petitions", response=PetitionDetail)
async def petition_detail(call: Call) -> PetitionDetail:
    from server.api.core import petition_out

    p = await scope.petition(call.db, call.user, call.path_int("id"))
    turns = list((await call.db.execute(select(SpeakingTurn).join(
        TurnPetition, TurnPetition.turn_id == SpeakingTurn.id).where(
        TurnPetition.petition_id == p.id))).scalars())
    answers = (await call.db.execute(select(Answer).where(Answer.petition_id == p.id)
                                     .order_by(Answer.id))).scalars()
    role = call.user.role
    speaker: dict[str, Any] = {"name": name_for(role, p.raised_by, p.hamlet, p.consent_full_name),
                               "hamlet": p.hamlet}
    shown = petition_out(p)
    shown.raised_by = speaker["name"]
    shown.phone = phone_for(role, shown.phone)
    return PetitionDetail(petition=shown, speaker=speaker,
                          turns=await turns_out(call, sorted(turns, key=turn_order)),
                          answers=[answer_out(a) for a in answers])
