"""The citizen's phone: registering to speak by QR, then following one's own registration.

- ``GET /r/{slug}``: the form (no account, works without JavaScript). The phone gets a
  signed device cookie, so limits count phones, not addresses: a hall's phones often
  reach the laptop through one router or one 4G hotspot.
- ``POST /r/{slug}``: registers (the queue command ``register_turn``, source ``qr``),
  then redirects to the registration's own page.
- ``GET /r/{slug}/t/{turn}/{token}``: where the person stands (waiting for approval,
  place in line, called, done, refused with the reason), a short code to show at the
  desk, and "Rút đăng ký"; the page asks ``.json`` every few seconds. ``token`` is a
  signature of the turn id that only the phone which registered was given, so nobody
  else can follow or withdraw someone's registration from the public screen's ids.
- ``GET /r/{slug}/theo-doi``: "Theo dõi", for anyone in the hall or at home: who has the
  floor (public names, as on the hall's screen), the live captions, and the live broadcast
  (``/live.mp3``) on a tap. Its script (``static/js/follow.js``) connects to socket.io as an
  anonymous follower of this one conference (``auth: {follow: slug}``, read-only).

Limits (sliding windows of 10 minutes): a phone (device cookie) 3 registrations per
conference; requests without a valid cookie 5 per address; any address 300 and any
conference 300, so one client sending hundreds is still stopped. Phone registrations
wait for the moderator's approval by default: approval is the gate, the limits only
stop floods.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from sqlalchemy import select

from server.actions.petitions.write_opinion import WriteOpinion
from server.actions.queue.command import QueueCommand
from server.api.registry import refuse_nul
from server.auth import Actor
from server.db.models import Conference
from server.domain import limits
from server.domain.errors import BadRequest, DomainError, NotFound
from server.domain.phone_status import phone_status
from server.domain.queue import public_view
from server.domain.queue_model import QueueState
from server.domain.ratelimit import SlidingWindowLimiter
from server.domain.tracking import tracking_code
from server.keys import CONFIG, EXECUTOR, QUEUE, REGISTRATION_LIMITER, SIGNING_KEY
from server.pages import error_page, render

DEVICE_COOKIE = "doithoai_device"
WINDOW_S = 600
PER_PHONE = 3
PER_ADDRESS_WITHOUT_COOKIE = 5
PER_ADDRESS = 300
PER_CONFERENCE = 300
SECRET_FILE = "phone-secret"


def load_secret(data_dir: Path) -> bytes:
    """The key that signs device cookies and registration links, kept in the data folder
    so every server process of one install (and a restart) accepts the same ones."""
    path = data_dir / SECRET_FILE
    try:
        value = path.read_bytes()
        if len(value) >= 32:
            return value
    except FileNotFoundError:
        pass
    # processes of one install may start at once: each writes its own temporary file and
    # links it into place only if no key is there yet, so all of them end with the one key
    # on disk, never one each
    fd, name = tempfile.mkstemp(prefix=f".{SECRET_FILE}.", suffix=".tmp", dir=data_dir)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            if len(path.read_bytes()) < 32:  # a damaged key: replaced, as a missing one is made
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _sign(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:24]


def new_device(secret: bytes) -> str:
    ident = secrets.token_urlsafe(12)
    return f"{ident}.{_sign(secret, 'device:' + ident)}"


def valid_device(secret: bytes, cookie: str | None) -> str | None:
    """The phone's id if its cookie carries our signature, else None."""
    if not cookie or cookie.count(".") != 1 or len(cookie) > 100:
        return None
    ident, sig = cookie.split(".")
    return ident if hmac.compare_digest(sig, _sign(secret, "device:" + ident)) else None


def turn_token(secret: bytes, turn_id: str) -> str:
    return _sign(secret, "turn:" + turn_id)


def limit_keys(conference_id: int, address: str, device: str | None
               ) -> list[tuple[tuple[str, ...], int]]:
    """The (key, limit) pairs a registration counts against."""
    keys: list[tuple[tuple[str, ...], int]] = [
        (("conference", str(conference_id)), PER_CONFERENCE),
        (("address", address), PER_ADDRESS),
    ]
    if device:
        keys.append((("phone", str(conference_id), device), PER_PHONE))
    else:
        keys.append((("address-without-cookie", address), PER_ADDRESS_WITHOUT_COOKIE))
    return keys


def see_other(where: str) -> web.Response:
    """Post/Redirect/Get: reloading the page the phone lands on sends nothing again."""
    return web.Response(status=303, headers={"Location": where})


async def conference_by_slug(request: web.Request) -> Conference:
    slug = request.match_info["slug"]
    conf = None
    # a slug no conference can have (too long, a NUL, which PostgreSQL cannot even compare)
    # is not looked up: the same "not found"
    if len(slug) <= limits.PUBLIC_SLUG and "\x00" not in slug:
        async with request.app[EXECUTOR].reading() as db:
            conf = (await db.execute(select(Conference).where(
                Conference.public_slug == slug))).scalar_one_or_none()
    if conf is None:
        raise NotFound("not_found", "Không có hội nghị ở địa chỉ này.")
    return conf


def _with_device(request: web.Request, resp: web.StreamResponse) -> web.StreamResponse:
    secret = request.app[SIGNING_KEY]
    if valid_device(secret, request.cookies.get(DEVICE_COOKIE)) is None:
        resp.set_cookie(DEVICE_COOKIE, new_device(secret), max_age=86400 * 30, httponly=True,
                        samesite="Lax")
    return resp


async def queue_of(request: web.Request, conf: Conference) -> QueueState:
    """The conference's queue, from memory (read once after a start)."""
    reader = Actor(kind="public", commune_id=conf.commune_id, role="public", name="điện thoại")
    state = request.app[QUEUE].cached(reader, conf.id)
    if state is None:
        async with request.app[EXECUTOR].reading() as db:
            state = await request.app[QUEUE].snapshot(db, reader, conf.id)
    return state


# what "Theo dõi" says about the floor, before its script takes over (and without JavaScript)
FLOOR_LABELS = {"speaking": "Đang phát biểu", "called": "Mời lên phát biểu", "paused": "Tạm dừng",
                "answer": "Trả lời kiến nghị"}
NOBODY = "Chưa có người phát biểu"
NOBODY_HINT = "Khi có người phát biểu, tên và lời phát biểu hiện ở đây."


def floor_of(view: dict[str, Any]) -> dict[str, str]:
    """The label and the public name of whoever has the floor in a public view."""
    cur = view.get("current")
    if not cur:
        return {"label": NOBODY, "name": "", "hint": NOBODY_HINT}
    key = "answer" if cur.get("kind") == "answer" else cur.get("status", "speaking")
    return {"label": FLOOR_LABELS.get(key, FLOOR_LABELS["speaking"]), "name": cur["name"], "hint": ""}


async def follow_page(request: web.Request) -> web.StreamResponse:
    """GET /r/{slug}/theo-doi: following the conference from a phone (public names only)."""
    conf = await conference_by_slug(request)
    view = public_view(await queue_of(request, conf), datetime.now(UTC))
    resp = render("follow.html", conf=conf, now=floor_of(view), phase=view.get("phase_label"))
    resp.headers["Cache-Control"] = "no-store"
    return resp


async def registration_form(request: web.Request) -> web.StreamResponse:
    conf = await conference_by_slug(request)
    if not (await queue_of(request, conf)).settings.registrations_open:
        return render("list_closed.html", conf=conf)
    return _with_device(request, render("register.html", conf=conf, values={}, errors={}))


class _Refused(Exception):
    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


async def _phone_form(request: web.Request, conf: Conference, texts: tuple[str, ...],
                      check: str) -> tuple[list, dict[str, Any]]:
    """The limits a phone's form counts against (refused with 429 when spent) and the
    form's texts, plus the checkbox ``check``; a broken form or a NUL is refused."""
    limiter: SlidingWindowLimiter = request.app[REGISTRATION_LIMITER]
    device = valid_device(request.app[SIGNING_KEY], request.cookies.get(DEVICE_COOKIE))
    keys = limit_keys(conf.id, request.remote or "?", device)
    if not all(limiter.allow(k, limit) for k, limit in keys):
        raise _Refused(error_page(429, "Bạn đã gửi nhiều lần trong thời gian ngắn; vui lòng "
                                       "chờ vài phút hoặc đến bàn thư ký."))
    try:
        form = await request.post()
    except (ValueError, AssertionError, LookupError, HttpProcessingError):  # a broken form
        raise BadRequest("bad_form", "Biểu mẫu không đọc được; vui lòng tải lại trang "
                                     "và gửi lại.") from None
    refuse_nul(form, "bad_form", "Ô")
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in texts}
    values[check] = form.get(check) == "on"
    return keys, values


def _count(request: web.Request, keys: list) -> None:
    limiter: SlidingWindowLimiter = request.app[REGISTRATION_LIMITER]
    for k, _limit in keys:
        limiter.fail(k)


async def registration_submit(request: web.Request) -> web.StreamResponse:
    conf = await conference_by_slug(request)
    secret = request.app[SIGNING_KEY]
    try:
        keys, values = await _phone_form(request, conf, ("display_name", "hamlet", "topic"),
                                         "consent_full_name")
    except _Refused as refused:
        return refused.response
    errors: dict[str, str] = {}
    if not values["display_name"].strip():
        errors["display_name"] = "Vui lòng nhập họ và tên."
    if not values["hamlet"].strip():
        errors["hamlet"] = "Vui lòng nhập thôn, bon hoặc tổ dân phố."
    for k, limit in (("display_name", limits.PERSON_NAME), ("hamlet", limits.HAMLET),
                     ("topic", limits.TOPIC)):
        if len(values[k]) > limit:
            errors[k] = f"Quá dài (tối đa {limit} ký tự)."
    if errors:
        return _with_device(request, render("register.html", status=422, conf=conf,
                                            values=values, errors=errors))
    _count(request, keys)
    system = Actor(kind="public", commune_id=conf.commune_id, role="public",
                   name=f"điện thoại {request.remote or '?'}")
    command_id = "qr-" + secrets.token_hex(8)
    try:
        await request.app[EXECUTOR].run(QueueCommand(), system, {
            "conference_id": conf.id,
            "type": "register_turn", "command_id": command_id, "base_version": 0,
            "display_name": values["display_name"], "hamlet": values["hamlet"],
            "topic": values["topic"], "consent_full_name": values["consent_full_name"],
            "source": "qr"})
    except DomainError as exc:
        return _with_device(request, render("register.html", status=422, conf=conf,
                                            values=values, errors={"form": exc.message}))
    where = f"/r/{conf.public_slug}/t/{command_id}/{turn_token(secret, command_id)}"
    return _with_device(request, see_other(where))


async def opinion_submit(request: web.Request) -> web.StreamResponse:
    """POST /r/{slug}/y-kien: a written opinion instead of speaking. It becomes a petition
    waiting for the secretary's review; the phone is shown its tracking code."""
    conf = await conference_by_slug(request)
    key = request.app[SIGNING_KEY]
    try:
        keys, values = await _phone_form(request, conf, ("o_name", "o_hamlet", "o_content"),
                                         "o_consent")
    except _Refused as refused:
        return refused.response
    errors: dict[str, str] = {}
    for k, label, limit in (("o_name", "họ và tên", limits.PERSON_NAME),
                            ("o_hamlet", "thôn, bon hoặc tổ dân phố", limits.HAMLET),
                            ("o_content", "ý kiến", limits.LONG_TEXT)):
        if not values[k].strip():
            errors[k] = f"Vui lòng nhập {label}."
        elif len(values[k]) > limit:
            errors[k] = f"Quá dài (tối đa {limit} ký tự)."
    if errors:
        return _with_device(request, render("register.html", status=422, conf=conf,
                                            values=values, errors=errors))
    _count(request, keys)
    phone = Actor(kind="public", commune_id=conf.commune_id, role="public",
                  name=f"điện thoại {request.remote or '?'}")
    try:
        done = await request.app[EXECUTOR].run(WriteOpinion(), phone, {
            "conference_id": conf.id, "raised_by": values["o_name"],
            "hamlet": values["o_hamlet"], "content": values["o_content"],
            "consent_full_name": values["o_consent"]})
    except DomainError as exc:
        return _with_device(request, render("register.html", status=422, conf=conf,
                                            values=values, errors={"opinion": exc.message}))
    return _with_device(request, render("opinion_sent.html", conf=conf,
                                        code=tracking_code(key, done.id)))


async def _own_turn(request: web.Request) -> tuple[Conference, str, dict[str, Any]]:
    """The conference and the turn a status link names, if its token is right."""
    conf = await conference_by_slug(request)
    turn_id = request.match_info["turn"]
    token = request.match_info["token"]
    if len(turn_id) > limits.TURN_ID or not hmac.compare_digest(
            token, turn_token(request.app[SIGNING_KEY], turn_id)):
        raise NotFound("not_found", "Không có đăng ký ở địa chỉ này.")
    state = await queue_of(request, conf)
    status = phone_status(state, turn_id)
    if status is None:
        raise NotFound("not_found", "Không có đăng ký ở địa chỉ này.")
    turn = state.turn(turn_id)
    status["display_name"] = turn.display_name if turn else ""
    # the petitions the secretary linked to the turn: their codes to follow the answer
    key = request.app[SIGNING_KEY]
    status["petitions"] = [tracking_code(key, int(ref)) for ref in (turn.petition_ids if turn else ())
                           if str(ref).isdigit()]
    return conf, turn_id, status


async def status_page(request: web.Request) -> web.StreamResponse:
    conf, turn_id, status = await _own_turn(request)
    return _with_device(request, render("phone_status.html", conf=conf, reg=status,
                                        here=request.path))


async def status_json(request: web.Request) -> web.Response:
    _, _, status = await _own_turn(request)
    return web.json_response(status, headers={"Cache-Control": "no-store"})


async def withdraw(request: web.Request) -> web.StreamResponse:
    conf, turn_id, status = await _own_turn(request)
    here = request.path.rsplit("/", 1)[0]
    if status["can_withdraw"]:
        phone = Actor(kind="public", commune_id=conf.commune_id, role="public",
                      name=f"điện thoại {request.remote or '?'}", own_turn=turn_id)
        try:
            await request.app[EXECUTOR].run(QueueCommand(), phone, {
                "conference_id": conf.id, "type": "withdraw", "turn_id": turn_id,
                "command_id": "qr-rut-" + secrets.token_hex(8), "base_version": 0,
                "reason": "Người đăng ký tự rút trên điện thoại"})
        except DomainError as exc:
            return render("phone_status.html", status=409, conf=conf, here=here,
                          reg=status, refusal=exc.message)
    return see_other(here)


def setup(app: web.Application) -> None:
    app[REGISTRATION_LIMITER] = SlidingWindowLimiter(limit=PER_PHONE, window_s=WINDOW_S)
    app[SIGNING_KEY] = load_secret(app[CONFIG].data_dir)
    app.router.add_get("/r/{slug}", registration_form)
    app.router.add_post("/r/{slug}", registration_submit)
    app.router.add_post("/r/{slug}/y-kien", opinion_submit)
    app.router.add_get("/r/{slug}/theo-doi", follow_page)
    app.router.add_get(r"/r/{slug}/t/{turn}/{token:[0-9a-f]{24}}", status_page)
    app.router.add_get(r"/r/{slug}/t/{turn}/{token:[0-9a-f]{24}}.json", status_json)
    app.router.add_post(r"/r/{slug}/t/{turn}/{token:[0-9a-f]{24}}/withdraw", withdraw)
