"""The citizen follows the answer: ``/tra-cuu`` (no login, works on a phone).

A petition's tracking code (server/domain/tracking.py) is printed on the desk receipt
and shown on the phone of the person whose turn it was linked to. The page shows the
petition's state, the date the answer is due by the lifecycle's rules, the conclusion
and the written reply once issued (its number and date). The petitioner appears as on
the public results page: short name and hamlet unless they consented to the full name;
never a phone number. Lookups are limited per address so codes cannot be tried.
"""

from __future__ import annotations

from typing import Literal

import segno
from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.registry import Api, Call
from server.api.schemas import Input
from server.commands import scope
from server.db.models import Answer, Commune, Conference, Document, Petition
from server.domain.local_time import local_date
from server.domain.names import public_name
from server.domain.petition_lifecycle import STATE_LABELS
from server.domain.ratelimit import SlidingWindowLimiter
from server.domain.salutations import with_salutation
from server.domain.tracking import petition_of, tracking_code
from server.followup.documents_db import commune_info, issuing_body
from server.followup.records import calendar_of, issued_on, load_commune
from server.keys import APIS, EXECUTOR, RULES, SIGNING_KEY
from server.pages import error_page, render
from server.queue.realtime import phone_base_url

LOOKUPS_PER_ADDRESS = 20  # in 10 minutes
_LIMITER: web.AppKey[SlidingWindowLimiter] = web.AppKey("tracking_limiter", SlidingWindowLimiter)

api = Api()


async def tracking_page(request: web.Request) -> web.Response:
    """GET /tra-cuu[?ma=CODE]: the form, or the petition the code names."""
    code = request.query.get("ma", "").strip()
    if not code:
        return render("tracking.html", code="", item=None, error=None)
    if len(code) > 40 or "\x00" in code:
        return render("tracking.html", status=400, code="", item=None,
                      error="Mã tra cứu không hợp lệ.")
    limiter = request.app[_LIMITER]
    if not limiter.hit(("address", request.remote or "?")):
        return error_page(429, "Bạn đã tra cứu nhiều lần trong thời gian ngắn; "
                               "vui lòng thử lại sau ít phút.")
    pid = petition_of(request.app[SIGNING_KEY], code)
    item = await _item(request, pid) if pid is not None else None
    if item is None:
        return render("tracking.html", status=404, code=code, item=None,
                      error="Không tìm thấy kiến nghị với mã này. Hãy kiểm tra lại mã trên "
                            "phiếu (ví dụ 127-K7QP).")
    return render("tracking.html", code=code, item=item, error=None)


async def _item(request: web.Request, pid: int) -> dict | None:
    async with request.app[EXECUTOR].reading() as db:
        petition = await db.get(Petition, pid)
        if petition is None:
            return None
        commune = await db.get(Commune, petition.commune_id)
        dates = await _dates(db, request.app, petition, commune)
        latest = (await db.execute(select(Answer).where(Answer.petition_id == pid)
                                   .order_by(Answer.created_at.desc(), Answer.id.desc()).limit(1))
                  ).scalar_one_or_none()
        reply = (await db.execute(select(Document).where(
            Document.petition_id == pid, Document.kind == "reply",
            Document.status == "issued").order_by(Document.issued_at.desc()).limit(1))
        ).scalar_one_or_none()
    state = dates.state if dates else petition.status
    return {
        "who": public_name(petition.raised_by, petition.hamlet, petition.consent_full_name),
        "field": petition.field.name, "content": petition.content,
        "state_label": STATE_LABELS.get(state, state),
        "raised_on": dates.raised_on if dates else local_date(petition.created_at),
        "due": (dates.due or (None if dates.resolved_on else dates.conclusion_due))
        if dates else None,
        "resolved_on": dates.resolved_on if dates else None,
        "conclusion": latest.text if latest else "",
        "unit": latest.unit if latest else "",
        "reply": {"number": reply.number, "issued_on": issued_on(reply)} if reply else None,
        "commune": commune.name,
    }


class TrackingOut(BaseModel):
    code: str = Field(description="The petition's tracking code, e.g. 127-K7QP")
    path: str = Field(description="The public page that shows it: /tra-cuu?ma=CODE")


@api.route("GET", "/api/petitions/{id}/tracking", summary="The petition's tracking code "
           "for the citizen (printed on the desk receipt)", tag="petitions",
           response=TrackingOut)
async def petition_tracking(call: Call) -> dict:
    petition = await scope.petition(call.db, call.user, call.path_int("id"))
    code = tracking_code(call.app[SIGNING_KEY], petition.id)
    return {"code": code, "path": f"/tra-cuu?ma={code}"}


class ReceiptQuery(Input):
    json_body = False  # a query string
    paper: Literal["a5", "a4"] = Field(default="a5", description="Paper size of the printed receipt")


@api.route("GET", "/api/petitions/{id}/receipt", summary="The desk receipt of a petition "
           "(printable HTML, A5 or A4): its tracking code, the lookup address /tra-cuu and a QR "
           "code", tag="petitions", query=ReceiptQuery, raw=True,
           response={"text/html": {"schema": {"type": "string"}}})
async def petition_receipt(call: Call) -> web.Response:
    """Printed at the desk and handed to the citizen: the full name is theirs to read, the
    phone number is never printed."""
    petition = await scope.petition(call.db, call.user, call.path_int("id"))
    commune = await call.db.get(Commune, petition.commune_id)
    conf = await call.db.get(Conference, petition.conference_id) if petition.conference_id else None
    code = tracking_code(call.app[SIGNING_KEY], petition.id)
    base = phone_base_url(call.request)
    dates = await _dates(call.db, call.app, petition, commune)
    due = None
    if dates is not None and dates.resolved_on is None:
        due = dates.due or dates.conclusion_due
    received = dates.raised_on if dates else local_date(petition.created_at)
    qr = segno.make(f"{base}/tra-cuu?ma={code}", error="m").svg_inline(scale=4, border=1)
    body = issuing_body(commune)
    return render("receipt.html", code=code, paper=call.query.paper.upper(),
                  body_lines=(*body.parent_lines, *body.name_lines),
                  place=commune.place_name or commune.name, received=received,
                  who=with_salutation(petition.salutation, petition.raised_by.strip(), start=True),
                  hamlet=petition.hamlet, field=petition.field.name, content=petition.content,
                  conference=f"{conf.title} ({local_date(conf.starts_at):%d/%m/%Y})" if conf else "",
                  due=due, lookup=f"{base}/tra-cuu", qr_svg=qr, commune=commune_info(commune).name)


async def _dates(db, app: web.Application, petition: Petition, commune: Commune):
    """The petition's dates by the lifecycle's rules (None if its conference was cancelled)."""
    record = await load_commune(
        db, petition.commune_id,
        conference_ids=[petition.conference_id] if petition.conference_id else None)
    rec = next((p for c in record.conferences for p in c.petitions if p.petition.id == petition.id),
               None) or next((p for p in record.loose_petitions if p.petition.id == petition.id), None)
    rules = app[RULES]
    cal = await calendar_of(db, rules.calendar(), commune.id)
    return rec.dates(rules.profile(commune.rule_profile), cal) if rec else None


def setup(app: web.Application) -> None:
    app[_LIMITER] = SlidingWindowLimiter(limit=LOOKUPS_PER_ADDRESS, window_s=600)
    app[APIS].append(api)
    api.add_to(app)
    app.router.add_get("/tra-cuu", tracking_page)
