"""HTTP side of the follow-up: deadlines and reminders, calendar overrides, documents
from the database, dispatch records, the public results page and the overview for
the higher level. ``setup(app)`` attaches it to the server."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from aiohttp import web
from pydantic import AfterValidator, Field, field_validator
from sqlalchemy import delete, func, select

from server.api.formats import EMAIL, HOST, IsoDate, JsonObject, schema_extra
from server.api.registry import Api, Call, read_json
from server.api.responses import (
    CalendarIn,
    CalendarOut,
    ConferenceDeadlines,
    DeadlineBoard,
    DeadlineCounts,
    DispatchOut,
    DocumentOut,
    OkOut,
    Overview,
    RemindResult,
    SmtpOut,
    SpecialDay,
)
from server.api.schemas import Input, Line
from server.commands import audit, scope
from server.db.models import Commune, Conference, Dispatch, Document, Participant, Setting, User
from server.documents import PdfConversionError, PdfUnavailable
from server.domain.calendar import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarOverrides,
    OverridesError,
    default_overrides,
    load_overrides,
    save_overrides,
    validate_overrides,
)
from server.domain.errors import Conflict, Failed, Invalid, Unavailable, UpstreamFailed, not_found
from server.domain.local_time import local_date
from server.domain.names import public_name
from server.followup import bulletins, reminders
from server.followup import documents_db as docs
from server.followup import overview as ov
from server.followup.deadlines_view import board, conference_items, counts
from server.followup.docjson import ContentError
from server.followup.records import issued_on as printed_date
from server.followup.records import load_commune
from server.followup.state import STATE_LABELS
from server.keys import APIS, CONFIG, DOCUMENT_LOCKS, EXECUTOR, RULES
from server.pages import error_page, render

api = Api()
TAG_D, TAG_DOC, TAG_ADMIN, TAG_OV = "deadlines", "documents", "admin", "overview"


def today_local() -> date:
    return local_date(datetime.now(UTC))


class OnQuery(Input):
    json_body = False  # a query string: every value is text
    on: Annotated[date, *IsoDate] | None = Field(
        default=None, description="Xem trạng thái tính đến ngày này (mặc định: hôm nay)")


class BoardQuery(OnQuery):
    all: bool = Field(default=False, description="Cả các thời hạn còn xa và đã hoàn thành")


# ---- deadlines ---------------------------------------------------------------------------


@api.route("GET", "/api/conferences/{id}/deadlines", summary="The conference's and its petitions' deadlines",
           tag=TAG_D, query=OnQuery, response=ConferenceDeadlines)
async def conference_deadlines(call: Call) -> dict:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    today = call.query.on or today_local()
    rules = call.app[RULES]
    record = await load_commune(call.db, conf.commune_id, conference_ids=[conf.id])
    profile = rules.profile(record.commune.rule_profile)
    if not record.conferences:  # cancelled
        return {"conference_id": conf.id, "today": today, "profile": profile.name,
                "conference": [], "petitions": []}
    items, petitions = conference_items(record.conferences[0], profile, rules.calendar(), today)
    return {"conference_id": conf.id, "today": today, "profile": profile.name,
            "profile_key": profile.key, "conference_date": record.conferences[0].day,
            "conference": [i.to_json() for i in items], "petitions": petitions}


async def _board(call: Call, today: date, include_all: bool) -> list:
    rules = call.app[RULES]
    record = await load_commune(call.db, call.user.commune_id)
    return board(record, rules.profile(record.commune.rule_profile), rules.calendar(), today,
                 include_all)


@api.route("GET", "/api/deadlines", summary="Due and overdue board of the commune, most urgent first",
           tag=TAG_D, query=BoardQuery, response=DeadlineBoard)
async def deadline_board(call: Call) -> dict:
    today = call.query.on or today_local()
    items = await _board(call, today, call.query.all)
    pending = items if not call.query.all else [i for i in items if str(i.deadline.status) in
                                                 ("overdue", "due_today", "due_soon")]
    return {"today": today, "counts": counts(pending), "items": [i.to_json() for i in items]}


@api.route("GET", "/api/deadlines/count", summary="How many deadlines need attention (for the nav badge)",
           tag=TAG_D, response=DeadlineCounts)
async def deadline_count(call: Call) -> dict:
    return counts(await _board(call, today_local(), False))


@api.route("POST", "/api/deadlines/remind", summary="Send today's e-mail reminders now (once a day each)",
           tag=TAG_D, permission="manage_settings", response=RemindResult, transaction=False)
async def remind_now(call: Call) -> dict:
    # No unit of work around it: sending mail can take a while, and each step of the
    # reminder job records its own result with one connection at a time.
    cid = call.user.commune_id
    async with call.app[EXECUTOR].reading() as db:
        configured = (await db.execute(select(Setting).where(
            Setting.commune_id == cid, Setting.key == reminders.SETTING_KEY))).scalar_one_or_none()
    if configured is None:
        raise Conflict("smtp_not_configured",
                       "Chưa cấu hình máy chủ thư (SMTP) nên chưa gửi được nhắc việc qua e-mail.")
    result = (await reminders.send_due_reminders(call.app, today_local(), [cid])).get(cid, {})
    if result.get("error"):
        raise UpstreamFailed("smtp_failed", result["error"])
    return result


_EMAIL = re.compile(EMAIL)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"Địa chỉ thư không hợp lệ: {value!r}.")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email), schema_extra(pattern=EMAIL)]


class SmtpIn(Input):
    host: Annotated[Line(200, 1), schema_extra(pattern=HOST)]
    port: int = Field(default=25, ge=1, le=65535)
    sender: Email = Field(alias="from")
    to: Annotated[list[Email], Field(min_length=1, max_length=20)]
    starttls: bool = False
    user: Line(200) = ""
    password: Annotated[str, Field(max_length=200)] | None = None

    model_config = Input.model_config | {"populate_by_name": True}

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if " " in v or "/" in v:
            raise ValueError("Tên máy chủ thư không hợp lệ.")
        return v


def _smtp_out(value: dict[str, Any] | None) -> dict[str, Any]:
    if not value:
        return {"configured": False}
    out = {k: v for k, v in value.items() if k != "password"}
    return {**out, "configured": True, "has_password": bool(value.get("password"))}


@api.route("GET", "/api/settings/smtp", summary="E-mail (SMTP) settings for reminders, without the password",
           tag=TAG_ADMIN, permission="manage_settings", response=SmtpOut)
async def get_smtp(call: Call) -> dict:
    s = await call.db.get(Setting, (call.user.commune_id, reminders.SETTING_KEY))
    return _smtp_out(s.value if s else None)


@api.route("PUT", "/api/settings/smtp", summary="Set the e-mail (SMTP) settings for reminders",
           tag=TAG_ADMIN, permission="manage_settings", body=SmtpIn, response=SmtpOut)
async def put_smtp(call: Call) -> dict:
    key = (call.user.commune_id, reminders.SETTING_KEY)
    s = await call.db.get(Setting, key)
    value = call.body.model_dump(by_alias=True, mode="json")
    if value.get("password") is None:
        value["password"] = (s.value.get("password", "") if s else "")
    if s is None:
        s = Setting(commune_id=key[0], key=key[1], value=value)
        call.db.add(s)
    else:
        s.value = value
    await call.db.flush()
    audit.record(call.db, call.user, "settings.smtp", "setting", reminders.SETTING_KEY,
                 after=_smtp_out(value))
    return _smtp_out(value)


@api.route("DELETE", "/api/settings/smtp", summary="Stop e-mail reminders", tag=TAG_ADMIN,
           permission="manage_settings", response=SmtpOut)
async def delete_smtp(call: Call) -> dict:
    await call.db.execute(delete(Setting).where(Setting.commune_id == call.user.commune_id,
                                                Setting.key == reminders.SETTING_KEY))
    audit.record(call.db, call.user, "settings.smtp_delete", "setting", reminders.SETTING_KEY)
    return {"configured": False}


# ---- calendar overrides ------------------------------------------------------------------


def _year(call: Call) -> int:
    year = call.path_int("year")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise not_found(f"Năm {year} nằm ngoài khoảng {MIN_YEAR}-{MAX_YEAR}.")
    return year


def _of_year(ov_: CalendarOverrides, year: int) -> dict[str, Any]:
    data = ov_.to_json()
    for k in ("days_off", "working_days", "holidays"):
        data[k] = [e for e in data[k] if e["date"].startswith(f"{year}-")]
    return data


def _overrides_file(call: Call, year: int) -> Path:
    return call.app[CONFIG].data_dir / "calendar-overrides" / f"{year}.json"


@api.route("GET", "/api/calendar/{year}", summary="The administrator's calendar overrides of a year",
           tag=TAG_ADMIN, response=CalendarOut)
async def get_calendar(call: Call) -> dict:
    year = _year(call)
    path = _overrides_file(call, year)
    try:
        mine = load_overrides(path).to_json() if path.is_file() else CalendarOverrides().to_json()
    except OverridesError as exc:
        raise Failed(exc.code, exc.message) from None
    return {"year": year, "overrides": mine, "shipped": _of_year(default_overrides(), year),
            "editable": True}


@api.route("PUT", "/api/calendar/{year}", summary="Replace the calendar overrides of a year",
           tag=TAG_ADMIN, permission="manage_settings", raw=False, body=CalendarIn,
           response=CalendarOut)
async def put_calendar(call: Call) -> dict:
    year = _year(call)
    data = await read_json(call.request)
    try:
        layer = validate_overrides(data)
    except OverridesError as exc:
        raise Invalid(exc.code, exc.message) from None
    others = sorted(y for y in layer.years() if y != year)
    if others:
        raise Invalid("calendar.wrong_year",
                       f"Tệp của năm {year} chỉ được ghi ngày trong năm {year} (có ngày của năm "
                       f"{', '.join(map(str, others))}).")
    try:
        default_overrides().overlaid(layer)
    except OverridesError as exc:
        raise Invalid(exc.code, exc.message) from None
    path = _overrides_file(call, year)
    before = load_overrides(path).to_json() if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    audit.record(call.db, call.user, "calendar.update", "calendar", year, before=before,
                 after=layer.to_json())
    await call.db.flush()
    save_overrides(layer, path)  # atomic: temporary file then rename
    return {"year": year, "overrides": layer.to_json(), "shipped": _of_year(default_overrides(), year),
            "editable": True}


@api.route("GET", "/api/calendar/{year}/days", summary="Every holiday, day off and worked weekend day of a year",
           tag=TAG_ADMIN, response=[SpecialDay])
async def calendar_days(call: Call) -> list:
    year = _year(call)
    cal = call.app[RULES].calendar()
    return [{"date": d, "name": name, "working": working,
             "weekday": d.weekday()} for d, name, working in cal.special_days(year)]


# ---- documents ---------------------------------------------------------------------------


class DraftIn(Input):
    kind: Literal["conclusion", "reply", "report", "invitation", "announcement"]
    petition_id: int | None = Field(default=None, ge=1)
    participant_id: int | None = Field(default=None, ge=1)


class DocumentPatch(Input):
    content: Annotated[dict[str, Any], JsonObject]


class IssueIn(Input):
    issued_on: Annotated[date, *IsoDate] | None = None


class DispatchIn(Input):
    recipient: Line(300, 1)
    channel: Literal["paper", "hand", "email", "post", "posted", "radio", "web", "other"] = "paper"
    note: Line(500) = ""


CHANNEL_LABELS = {"paper": "Văn bản giấy", "hand": "Giao tận tay", "email": "Thư điện tử",
                  "post": "Bưu điện", "posted": "Niêm yết", "radio": "Truyền thanh",
                  "web": "Cổng thông tin", "other": "Khác"}


async def _document(call: Call, doc_id: int | None = None) -> Document:
    doc_id = doc_id or call.path_int("id")
    d = await call.db.get(Document, doc_id)
    if d is None or d.commune_id != call.user.commune_id:
        raise not_found(f"Không có văn bản số {doc_id}.")
    return d


async def _dispatch_counts(call: Call, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await call.db.execute(select(Dispatch.document_id, func.count(Dispatch.id))
                                 .where(Dispatch.document_id.in_(ids)).group_by(Dispatch.document_id))
    return dict(rows.all())


@api.route("GET", "/api/conferences/{id}/documents", summary="Documents of a conference (drafts and issued)",
           tag=TAG_DOC, response=[DocumentOut])
async def list_documents(call: Call) -> list:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    rows = list((await call.db.execute(select(Document).where(Document.conference_id == conf.id)
                                       .order_by(Document.id))).scalars())
    n = await _dispatch_counts(call, [d.id for d in rows])
    return [docs.document_json(d, n.get(d.id, 0)) for d in rows]


@api.route("POST", "/api/conferences/{id}/documents", summary="Draft a document from the conference record",
           tag=TAG_DOC, body=DraftIn, permission="draft_documents", status=201,
           response=DocumentOut)
async def create_draft(call: Call) -> dict:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    rules = call.app[RULES]
    commune = await call.db.get(Commune, conf.commune_id)
    profile, cal = rules.profile(commune.rule_profile), rules.calendar()
    info = await docs.conference_info(call.db, conf, commune)
    kind = call.body.kind
    petition_id = None
    if kind in ("conclusion", "report", "reply"):
        record = await load_commune(call.db, conf.commune_id, conference_ids=[conf.id])
        if not record.conferences:
            raise Conflict("conference_cancelled", "Hội nghị đã hủy.")
        rec = record.conferences[0]
        if kind == "conclusion":
            draft = docs.draft_conclusion(rec, commune, info, profile, cal)
        elif kind == "report":
            draft = docs.draft_report(rec, commune, info)
        else:
            if call.body.petition_id is None:
                raise Invalid("petition_required", "Cần chọn kiến nghị cần trả lời.")
            p = next((x for x in rec.petitions if x.petition.id == call.body.petition_id), None)
            if p is None:
                raise not_found(f"Hội nghị này không có kiến nghị số {call.body.petition_id}.")
            draft = docs.draft_reply(rec, p, commune, profile, cal)
            petition_id = p.petition.id
    elif kind == "invitation":
        invitee = None
        if call.body.participant_id is not None:
            invitee = await scope.participant(call.db, call.user, conf.id, call.body.participant_id)
        draft = docs.draft_invitation(conf, commune, info, invitee)
    else:
        draft = docs.draft_announcement(conf, commune, info)
    d = Document(commune_id=conf.commune_id, conference_id=conf.id, petition_id=petition_id,
                 kind=kind, year=conf.year, status="draft", content=docs.content_of(draft))
    call.db.add(d)
    await call.db.flush()
    audit.record(call.db, call.user, "document.draft", "document", d.id,
                 after={"kind": kind, "conference_id": conf.id, "petition_id": petition_id})
    return docs.document_json(d)


@api.route("GET", "/api/documents/{id}", summary="One document with its editable content",
           tag=TAG_DOC, response=DocumentOut)
async def get_document(call: Call) -> dict:
    d = await _document(call)
    return docs.document_json(d, (await _dispatch_counts(call, [d.id])).get(d.id, 0))


@api.route("PATCH", "/api/documents/{id}", summary="Edit a draft's text (objects merge, lists replace)",
           tag=TAG_DOC, body=DocumentPatch, permission="draft_documents", response=DocumentOut)
async def edit_document(call: Call) -> dict:
    d = await _document(call)
    before = d.content.get("doc")
    docs.apply_edit(d, call.body.content)
    await call.db.flush()
    audit.record(call.db, call.user, "document.edit", "document", d.id, before={"doc": before},
                 after={"doc": d.content.get("doc")})
    return docs.document_json(d)


@api.route("DELETE", "/api/documents/{id}", summary="Discard a draft", tag=TAG_DOC,
           permission="draft_documents", response=OkOut)
async def delete_document(call: Call) -> dict:
    d = await _document(call)
    if d.status != "draft":
        raise Conflict("document_issued", "Văn bản đã ban hành thì không xóa được.")
    audit.record(call.db, call.user, "document.discard", "document", d.id,
                 before={"kind": d.kind, "doc": d.content.get("doc")})
    await call.db.delete(d)
    return {"ok": True}


@api.route("POST", "/api/documents/{id}/issue", summary="Issue: the next number of the year, then frozen",
           tag=TAG_DOC, body=IssueIn, permission="issue_documents", response=DocumentOut)
async def issue_document(call: Call) -> dict:
    d = await _document(call)
    commune = await call.db.get(Commune, d.commune_id)
    issued_on = call.body.issued_on or today_local()
    if not MIN_YEAR <= issued_on.year <= MAX_YEAR:
        raise Invalid("bad_date", "Ngày ban hành không hợp lệ.")
    try:
        await docs.issue(call.db, d, commune, issued_on)
    except ContentError as exc:
        raise Invalid("invalid_content", str(exc)) from None
    audit.record(call.db, call.user, "document.issue", "document", d.id,
                 after={"number": d.number, "year": d.year, "seq": d.seq,
                        "issued_on": issued_on.isoformat(), "kind": d.kind})
    return docs.document_json(d)


def _download(path: Path, name: str, media: str) -> web.FileResponse:
    ascii_name = name.encode("ascii", "ignore").decode() or "van-ban"
    return web.FileResponse(path, headers={
        "Content-Type": media, "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


def _docs_dir(app: web.Application) -> Path:
    return app[CONFIG].data_dir / "documents"


@api.route("GET", "/api/documents/{id}/docx", summary="Download as DOCX", tag=TAG_DOC, raw=True,
           response={"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}})
async def download_docx(call: Call) -> web.StreamResponse:
    d = await _document(call)
    try:
        path = await asyncio.to_thread(docs.docx_path, d, _docs_dir(call.app))
    except docs.DocumentInputError as exc:
        raise Invalid(exc.code, exc.message) from None
    except ContentError as exc:
        raise Invalid("invalid_content", str(exc)) from None
    return _download(path, docs.file_stem(d) + ".docx",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@api.route("GET", "/api/documents/{id}/pdf", summary="Download as PDF (needs LibreOffice)", tag=TAG_DOC,
           raw=True, response={"application/pdf": {}})
async def download_pdf(call: Call) -> web.StreamResponse:
    d = await _document(call)
    locks = call.app[DOCUMENT_LOCKS]
    try:
        path = await docs.pdf_path(d, _docs_dir(call.app), locks[d.id])
    except docs.DocumentInputError as exc:
        raise Invalid(exc.code, exc.message) from None
    except PdfUnavailable:
        raise Unavailable("pdf_unavailable",
                       "Máy chủ chưa cài LibreOffice nên chưa tạo được PDF; hãy tải bản DOCX.") from None
    except PdfConversionError as exc:
        raise Failed("pdf_failed", f"Không chuyển được sang PDF: {exc}") from None
    return _download(path, docs.file_stem(d) + ".pdf", "application/pdf")


def _dispatch_json(x: Dispatch) -> dict:
    return {"id": x.id, "document_id": x.document_id, "recipient": x.recipient, "channel": x.channel,
            "channel_label": CHANNEL_LABELS.get(x.channel, x.channel), "note": x.note,
            "sent_at": x.sent_at}


@api.route("GET", "/api/documents/{id}/dispatches", summary="To whom the document was sent",
           tag=TAG_DOC, response=[DispatchOut])
async def list_dispatches(call: Call) -> list:
    d = await _document(call)
    rows = (await call.db.execute(select(Dispatch).where(Dispatch.document_id == d.id)
                                  .order_by(Dispatch.sent_at, Dispatch.id))).scalars()
    return [_dispatch_json(x) for x in rows]


@api.route("POST", "/api/documents/{id}/dispatches", summary="Record that the document was sent to someone",
           tag=TAG_DOC, body=DispatchIn, permission="draft_documents", status=201,
           response=DispatchOut)
async def add_dispatch(call: Call) -> dict:
    d = await _document(call)
    if d.status != "issued":
        raise Conflict("document_not_issued", "Chỉ gửi được văn bản đã ban hành (đã có số).")
    x = Dispatch(document_id=d.id, recipient=call.body.recipient, channel=call.body.channel,
                 note=call.body.note)
    call.db.add(x)
    await call.db.flush()
    audit.record(call.db, call.user, "document.dispatch", "document", d.id,
                 after={"recipient": x.recipient, "channel": x.channel, "note": x.note})
    return _dispatch_json(x)


# ---- overview for the higher level ---------------------------------------------------------


class YearIn(Input):
    json_body = False
    year: Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)] | None = None


async def _overview(call: Call) -> dict:
    year = call.query.year or today_local().year
    user = await call.db.get(User, call.user.user_id) if call.user.user_id else None
    own = await call.db.get(Commune, call.user.commune_id)
    if user is not None and user.role == "overseer" and own.province.strip():
        ids = list((await call.db.execute(select(Commune.id).where(
            Commune.province == own.province).order_by(Commune.name))).scalars())
    else:
        ids = [own.id]
    rules, today = call.app[RULES], today_local()
    rows = []
    for cid in ids:
        record = await load_commune(call.db, cid, year=year)
        rows.append(ov.commune_overview(record, rules.profile(record.commune.rule_profile),
                                        rules.calendar(), today))
    data = ov.overview(rows, year)
    data["scope"] = own.province if len(ids) > 1 or (user and user.role == "overseer") else own.name
    return data


@api.route("GET", "/api/overview", summary="Conferences, petitions by field and state, share on time",
           tag=TAG_OV, query=YearIn, permission="view_overview", response=Overview)
async def get_overview(call: Call) -> dict:
    return await _overview(call)


@api.route("GET", "/api/overview.csv", summary="The overview as CSV (UTF-8)", tag=TAG_OV, query=YearIn,
           permission="view_overview", raw=True,
           response={"text/csv": {"schema": {"type": "string"}}})
async def overview_csv(call: Call) -> web.Response:
    data = await _overview(call)
    return web.Response(body=ov.to_csv(data), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="tong-hop-doi-thoai-{data["year"]}.csv"'})


@api.route("GET", "/api/overview.xlsx", summary="The overview as an Excel workbook", tag=TAG_OV,
           query=YearIn, permission="view_overview", raw=True,
           response={"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}})
async def overview_xlsx(call: Call) -> web.Response:
    data = await _overview(call)
    body = await asyncio.to_thread(ov.to_xlsx, data)
    return web.Response(body=body, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="tong-hop-doi-thoai-{data["year"]}.xlsx"'})


# ---- public results page ------------------------------------------------------------------


async def results_page(request: web.Request) -> web.Response:
    """GET /c/{slug}/results: the conclusions and each petition's state, no personal data
    beyond consent (short name and hamlet by default, never a phone number)."""
    slug = request.match_info["slug"]
    async with request.app[EXECUTOR].reading() as db:
        conf = (await db.execute(select(Conference).where(Conference.public_slug == slug))
                ).scalar_one_or_none()
        if conf is None:
            return error_page(404, "Không có hội nghị ở địa chỉ này.")
        notice = (await db.execute(select(Document).where(
            Document.conference_id == conf.id, Document.kind == "conclusion",
            Document.status == "issued").order_by(Document.issued_at.desc()).limit(1))
        ).scalar_one_or_none()
        if notice is None:
            return error_page(404, "Kết quả hội nghị này chưa được công bố.")
        commune = await db.get(Commune, conf.commune_id)
        record = await load_commune(db, conf.commune_id, conference_ids=[conf.id])
        attendance = (await db.execute(select(func.count(Participant.id)).where(
            Participant.conference_id == conf.id, Participant.checked_in_at.is_not(None)))).scalar_one()
    rec = record.conferences[0] if record.conferences else None
    items = []
    by_state: dict[str, int] = defaultdict(int)
    for i, p in enumerate(rec.petitions if rec else [], start=1):
        pet, ans = p.petition, p.latest
        state = p.state
        by_state[state] += 1
        items.append({
            "n": i, "who": public_name(pet.raised_by, pet.hamlet, pet.consent_full_name),
            "field": pet.field.name, "content": pet.content, "state": state,
            "state_label": STATE_LABELS[state], "conclusion": ans.text if ans else "",
            "unit": ans.unit if ans and ans.outcome in ("assigned", "verifying", "forwarded") else "",
            "due": ans.due_date if ans and ans.outcome in ("assigned", "verifying") else None,
        })
    summary = [(STATE_LABELS[s], by_state[s]) for s in STATE_LABELS if by_state.get(s)]
    return render("results.html", conf=conf, commune=commune, notice=notice, items=items,
                  summary=summary, attendance=attendance,
                  issued_on=printed_date(notice))


def setup(app: web.Application) -> None:
    app[APIS].append(api)
    api.add_to(app)
    app[DOCUMENT_LOCKS] = defaultdict(asyncio.Lock)
    app.router.add_get("/c/{slug}/results", results_page)
    app.cleanup_ctx.append(reminders.daily_reminders)
    bulletins.setup_bulletins(app)

