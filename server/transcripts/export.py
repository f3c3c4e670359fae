"""Exports of a conference: DOCX minutes (turns, petitions, answers) and CSV files
of petitions and transcripts (UTF-8 with BOM, so spreadsheet programs show
Vietnamese). Minutes are internal: full names are printed."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.registry import Api, Call
from server.api.schemas import Input, Line
from server.commands import audit, scope
from server.db.models import (
    Answer,
    Commune,
    Conference,
    Petition,
    PetitionField,
    SpeakingTurn,
    TranscriptSegment,
    TurnPetition,
)
from server.documents import DocumentInputError, build_minutes, write_docx
from server.documents import model as doc
from server.domain import limits
from server.domain import phases as run_of_show
from server.domain.errors import Invalid
from server.domain.local_time import LOCAL_TZ
from server.followup.minutes import last_secretary
from server.keys import QUEUE
from server.transcripts.rules import HUMAN, OUTCOMES, csv_cell

api = Api()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV_MEDIA = {"text/csv": {"schema": {"type": "string"}}}
MACHINE_MARK = "[bản nháp máy, chưa kiểm tra] "
MODES = {"in_person": "trực tiếp", "online": "trực tuyến", "hybrid": "trực tiếp kết hợp trực tuyến"}


class MinutesQuery(Input):
    json_body = False  # a query string: every value is text
    secretary: Line(limits.PERSON_NAME) | None = None


def issuing_body(commune: Commune) -> doc.IssuingBody:
    name = commune.issuing_body.strip() or "ỦY BAN NHÂN DÂN"
    head = "ỦY BAN NHÂN DÂN"
    lines = (head, name[len(head):].strip()) if name.startswith(head + " ") else (name,)
    return doc.IssuingBody(name_lines=lines, code=commune.body_code or "UBND")


def local(at: datetime | None) -> datetime | None:
    return at.astimezone(LOCAL_TZ).replace(tzinfo=None) if at else None


def answer_sentence(a: Answer) -> str:
    label = OUTCOMES.get(a.outcome, ("", "", a.outcome))[2]
    parts = [label]
    if a.unit:
        parts.append(f"đơn vị: {a.unit}")
    if a.due_date:
        parts.append(f"hạn: {a.due_date:%d/%m/%Y}")
    head = "; ".join(parts)
    return f"{a.text.strip()} ({head})" if a.text.strip() else head


async def _conference_data(db: AsyncSession, conf: Conference) -> dict[str, Any]:
    turns = list((await db.execute(select(SpeakingTurn).where(
        SpeakingTurn.conference_id == conf.id))).scalars())
    turns.sort(key=lambda t: (t.started_at is None, t.started_at or conf.starts_at, t.id))
    ids = [t.id for t in turns]
    segs = {s.turn_id: s for s in (await db.execute(select(TranscriptSegment).where(
        TranscriptSegment.turn_id.in_(ids)))).scalars()} if ids else {}
    links: dict[str, list[int]] = defaultdict(list)
    if ids:
        for tp in (await db.execute(select(TurnPetition).where(TurnPetition.turn_id.in_(ids))
                                    .order_by(TurnPetition.petition_id))).scalars():
            links[tp.turn_id].append(tp.petition_id)
    petitions = list((await db.execute(select(Petition).where(
        Petition.conference_id == conf.id).order_by(Petition.id))).scalars())
    pids = [p.id for p in petitions] + [i for v in links.values() for i in v]
    answers = list((await db.execute(select(Answer).where(Answer.petition_id.in_(pids))
                                     .order_by(Answer.id))).scalars()) if pids else []
    fields = {f.id: f.name for f in (await db.execute(select(PetitionField).where(
        PetitionField.commune_id == conf.commune_id))).scalars()}
    return {"turns": turns, "segs": segs, "links": links, "petitions": petitions,
            "answers": answers, "fields": fields}


def turn_text(seg: TranscriptSegment | None) -> tuple[str, str]:
    """The text to print and where it comes from (người / máy / "")."""
    if seg is None or not (seg.text or seg.machine_text):
        return "", ""
    if seg.origin == HUMAN or seg.confirmed:
        return seg.text, "người"
    return seg.text or seg.machine_text, "máy"


def minutes_model(commune: Commune, conf: Conference, data: dict[str, Any], secretary: str,
                  today: datetime) -> doc.Minutes:
    petitions = {p.id: p for p in data["petitions"]}
    by_turn: dict[str, list[Answer]] = defaultdict(list)
    for a in data["answers"]:
        if a.turn_id:
            by_turn[a.turn_id].append(a)
    turns = []
    for t in data["turns"]:
        if t.started_at is None and t.id not in data["segs"]:
            continue  # never spoke
        text, source = turn_text(data["segs"].get(t.id))
        content = (MACHINE_MARK + text) if source == "máy" else text
        linked = [petitions[i] for i in data["links"].get(t.id, []) if i in petitions]
        field = data["fields"].get(linked[0].field_id, "") if linked else ""
        if not content:
            content = t.topic or "(chưa có nội dung ghi chép)"
        turns.append(doc.Turn(speaker=t.display_name, content=content, hamlet=t.hamlet,
                              field=field.lower() if field else "", at=local(t.started_at),
                              answers=tuple(doc.Answer(by=a.answered_by, content=answer_sentence(a))
                                            for a in by_turn.get(t.id, []))))
    last: dict[int, Answer] = {}
    for a in data["answers"]:
        last[a.petition_id] = a
    closing = tuple(
        f"Kiến nghị số {p.id} của {p.raised_by}"
        f"{', ' + p.hamlet if p.hamlet else ''}: {answer_sentence(last[p.id])}"
        for p in data["petitions"] if p.id in last)
    chair = conf.chair_name or commune.chairman_name or "(chưa ghi)"
    header = doc.DocumentHeader(body=issuing_body(commune), place=commune.place_name or commune.name,
                                signer=doc.Signer(name=chair), year=local(conf.starts_at).year)
    info = doc.CommuneInfo(name=commune.name, committee=f"Ủy ban nhân dân {commune.name.lower()}"
                           if commune.name.lower().startswith(("xã", "thị trấn", "phường")) else commune.name,
                           front="", higher_authority=commune.higher_authority)
    chairs = [doc.Person(chair, "chủ trì")]
    if conf.council_name:
        chairs.append(doc.Person(conf.council_name, "đồng chủ trì"))
    conference = doc.ConferenceInfo(
        title=conf.title, starts_at=local(conf.starts_at), ends_at=local(conf.ends_at),
        venue=conf.venue, chairs=tuple(chairs), secretary=doc.Person(secretary),
        mode=MODES.get(conf.format, "trực tiếp"))
    return doc.Minutes(header=header, commune=info, conference=conference, turns=tuple(turns),
                       agenda=tuple(x for x in (conf.content,) if x.strip()), closing=closing)


def _write(minutes: doc.Minutes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="doithoai-minutes-") as tmp:
        path = write_docx(build_minutes(minutes), Path(tmp) / "bien-ban.docx")
        return path.read_bytes()


def _attachment(body: bytes, media: str, name: str) -> web.Response:
    return web.Response(body=body, headers={
        "Content-Type": media, "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{name}"'})


@api.route("GET", "/api/conferences/{id}/minutes.docx",
           summary="Minutes of the conference (DOCX): turns, transcripts, petitions, answers",
           tag="exports", query=MinutesQuery, permission="draft_documents", raw=True,
           response={DOCX: {"schema": {"type": "string", "format": "binary"}}})
async def minutes_docx(call: Call) -> web.Response:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    commune = await call.db.get(Commune, conf.commune_id)
    data = await _conference_data(call.db, conf)
    # the secretary typed, else the one of the commune's last numbered minutes (as the
    # numbered minutes do), and only then the account that exports
    last = await last_secretary(call.db, conf.commune_id)
    secretary = call.query.secretary or (last.name if last else call.user.name)
    model = minutes_model(commune, conf, data, secretary, datetime.now(LOCAL_TZ))
    try:
        body = await asyncio.to_thread(_write, model)
    except DocumentInputError as exc:
        raise Invalid(exc.code, exc.message) from None
    audit.record(call.db, call.user, "export.minutes", "conference", conf.id)
    return _attachment(body, DOCX, f"bien-ban-hoi-nghi-{conf.id}.docx")


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([csv_cell(v) for v in r])
    return buf.getvalue().encode("utf-8-sig")


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _date(at: datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S") if at else ""


@api.route("GET", "/api/conferences/{id}/petitions.csv",
           summary="Petitions of the conference with their last answer (CSV, UTF-8 with BOM)",
           tag="exports", raw=True, response=CSV_MEDIA)
async def petitions_csv(call: Call) -> web.Response:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    data = await _conference_data(call.db, conf)
    last: dict[int, Answer] = {}
    for a in data["answers"]:
        last[a.petition_id] = a
    rows = []
    for p in data["petitions"]:
        a = last.get(p.id)
        rows.append([p.id, p.raised_by, p.hamlet, data["fields"].get(p.field_id, ""), p.content,
                     p.authority, "xã" if p.competence == "commune" else "cấp trên",
                     "trước hội nghị" if p.source == "before" else "tại hội nghị", p.status,
                     a.answered_by if a else "", OUTCOMES[a.outcome][2] if a and a.outcome in OUTCOMES else "",
                     a.unit if a else "", a.due_date.strftime("%d/%m/%Y") if a and a.due_date else "",
                     a.text if a else ""])
    body = to_csv(["Số", "Người kiến nghị", "Thôn, tổ dân phố", "Lĩnh vực", "Nội dung",
                   "Cơ quan có thẩm quyền", "Thẩm quyền", "Nguồn", "Trạng thái", "Người trả lời",
                   "Kết quả", "Đơn vị", "Hạn", "Nội dung trả lời"], rows)
    return _attachment(body, "text/csv; charset=utf-8", f"kien-nghi-hoi-nghi-{conf.id}.csv")


@api.route("GET", "/api/conferences/{id}/transcripts.csv",
           summary="Transcripts of every turn of the conference (CSV, UTF-8 with BOM)",
           tag="exports", raw=True, response=CSV_MEDIA)
async def transcripts_csv(call: Call) -> web.Response:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    data = await _conference_data(call.db, conf)
    queue = await call.app[QUEUE].load(call.db, conf.id)
    log = tuple((p, _utc(at)) for p, at in (queue.phases if queue else ()))
    rows = []
    for i, t in enumerate(data["turns"], start=1):
        seg = data["segs"].get(t.id)
        text, source = turn_text(seg)
        # the part of the run-of-show the turn was spoken in (grouping by sorting on it)
        phase = run_of_show.phase_at(log, _utc(t.started_at)) if t.started_at else None
        rows.append([i, run_of_show.LABELS.get(phase, "") if phase else "", t.id,
                     t.display_name, t.hamlet, t.topic, _date(t.started_at), _date(t.ended_at),
                     " ".join(str(x) for x in data["links"].get(t.id, [])), text, source,
                     "có" if seg and seg.confirmed else "không", seg.engine if seg else "",
                     seg.machine_text if seg else ""])
    body = to_csv(["Lượt", "Phần hội nghị", "Mã lượt", "Người phát biểu", "Thôn, tổ dân phố", "Chủ đề", "Bắt đầu",
                   "Kết thúc", "Kiến nghị", "Nội dung", "Người ghi", "Đã xác nhận", "Bộ nhận dạng",
                   "Bản nháp máy"], rows)
    return _attachment(body, "text/csv; charset=utf-8", f"bien-ban-luot-phat-bieu-{conf.id}.csv")
