"""JSON endpoints of transcripts and answers: a turn's text (read, write with
optimistic concurrency, confirm), a conference's turns, answers to petitions and
a petition's whole file (speaker, turns, transcripts, audio, answers)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from server.api.formats import IsoDate
from server.api.registry import Api, Call
from server.api.schemas import Input, Line, Para, PetitionOut
from server.commands import audit, scope
from server.db.models import (
    Answer,
    Commune,
    Conference,
    Petition,
    Recording,
    SpeakingTurn,
    TurnPetition,
)
from server.domain import limits
from server.domain.errors import Conflict, Invalid, not_found
from server.domain.local_time import LOCAL_TZ, local_date
from server.domain.roles import can
from server.domain.rule_profiles import DEFAULT_PROFILE_KEY
from server.events import AnswerCreated, TranscriptUpdated
from server.fanout import fan_out
from server.keys import RULES, SIO
from server.transcripts import store
from server.transcripts.rules import (
    MAX_TRANSCRIPT_CHARS,
    OUTCOMES,
    AnswerRuleError,
    check_answer,
    default_reply_date,
)
from server.transcripts.store import TranscriptView

api = Api()
TurnId = Annotated[str, StringConstraints(min_length=1, max_length=limits.TURN_ID)]


# ---- shapes ---------------------------------------------------------------------------


class TranscriptIn(Input):
    text: Para(MAX_TRANSCRIPT_CHARS)
    base_revision: int = Field(ge=0, description="The revision the text was edited from")


class ConfirmIn(Input):
    base_revision: int = Field(ge=0)


class AnswerIn(Input):
    answered_by: Line(limits.PERSON_NAME, 1)
    outcome: Literal["answered", "assigned", "verifying", "forwarded"]
    unit: Line(limits.ORGANISATION) = ""
    due_date: Annotated[date, *IsoDate] | None = Field(
        default=None, description="Required for 'assigned'; for 'verifying' defaults to the rule "
                                  "profile's reply date")
    text: Para(limits.LONG_TEXT) = ""
    turn_id: TurnId | None = None


class AnswerOut(BaseModel):
    id: int
    petition_id: int
    turn_id: str | None
    answered_by: str
    outcome: str
    outcome_label: str
    unit: str
    due_date: date | None
    text: str
    created_at: datetime


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


async def turn_of(call: Call, turn_id: str) -> SpeakingTurn:
    turn = await call.db.get(SpeakingTurn, turn_id) if len(turn_id) <= limits.TURN_ID else None
    if turn is None:
        raise not_found(f"Không có lượt phát biểu {turn_id!r}.")
    await scope.conference(call.db, call.user, turn.conference_id)
    return turn


class EditConflictError(Conflict):
    """409 carrying the current text, who changed it and when, so nothing is lost."""

    def __init__(self, current: store.TranscriptView) -> None:
        who = current.updated_by or "người khác"
        when = current.updated_at.astimezone(LOCAL_TZ).strftime("%H:%M:%S %d/%m/%Y") \
            if current.updated_at else ""
        super().__init__("edit_conflict",
                         f"Nội dung đã được {who} sửa lúc {when} trong khi bạn đang sửa; "
                         "hãy so sánh hai bản và lưu lại bản đúng.")
        self.current = current

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["current"] = self.current.model_dump(mode="json")
        return out


def publish_transcript(call: Call, view: store.TranscriptView) -> None:
    call.emit(TranscriptUpdated(view.conference_id, view.event()))


async def send_transcript(app: web.Application, event: TranscriptUpdated) -> None:
    """Listener: a saved transcript goes to the conference's staff tablets."""
    await fan_out(app[SIO], "transcript:updated", event.payload, f"staff:{event.conference_id}")


async def send_answer(app: web.Application, event: AnswerCreated) -> None:
    """Listener: a recorded answer goes to the conference's staff tablets."""
    await fan_out(app[SIO], "answer:created", event.payload, f"staff:{event.conference_id}")


def answer_out(a: Answer) -> AnswerOut:
    return AnswerOut(id=a.id, petition_id=a.petition_id, turn_id=a.turn_id, answered_by=a.answered_by,
                     outcome=a.outcome, outcome_label=OUTCOMES[a.outcome][2] if a.outcome in OUTCOMES
                     else a.outcome, unit=a.unit, due_date=a.due_date, text=a.text,
                     created_at=a.created_at)


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
        out.append(TurnOut(id=t.id, conference_id=t.conference_id, kind=t.kind,
                           display_name=t.display_name, hamlet=t.hamlet, topic=t.topic,
                           status=t.status, started_at=t.started_at, ended_at=t.ended_at,
                           petition_ids=links[t.id], transcript=view,
                           recordings=recs[t.id]))
    return out


def turn_order(t: SpeakingTurn) -> tuple:
    return (t.started_at is None, t.started_at or datetime.max.replace(tzinfo=UTC), t.id)


async def raised_on(call: Call, p: Petition) -> date:
    if p.conference_id is not None:
        conf = await call.db.get(Conference, p.conference_id)
        return local_date(conf.starts_at)
    return local_date(p.created_at)


# ---- transcripts ----------------------------------------------------------------------


@api.route("GET", "/api/turns/{turn_id}/transcript", summary="A speaking turn's transcript",
           tag="transcripts", response=TranscriptView)
async def get_transcript(call: Call) -> TranscriptView:
    turn = await turn_of(call, call.request.match_info["turn_id"])
    return await store.load(call.db, turn)


@api.route("PUT", "/api/turns/{turn_id}/transcript",
           summary="Write a turn's transcript (409 edit_conflict if it changed since base_revision)",
           tag="transcripts", body=TranscriptIn, response=TranscriptView, permission="write_transcript")
async def put_transcript(call: Call) -> TranscriptView:
    turn = await turn_of(call, call.request.match_info["turn_id"])
    try:
        view = await store.write_human(call.db, call.user, turn, call.body.text, call.body.base_revision)
    except store.EditConflict as exc:
        raise EditConflictError(exc.current) from None
    publish_transcript(call, view)
    return view


@api.route("POST", "/api/turns/{turn_id}/transcript/confirm",
           summary="Confirm the turn's text as it stands (the machine draft)", tag="transcripts",
           body=ConfirmIn, response=TranscriptView, permission="write_transcript")
async def confirm_transcript(call: Call) -> TranscriptView:
    turn = await turn_of(call, call.request.match_info["turn_id"])
    try:
        view = await store.confirm(call.db, call.user, turn, call.body.base_revision)
    except store.EditConflict as exc:
        raise EditConflictError(exc.current) from None
    publish_transcript(call, view)
    return view


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
           tag="petitions", body=AnswerIn, response=AnswerOut, permission="record_answer", status=201)
async def add_answer(call: Call) -> AnswerOut:
    p = await scope.petition(call.db, call.user, call.path_int("id"))
    data = call.body
    raised = await raised_on(call, p)
    due = data.due_date
    if due is None and data.outcome == "verifying":
        rules = call.app[RULES]
        commune = await call.db.get(Commune, p.commune_id)
        due = default_reply_date("verifying", raised, rules.profile(commune.rule_profile),
                                 rules.profile(DEFAULT_PROFILE_KEY), rules.calendar(),
                                 local_date(datetime.now(UTC)))
    try:
        check_answer(data.outcome, data.unit, due, raised)
    except AnswerRuleError as exc:
        raise Invalid("invalid_input", f"Dữ liệu không hợp lệ — {exc.field}: {exc.message}",
                       [{"field": exc.field, "code": exc.code, "message": exc.message}]) from None
    if data.turn_id is not None:
        turn = await turn_of(call, data.turn_id)
        if turn.conference_id != p.conference_id:
            raise Invalid("turn_not_in_conference",
                           "Lượt phát biểu này không thuộc hội nghị của kiến nghị.")
    before = audit.snapshot(p, ("status",))
    a = Answer(petition_id=p.id, turn_id=data.turn_id, answered_by=data.answered_by,
               outcome=data.outcome, unit=data.unit, due_date=due, text=data.text,
               created_by=call.user.user_id)
    call.db.add(a)
    p.status = OUTCOMES[data.outcome][0]
    await call.db.flush()
    audit.record(call.db, call.user, "answer.create", "petition", p.id, before=before, after={
        "status": p.status, "answer_id": a.id, "answered_by": a.answered_by, "outcome": a.outcome,
        "unit": a.unit, "due_date": due.isoformat() if due else None, "turn_id": a.turn_id})
    out = answer_out(a)
    if p.conference_id is not None:
        call.emit(AnswerCreated(p.conference_id, out.model_dump(mode="json")))
    return out


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
    speaker: dict[str, Any] = {"name": p.raised_by, "hamlet": p.hamlet}
    return PetitionDetail(petition=petition_out(p), speaker=speaker,
                          turns=await turns_out(call, sorted(turns, key=turn_order)),
                          answers=[answer_out(a) for a in answers])
