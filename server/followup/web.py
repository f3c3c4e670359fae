"""HTTP side of the follow-up: deadlines and reminders, calendar overrides, documents
from the database, dispatch records, the public results page and the overview for
the higher level. ``setup(app)`` attaches it to the server."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from aiohttp import web
from pydantic import Field
from sqlalchemy import func, select

from server.actions.calendar import check_year, of_year, overrides_file
from server.actions.calendar.put import PutCalendar
from server.actions.calendar.put_local import LocalDaysIn, LocalDaysOut, PutLocalDays, local_json
from server.actions.dispatches import dispatch_json
from server.actions.dispatches.add import AddDispatch, DispatchIn
from server.actions.documents import document_of
from server.actions.documents.create_draft import CreateDraft, DraftIn
from server.actions.documents.delete import DeleteDocument
from server.actions.documents.edit import DocumentPatch, EditDocument
from server.actions.documents.issue import IssueDocument, IssueIn
from server.actions.reminders.send_now import SendRemindersNow
from server.actions.settings import smtp_out
from server.actions.settings.delete_smtp import DeleteSmtp
from server.actions.settings.put_smtp import PutSmtp, SmtpIn
from server.api.formats import IsoDate
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
from server.api.schemas import Input
from server.commands import scope
from server.db.models import Commune, Conference, Dispatch, Document, Participant, Setting, User
from server.documents import PdfConversionError, PdfUnavailable
from server.domain.calendar import (
    LOCAL_DAYS_SETTING,
    MAX_YEAR,
    MIN_YEAR,
    CalendarOverrides,
    OverridesError,
    default_overrides,
    estimated_year_warning,
    load_overrides,
    local_days_of,
    may_edit_install_calendar,
)
from server.domain.errors import Failed, Invalid, Unavailable
from server.domain.local_time import local_date
from server.followup import bulletins, reminders
from server.followup import documents_db as docs
from server.followup import overview as ov
from server.followup.deadlines_view import board, conference_items, counts
from server.followup.docjson import ContentError
from server.followup.records import calendar_of, load_commune
from server.followup.records import issued_on as printed_date
from server.keys import APIS, CONFIG, DOCUMENT_LOCKS, EXECUTOR, RULES
from server.pages import error_page, render

api = Api()
TAG_D, TAG_DOC, TAG_ADMIN, TAG_OV = "deadlines", "documents", "admin", "overview"


def today_local() -> date:
    return local_date(datetime.now(UTC))


async def _sent(call: Call, **ids: Any) -> dict[str, Any]:
    """The JSON body as sent (the endpoint's model already accepted it), with the ids
    the address names: the action's input."""
    return {**await read_json(call.request), **ids}


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
    cal = await calendar_of(call.db, rules.calendar(), conf.commune_id)
    items, petitions = conference_items(record.conferences[0], profile, cal, today)
    return {"conference_id": conf.id, "today": today, "profile": profile.name,
            "profile_key": profile.key, "conference_date": record.conferences[0].day,
            "conference": [i.to_json() for i in items], "petitions": petitions}


async def _board(call: Call, today: date, include_all: bool) -> list:
    rules = call.app[RULES]
    record = await load_commune(call.db, call.user.commune_id)
    return board(record, rules.profile(record.commune.rule_profile),
                 await calendar_of(call.db, rules.calendar(), call.user.commune_id), today,
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
           tag=TAG_D, permission=SendRemindersNow.permission, response=RemindResult,
           transaction=False)
async def remind_now(call: Call) -> dict:
    return await call.run(SendRemindersNow(), {})


@api.route("GET", "/api/settings/smtp", summary="E-mail (SMTP) settings for reminders, without the password",
           tag=TAG_ADMIN, permission="manage_settings", response=SmtpOut)
async def get_smtp(call: Call) -> dict:
    s = await call.db.get(Setting, (call.user.commune_id, reminders.SETTING_KEY))
    return smtp_out(s.value if s else None)


@api.route("PUT", "/api/settings/smtp", summary="Set the e-mail (SMTP) settings for reminders",
           tag=TAG_ADMIN, permission=PutSmtp.permission, body=SmtpIn, response=SmtpOut,
           transaction=False)
async def put_smtp(call: Call) -> dict:
    return await call.run(PutSmtp(), await _sent(call))


@api.route("DELETE", "/api/settings/smtp", summary="Stop e-mail reminders", tag=TAG_ADMIN,
           permission=DeleteSmtp.permission, response=SmtpOut, transaction=False)
async def delete_smtp(call: Call) -> dict:
    return await call.run(DeleteSmtp(), {})


# ---- calendar overrides ------------------------------------------------------------------


def _year(call: Call) -> int:
    return check_year(call.path_int("year"))


@api.route("GET", "/api/calendar/{year}", summary="The administrator's calendar overrides of a year",
           tag=TAG_ADMIN, response=CalendarOut)
async def get_calendar(call: Call) -> dict:
    year = _year(call)
    path = overrides_file(call.app[CONFIG].data_dir, year)
    try:
        mine = load_overrides(path).to_json() if path.is_file() else CalendarOverrides().to_json()
    except OverridesError as exc:
        raise Failed(exc.code, exc.message) from None
    first = (await call.db.execute(select(func.min(Commune.id)))).scalar_one()
    own = await call.db.get(Setting, (call.user.commune_id, LOCAL_DAYS_SETTING))
    local = [n for n in local_days_of(own.value if own else None) if n.day.year == year]
    return {"year": year, "overrides": mine, "shipped": of_year(default_overrides(), year),
            "editable": may_edit_install_calendar(call.user.role, call.user.commune_id, first),
            "warning": estimated_year_warning(
                await calendar_of(call.db, call.app[RULES].calendar(), call.user.commune_id), year),
            "local": local_json(local)}


@api.route("PUT", "/api/calendar/{year}/local", summary="Replace the commune's own days off of a year",
           tag=TAG_ADMIN, permission=PutLocalDays.permission, body=LocalDaysIn,
           response=LocalDaysOut, transaction=False)
async def put_local_days(call: Call) -> dict:
    return await call.run(PutLocalDays(), await _sent(call, year=call.path_int("year")))


@api.route("PUT", "/api/calendar/{year}", summary="Replace the calendar overrides of a year",
           tag=TAG_ADMIN, permission=PutCalendar.permission, body=CalendarIn,
           response=CalendarOut, transaction=False)
async def put_calendar(call: Call) -> dict:
    return await call.run(PutCalendar(), {"year": call.path_int("year"),
                                          "overrides": await read_json(call.request)})


@api.route("GET", "/api/calendar/{year}/days", summary="Every holiday, day off and worked weekend day of a year",
           tag=TAG_ADMIN, response=[SpecialDay])
async def calendar_days(call: Call) -> list:
    year = _year(call)
    cal = await calendar_of(call.db, call.app[RULES].calendar(), call.user.commune_id)
    facts = {f.day: f for f in cal.special_facts(year)}
    out = []
    for d, name, working in cal.special_days(year):
        fact = facts.get(d)
        out.append({"date": d, "name": name, "working": working, "weekday": d.weekday(),
                    "status": fact.status if fact else None,
                    "status_label": fact.status_label if fact else None,
                    "source": fact.source if fact else None})
    return out


# ---- documents ---------------------------------------------------------------------------


async def _document(call: Call) -> Document:
    return await document_of(call.db, call.user, call.path_int("id"))


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
    cal = await calendar_of(call.db, call.app[RULES].calendar(), call.user.commune_id)
    return [docs.document_json(d, n.get(d.id, 0), cal) for d in rows]


@api.route("POST", "/api/conferences/{id}/documents", summary="Draft a document from the conference record",
           tag=TAG_DOC, body=DraftIn, permission=CreateDraft.permission, status=201,
           response=DocumentOut, transaction=False)
async def create_draft(call: Call) -> dict:
    return await call.run(CreateDraft(), await _sent(call, conference_id=call.path_int("id")))


@api.route("GET", "/api/documents/{id}", summary="One document with its editable content",
           tag=TAG_DOC, response=DocumentOut)
async def get_document(call: Call) -> dict:
    d = await _document(call)
    return docs.document_json(d, (await _dispatch_counts(call, [d.id])).get(d.id, 0),
                              await calendar_of(call.db, call.app[RULES].calendar(), d.commune_id))


@api.route("PATCH", "/api/documents/{id}", summary="Edit a draft's text (objects merge, lists replace)",
           tag=TAG_DOC, body=DocumentPatch, permission=EditDocument.permission,
           response=DocumentOut, transaction=False)
async def edit_document(call: Call) -> dict:
    return await call.run(EditDocument(), await _sent(call, document_id=call.path_int("id")))


@api.route("DELETE", "/api/documents/{id}", summary="Discard a draft", tag=TAG_DOC,
           permission=DeleteDocument.permission, response=OkOut, transaction=False)
async def delete_document(call: Call) -> dict:
    return await call.run(DeleteDocument(), {"document_id": call.path_int("id")})


@api.route("POST", "/api/documents/{id}/issue", summary="Issue: the next number of the year, then frozen",
           tag=TAG_DOC, body=IssueIn, permission=IssueDocument.permission, response=DocumentOut,
           transaction=False)
async def issue_document(call: Call) -> dict:
    return await call.run(IssueDocument(), await _sent(call, document_id=call.path_int("id")))


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


@api.route("GET", "/api/documents/{id}/dispatches", summary="To whom the document was sent",
           tag=TAG_DOC, response=[DispatchOut])
async def list_dispatches(call: Call) -> list:
    d = await _document(call)
    rows = (await call.db.execute(select(Dispatch).where(Dispatch.document_id == d.id)
                                  .order_by(Dispatch.sent_at, Dispatch.id))).scalars()
    return [dispatch_json(x) for x in rows]


@api.route("POST", "/api/documents/{id}/dispatches", summary="Record that the document was sent to someone",
           tag=TAG_DOC, body=DispatchIn, permission=AddDispatch.permission, status=201,
           response=DispatchOut, transaction=False)
async def add_dispatch(call: Call) -> dict:
    return await call.run(AddDispatch(), await _sent(call, document_id=call.path_int("id")))


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
                                        await calendar_of(call.db, rules.calendar(), cid), today))
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
        rules = request.app[RULES]
        cal = await calendar_of(db, rules.calendar(), conf.commune_id)
    rec = record.conferences[0] if record.conferences else None
    # the lifecycle's states and dates: the same as the notice, the report and the board
    d = (ov.results_data(rec, rules.profile(commune.rule_profile), cal) if rec
         else {"items": [], "summary": []})
    items, summary = d["items"], d["summary"]
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

