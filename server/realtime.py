"""socket.io: authenticate, join a conference room, run queue commands, broadcast.

Rooms: ``staff:<id>`` (tablets of logged-in users) gets the full queue state;
``public:<id>`` (public screens with a device token, and staff) gets the public
view only: masked names, the timer and the next five. Events are documented in
docs/realtime.md.
"""

from __future__ import annotations

import io
import logging
import secrets
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

import segno
import socketio
from aiohttp import web
from sqlalchemy import select

from server.api.registry import Api, Call, json_response, read_json
from server.auth import SESSION_COOKIE, Actor, actor_from_device_token, actor_from_session
from server.commands import scope
from server.db.models import Conference
from server.domain import queue as q
from server.domain.errors import DomainError, NotFound
from server.domain.ratelimit import SlidingWindowLimiter
from server.fanout import fan_out
from server.net import lan_addresses
from server.pages import error_page, render
from server.queue_service import QueueService, staff_view

log = logging.getLogger(__name__)
api = Api()


def _now() -> datetime:
    return datetime.now(UTC)


# ---- HTTP: snapshots and commands (for tests, scripts and clients without websockets) --------


@api.route("GET", "/api/conferences/{id}/queue", summary="The speaking queue (full state)",
           tag="queue")
async def get_queue(call: Call) -> dict:
    state = await call.app["queue"].snapshot(call.user, call.path_int("id"))
    return staff_view(state, _now())


@api.route("GET", "/api/conferences/{id}/queue/public",
           summary="What the public screen shows", tag="queue", devices=True)
async def get_public_queue(call: Call) -> dict:
    state = await call.app["queue"].snapshot(call.user, call.path_int("id"))
    return q.public_view(state, _now())


@api.route("POST", "/api/conferences/{id}/queue/commands",
           summary="Run a queue command (same payload as the queue:command event)", tag="queue",
           permission="view", response={"application/json": {"schema": {"type": "object"}}},
           raw=True)
async def post_queue_command(call: Call) -> web.Response:
    payload = await read_json(call.request)
    state, duplicate = await call.app["queue"].execute(call.user, call.path_int("id"), payload)
    return json_response({"ok": True, "version": state.version, "duplicate": duplicate})


# ---- socket.io -----------------------------------------------------------------------------


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    async def authenticate(environ: dict[str, Any], auth: Any) -> Actor | None:
        token = auth.get("token") if isinstance(auth, dict) else None
        async with app["sessionmaker"]() as db:
            if isinstance(token, str) and token:
                return await actor_from_device_token(db, token)
            cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            if SESSION_COOKIE in cookie:
                return await actor_from_session(db, cookie[SESSION_COOKIE].value)
        return None

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        actor = await authenticate(environ, auth)
        if actor is None:
            # the client's connect_error gets {message, data}: the text, and the code with it
            text = "Cần đăng nhập hoặc mã thiết bị hợp lệ."
            raise socketio.exceptions.ConnectionRefusedError(
                text, {"code": "unauthenticated", "message": text})
        await sio.save_session(sid, {"actor": actor})
        return True

    async def _actor(sid: str) -> Actor:
        return (await sio.get_session(sid))["actor"]

    @sio.on("join")
    async def join(sid: str, data: Any) -> dict[str, Any]:
        """Join a conference's rooms; the reply carries a full snapshot to start from."""
        actor = await _actor(sid)
        try:
            cid = int(data.get("conference_id")) if isinstance(data, dict) else int(data)
        except (TypeError, ValueError):
            return {"ok": False, "error": {"code": "bad_request", "message": "Thiếu mã hội nghị."}}
        try:
            state = await app["queue"].snapshot(actor, cid)
        except DomainError as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        now = _now()
        await sio.enter_room(sid, f"public:{cid}")
        reply: dict[str, Any] = {"ok": True, "public": q.public_view(state, now)}
        if actor.kind == "user":
            await sio.enter_room(sid, f"staff:{cid}")
            await sio.enter_room(sid, "staff")
            reply["staff"] = staff_view(state, now)  # full names and topics: staff only
        else:
            await sio.enter_room(sid, "public")
        for extra in app["join_extras"]:
            reply.update(await extra(actor, cid))
        return reply

    @sio.on("queue:command")
    async def command(sid: str, data: Any) -> dict[str, Any]:
        actor = await _actor(sid)
        if not isinstance(data, dict):
            return {"ok": False, "error": {"code": "bad_command", "message": "Lệnh không hợp lệ."}}
        payload = dict(data)
        try:
            cid = int(payload.pop("conference_id"))
            state, duplicate = await app["queue"].execute(actor, cid, payload)
        except (KeyError, TypeError, ValueError):
            return {"ok": False, "error": {"code": "bad_command", "message": "Thiếu mã hội nghị."}}
        except DomainError as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        except Exception:
            log.exception("queue command failed")
            return {"ok": False, "error": {"code": "internal_error",
                                           "message": "Lỗi máy chủ; lệnh chưa được thực hiện."}}
        return {"ok": True, "version": state.version, "duplicate": duplicate}

    @sio.on("time")
    async def server_time(sid: str, _data: Any = None) -> dict[str, str]:
        """Clients measure their clock offset with this, so timers agree with the server."""
        return {"server_time": _now().isoformat()}


async def publish(app: web.Application, conference_id: int, state: q.QueueState) -> None:
    sio: socketio.AsyncServer = app["sio"]
    now = _now()
    # Staff first: the few tablets that are waiting for the result of their command.
    await fan_out(sio, "queue:state", staff_view(state, now), f"staff:{conference_id}")
    await fan_out(sio, "queue:public", q.public_view(state, now), f"public:{conference_id}")


# ---- self-registration by phone (no JavaScript, no account) -------------------------------


async def _conference_by_slug(request: web.Request) -> Conference:
    async with request.app["sessionmaker"]() as db:
        conf = (await db.execute(select(Conference).where(
            Conference.public_slug == request.match_info["slug"]))).scalar_one_or_none()
    if conf is None:
        raise NotFound("not_found", "Không có hội nghị ở địa chỉ này.")
    return conf


async def registration_form(request: web.Request) -> web.Response:
    conf = await _conference_by_slug(request)
    return render("register.html", conf=conf, values={}, errors={})


async def registration_submit(request: web.Request) -> web.Response:
    conf = await _conference_by_slug(request)
    limiter: SlidingWindowLimiter = request.app["registration_limiter"]
    device = request.cookies.get("doithoai_device") or ""
    keys = [("ip", request.remote or "?")] + ([("device", device)] if device else [])
    if not all(limiter.allow(k) for k in keys):
        return error_page(429, "Bạn đã đăng ký nhiều lần trong thời gian ngắn; "
                               "vui lòng chờ vài phút hoặc đăng ký tại bàn thư ký.")
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in ("display_name", "hamlet", "topic")}
    values["consent_full_name"] = form.get("consent_full_name") == "on"
    errors: dict[str, str] = {}
    if not values["display_name"].strip():
        errors["display_name"] = "Vui lòng nhập họ và tên."
    if not values["hamlet"].strip():
        errors["hamlet"] = "Vui lòng nhập thôn, bon hoặc tổ dân phố."
    for k, limit in (("display_name", 120), ("hamlet", 120), ("topic", 1000)):
        if len(values[k]) > limit:
            errors[k] = f"Quá dài (tối đa {limit} ký tự)."
    if errors:
        return render("register.html", status=422, conf=conf, values=values, errors=errors)
    for k in keys:
        limiter.fail(k)
    system = Actor(kind="public", commune_id=conf.commune_id, role="public",
                   name=f"điện thoại {request.remote or '?'}")
    command_id = "qr-" + secrets.token_hex(8)
    try:
        state, _ = await request.app["queue"].execute(system, conf.id, {
            "type": "register_turn", "command_id": command_id, "base_version": 0,
            "display_name": values["display_name"], "hamlet": values["hamlet"],
            "topic": values["topic"], "consent_full_name": values["consent_full_name"],
            "source": "qr"})
    except DomainError as exc:
        return render("register.html", status=422, conf=conf, values=values,
                      errors={"form": exc.message})
    turn = next(t for t in state.turns if t.id == command_id)
    resp = render("registered.html", conf=conf, turn=turn,
                  pending=turn.status == "pending_approval")
    if not device:
        resp.set_cookie("doithoai_device", secrets.token_urlsafe(12), max_age=86400 * 30,
                        httponly=True, samesite="Lax")
    return resp


def phone_base_url(request: web.Request) -> str:
    """The address phones in the hall can reach: the configured public URL, else the
    address the request came in on, unless that is loopback (a screen on the server
    itself), in which case the server's first LAN address."""
    configured = request.app["config"].public_url
    if configured:
        return configured.rstrip("/")
    host = request.host
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    if name in ("localhost", "127.0.0.1", "[::1]") or name.startswith("127."):
        lan = lan_addresses()
        if lan:
            port = host.rsplit(":", 1)[1] if ":" in host.split("]")[-1] else ""
            host = lan[0] + (f":{port}" if port else "")
    return f"{request.scheme}://{host}"


async def registration_qr(request: web.Request) -> web.Response:
    conf = await _conference_by_slug(request)
    url = f"{phone_base_url(request)}/r/{conf.public_slug}"
    # A standalone SVG file needs its namespace, or browsers show a broken <img>
    # (segno's svg_inline leaves it out: it is meant for inline HTML).
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", xmldecl=False, scale=8, border=2,
                                    dark="#000", light="#fff")
    return web.Response(body=buf.getvalue(), content_type="image/svg+xml",
                        headers={"X-Registration-URL": url})


@api.route("GET", "/api/conferences/{id}/registration", summary="Self-registration link and QR",
           tag="queue", devices=True)
async def registration_info(call: Call) -> dict:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    return {"url": f"{phone_base_url(call.request)}/r/{conf.public_slug}",
            "qr_svg": f"/r/{conf.public_slug}/qr.svg"}


def setup(app: web.Application) -> None:
    app["apis"].append(api)
    api.add_to(app)
    app["registration_limiter"] = SlidingWindowLimiter(limit=3, window_s=600)
    app["join_extras"] = []
    attach(app, app["sio"])
    app.router.add_get("/r/{slug}", registration_form)
    app.router.add_post("/r/{slug}", registration_submit)
    app.router.add_get("/r/{slug}/qr.svg", registration_qr)

    async def start(app: web.Application) -> None:
        async def _publish(cid: int, state: q.QueueState) -> None:
            await publish(app, cid, state)

        app["queue"] = QueueService(app["sessionmaker"], _publish)

    app.on_startup.append(start)
