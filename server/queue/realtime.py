"""socket.io: authenticate, join a conference room, run queue commands, broadcast.

Rooms: ``staff:<id>`` (tablets of logged-in users) gets the full queue state;
``public:<id>`` (public screens with a device token, and staff) gets the public
view only: masked names, the timer and the next five. Events are documented in
docs/realtime.md.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import segno
import socketio
from aiohttp import web
from sqlalchemy import select

from server.actions.queue.command import QueueCommand
from server.api.registry import Api, Call, json_response, read_json
from server.api.responses import (
    CommandReply,
    PublicQueue,
    QueueCommandIn,
    RegistrationOut,
    StaffQueue,
)
from server.api.schemas import QueueQuery
from server.auth import SESSION_COOKIE, Actor
from server.commands import scope
from server.db.models import Conference
from server.domain import limits
from server.domain import queue as q
from server.domain.errors import BadRequest, DomainError
from server.domain.personal_data import masked_staff_view, name_for, sees_names
from server.domain.queue_rules import balance
from server.events import QueueChanged
from server.fanout import fan_out
from server.keys import (
    APIS,
    CONFIG,
    EXECUTOR,
    IDENTITIES,
    JOIN_EXTRAS,
    QUEUE,
    SIO,
)
from server.net import lan_addresses
from server.queue import phones
from server.queue.service import staff_view
from server.transcripts.rules import csv_cell

log = logging.getLogger(__name__)
api = Api()
FOLLOWER = "follower"  # the role of a phone following a conference by its public link


def _now() -> datetime:
    return datetime.now(UTC)


# ---- HTTP: snapshots and commands (for tests, scripts and clients without websockets) --------


@api.route("GET", "/api/conferences/{id}/queue", summary="The speaking queue (the state a "
           "tablet gets)", tag="queue", query=QueueQuery, response=StaffQueue,
           transaction=False, cached=True)
async def get_queue(call: Call) -> dict:
    view = staff_view(await _state(call), _now(), all_aside=call.query.aside == "all")
    return view if sees_names(call.user.role) else masked_staff_view(view)


@api.route("GET", "/api/conferences/{id}/balance.csv", summary="Each person's and each "
           "hamlet's turns and speaking time (CSV, UTF-8 with BOM)", tag="exports", raw=True,
           response={"text/csv": {"schema": {"type": "string"}}}, transaction=False)
async def balance_csv(call: Call) -> web.Response:
    full = balance(await _state(call), _now())
    role = call.user.role
    rows = [["Người phát biểu", "Thôn, bon, tổ dân phố", "Số lượt", "Thời gian (giây)"]]
    rows += [[name_for(role, p["name"], p["hamlet"], False), p["hamlet"], p["turns"],
              p["seconds"]] for p in full["people"]]
    rows += [[], ["Thôn, bon, tổ dân phố", "Số người", "Số lượt", "Thời gian (giây)"]]
    rows += [[h["hamlet"], h["people"], h["turns"], h["seconds"]] for h in full["hamlets"]]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return web.Response(body=buf.getvalue().encode("utf-8-sig"), content_type="text/csv",
                        charset="utf-8", headers={"Content-Disposition":
                                                  f'attachment; filename="can-doi-{call.path_int("id")}.csv"'})


async def _state(call: Call) -> q.QueueState:
    """The queue from memory; a session only the first time after a start."""
    cid = call.path_int("id")
    state = call.app[QUEUE].cached(call.user, cid)
    if state is None:
        async with call.app[EXECUTOR].reading() as db:
            state = await call.app[QUEUE].snapshot(db, call.user, cid)
    return state


@api.route("GET", "/api/conferences/{id}/queue/public",
           summary="What the public screen shows", tag="queue", devices=True,
           response=PublicQueue, transaction=False, cached=True)
async def get_public_queue(call: Call) -> dict:
    return q.public_view(await _state(call), _now())


@api.route("POST", "/api/conferences/{id}/queue/commands",
           summary="Run a queue command (same payload as the queue:command event)", tag="queue",
           permission="view", body=QueueCommandIn, response=CommandReply,
           raw=True, transaction=False)
async def post_queue_command(call: Call) -> web.Response:
    payload = await read_json(call.request)
    if not isinstance(payload, dict):
        raise BadRequest("bad_command", "Lệnh phải là một đối tượng JSON.")
    done = await call.run(QueueCommand(), {**payload, "conference_id": call.path_int("id")})
    return json_response(command_reply(done))


# ---- socket.io -----------------------------------------------------------------------------


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    async def authenticate(environ: dict[str, Any], auth: Any) -> Actor | None:
        token = auth.get("token") if isinstance(auth, dict) else None
        identities = app[IDENTITIES]
        async with app[EXECUTOR].reading() as db:
            if isinstance(token, str) and token:
                return await identities.from_device_token(db, token)
            cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            if SESSION_COOKIE in cookie:
                return await identities.from_session(db, cookie[SESSION_COOKIE].value)
            follow = auth.get("follow") if isinstance(auth, dict) else None
            if isinstance(follow, str) and 0 < len(follow) <= limits.PUBLIC_SLUG:
                return await _follower(db, follow)
        return None

    async def _follower(db: Any, slug: str) -> Actor | None:
        """A phone following a conference without a login ("Theo dõi"): its public
        registration slug admits it to that conference's public room only, read-only."""
        conf = (await db.execute(select(Conference).where(
            Conference.public_slug == slug))).scalar_one_or_none()
        if conf is None:
            return None
        return Actor(kind="public", commune_id=conf.commune_id, role=FOLLOWER,
                     name=f"theo-doi:{conf.id}")

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        # A page of another site (or of another port on this host) must not drive the queue
        # with the moderator's cookie: a browser's Origin must be this server (as the request
        # reached it, or its configured public address). Clients without an Origin header
        # (relays, scripts) are not browsers and carry no one else's cookie.
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            def place(url: str) -> tuple[str, str, int] | None:
                try:
                    parts = urlsplit(url.strip())
                    scheme = parts.scheme.lower()
                    port = parts.port or {"http": 80, "https": 443}.get(scheme)
                except ValueError:
                    return None
                return (scheme, parts.hostname, port) if parts.hostname and port else None

            req = environ.get("aiohttp.request")
            own = {place(f"{req.scheme}://{req.host}")} if req is not None else set()
            if app[CONFIG].public_url:
                own.add(place(app[CONFIG].public_url))
            if place(origin) is None or place(origin) not in own:
                text = ("Kết nối bị từ chối: trang web ở địa chỉ khác không được điều khiển "
                        "hội nghị; hãy mở trang từ chính máy chủ này.")
                raise socketio.exceptions.ConnectionRefusedError(
                    text, {"code": "foreign_origin", "message": text})
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
            state = app[QUEUE].cached(actor, cid)
            if state is None:
                async with app[EXECUTOR].reading() as db:
                    state = await app[QUEUE].snapshot(db, actor, cid)
        except DomainError as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        now = _now()
        if actor.role == FOLLOWER:  # a phone following one conference: its public room only
            if actor.name != f"theo-doi:{cid}":
                return {"ok": False, "error": {"code": "forbidden", "message":
                                               "Đường dẫn này chỉ theo dõi được hội nghị của nó."}}
            await sio.enter_room(sid, f"public:{cid}")
            reply = {"ok": True, "public": q.public_view(state, now)}
            for extra in app[JOIN_EXTRAS]:
                reply.update({k: v for k, v in (await extra(actor, cid)).items()
                              if k == "captions"})
            return reply
        await sio.enter_room(sid, f"public:{cid}")
        reply: dict[str, Any] = {"ok": True, "public": q.public_view(state, now)}
        if actor.kind == "user" and sees_names(actor.role):
            await sio.enter_room(sid, f"staff:{cid}")
            await sio.enter_room(sid, "staff")
            reply["staff"] = staff_view(state, now)  # full names and topics: staff only
        elif actor.kind == "user":  # a viewer or overseer: names in their public form
            await sio.enter_room(sid, f"masked:{cid}")
            await sio.enter_room(sid, "staff")
            reply["staff"] = masked_staff_view(staff_view(state, now))
        else:
            await sio.enter_room(sid, "public")
        for extra in app[JOIN_EXTRAS]:
            reply.update(await extra(actor, cid))
        return reply

    @sio.on("queue:command")
    async def command(sid: str, data: Any) -> dict[str, Any]:
        actor = await _actor(sid)
        try:
            done = await app[EXECUTOR].run(QueueCommand(), actor, data)
        except DomainError as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        except Exception:
            log.exception("queue command failed")
            return {"ok": False, "error": {"code": "internal_error",
                                           "message": "Lỗi máy chủ; lệnh chưa được thực hiện."}}
        return command_reply(done)

    @sio.on("time")
    async def server_time(sid: str, _data: Any = None) -> dict[str, str]:
        """Clients measure their clock offset with this, so timers agree with the server."""
        return {"server_time": _now().isoformat()}


def command_reply(done: dict[str, Any]) -> dict[str, Any]:
    """What the sender of a queue command gets back, over HTTP and socket.io alike."""
    return {"ok": True, "version": done["version"], "duplicate": done["duplicate"]}


async def send_queue(app: web.Application, event: QueueChanged) -> None:
    """Listener: a committed queue change goes to the conference's rooms."""
    await publish(app, event.conference_id, event.state)


async def publish(app: web.Application, conference_id: int, state: q.QueueState) -> None:
    sio: socketio.AsyncServer = app[SIO]
    now = _now()
    # Staff first: the few tablets that are waiting for the result of their command.
    staff = staff_view(state, now)
    await fan_out(sio, "queue:state", staff, f"staff:{conference_id}")
    if _has_members(sio, f"masked:{conference_id}"):
        await fan_out(sio, "queue:state", masked_staff_view(staff), f"masked:{conference_id}")
    await fan_out(sio, "queue:public", staff["public"], f"public:{conference_id}")  # made once


def _has_members(sio: socketio.AsyncServer, room: str) -> bool:
    """Whether anyone is in ``room`` here (the masked view is made only for them)."""
    try:
        return bool(sio.manager.rooms.get("/", {}).get(room))
    except AttributeError:  # a manager that keeps its rooms elsewhere: send anyway
        return True


def phone_base_url(request: web.Request) -> str:
    """The address phones in the hall can reach: the configured public URL, else the
    address the request came in on, unless that is loopback (a screen on the server
    itself), in which case the server's first LAN address."""
    configured = request.app[CONFIG].public_url
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
    conf = await phones.conference_by_slug(request)
    url = f"{phone_base_url(request)}/r/{conf.public_slug}"
    # A standalone SVG file needs its namespace, or browsers show a broken <img>
    # (segno's svg_inline leaves it out: it is meant for inline HTML).
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", xmldecl=False, scale=8, border=2,
                                    dark="#000", light="#fff")
    return web.Response(body=buf.getvalue(), content_type="image/svg+xml",
                        headers={"X-Registration-URL": url})


@api.route("GET", "/api/conferences/{id}/registration", summary="Self-registration link and QR",
           tag="queue", devices=True, response=RegistrationOut)
async def registration_info(call: Call) -> dict:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    return {"url": f"{phone_base_url(call.request)}/r/{conf.public_slug}",
            "qr_svg": f"/r/{conf.public_slug}/qr.svg"}


def setup(app: web.Application) -> None:
    app[APIS].append(api)
    api.add_to(app)
    app[JOIN_EXTRAS] = []
    attach(app, app[SIO])
    phones.setup(app)
    app.router.add_get("/r/{slug}/qr.svg", registration_qr)
