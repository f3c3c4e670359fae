"""Builds the aiohttp application: routes, socket.io, start-up and shutdown."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web
from sqlalchemy import text

from server import fanout, leases, login_limits, wire_json
from server.api.core import api as core_api
from server.api.errors import status_of
from server.api.registry import Api, json_response, openapi
from server.auth import Identities
from server.backup.web import nightly_backups
from server.commands.accounts import bootstrap
from server.db.session import database_url, make_engine, migrate, session_factory
from server.domain.errors import DomainError, TooLarge
from server.events import (
    AccountsChanged,
    AnswerCreated,
    BulletinsChanged,
    Bus,
    CaptionsChanged,
    QueueChanged,
    TranscriptUpdated,
    TurnRecorded,
)
from server.executor import Executor
from server.keys import (
    APIS,
    BACKGROUND,
    BROADCAST,
    BULLETIN_SCHEDULER,
    BUS,
    CACHE,
    CONFIG,
    ENGINE,
    EXECUTOR,
    IDENTITIES,
    LOGIN_LIMITER,
    OPENAPI_EXTRA,
    QUEUE,
    RULES,
    SESSIONMAKER,
    SIO,
)
from server.pages import error_page
from server.pages import routes as page_routes
from server.queue.service import QueueService
from server.rulebook import Rules

log = logging.getLogger("doithoai")
ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
DISPLAY_DIR = ROOT / "queue_display"
MAX_BODY = 1024 * 1024  # 1 MiB of JSON is far beyond any legitimate form


@dataclass
class Config:
    data_dir: Path = Path("data")
    db_url: str | None = None
    host: str = "0.0.0.0"
    port: int = 8080
    audio_source: str = "tone:440"
    icecast_urls: list[str] = field(default_factory=list)
    rtp_targets: list[str] = field(default_factory=list)
    line_out: str | None = None
    public_url: str | None = None  # the address phones use for the registration QR code
    db_pool_size: int = 10  # connections kept open; a request uses at most one
    db_pool_timeout: float = 30.0  # seconds a request waits for a free connection
    asr_engine: str | None = None  # speech recognition engine; None: the default (viet-asr)
    identity_ttl: float = 10.0  # seconds a looked-up login or device token is remembered
    disk_reserve: str | None = None  # "200MB", "2%"; None: the larger of 200 MB and 2 %
    # a province (docs/province.md): several processes on one PostgreSQL database
    redis_url: str | None = None  # socket.io across processes, and leased background jobs
    capture_audio: bool = True  # False: no broadcast here, nor the jobs that need it
    lease_ttl: float = leases.DEFAULT_TTL  # seconds a job lease lasts unrenewed
    on_admin_password: Callable[[str], None] | None = None
    backup_dir: Path | None = None  # nightly backups go here; None: off
    backup_keep: int = 7  # how many nightly backups are kept
    captions: bool = True  # live captions when the engine is installed (docs/captions.md)


def _refusal(request: web.Request, exc: DomainError, status: int) -> web.StreamResponse:
    """A refused request: JSON for the API, a readable Vietnamese page for a browser."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return json_response(exc.body(), status=status)
    return error_page(status, exc.message)


@web.middleware
async def errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        return _refusal(request, exc, status_of(exc))
    except web.HTTPRequestEntityTooLarge:
        return _refusal(request, TooLarge("payload_too_large",
                                          "Dữ liệu gửi lên quá lớn (tối đa 1 MB)."), 413)
    except web.HTTPMethodNotAllowed as exc:
        resp = _refusal(request, DomainError("method_not_allowed",
                                             "Phương thức không được hỗ trợ ở địa chỉ này."), 405)
        resp.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return resp
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found"}.get(exc.status, "http_error")
        msg = {404: "Không tìm thấy trang hoặc mục này."}.get(exc.status, exc.reason)
        return _refusal(request, DomainError(code, msg), exc.status)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _refusal(request, DomainError(
            "internal_error", "Lỗi máy chủ; thao tác chưa được lưu. Vui lòng thử lại."), 500)


@web.middleware
async def security_headers(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
    resp = await handler(request)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if not resp.prepared:
        resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


@web.middleware
async def real_address(request: web.Request,
                       handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
    """A province: requests come through nginx on this machine, which names the caller in
    ``X-Real-IP``; only a loopback peer is believed (deploy/nginx.conf)."""
    given = request.headers.get("X-Real-IP")
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if given and peer and str(peer[0]) in ("127.0.0.1", "::1"):
        request = request.clone(remote=given.strip()[:64])
    return await handler(request)


def openapi_document(app: web.Application) -> dict:
    """The OpenAPI document of every part attached to ``app``."""
    merged = Api()
    for a in app[APIS]:
        merged.endpoints.extend(a.endpoints)
    return openapi(merged, app.get(OPENAPI_EXTRA, {}))


async def openapi_handler(request: web.Request) -> web.Response:
    cache = request.app[CACHE]
    if "openapi" not in cache:
        cache["openapi"] = openapi_document(request.app)
    return json_response(cache["openapi"])


def create_app(config: Config) -> web.Application:
    """The server, assembled in one visible order:
    config -> database -> services -> executor -> transports -> listeners -> jobs."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    # behind the province's proxy, limits per address count the phone's, not the proxy's
    first = [real_address] if config.redis_url else []
    app = web.Application(middlewares=[*first, errors, security_headers],
                          client_max_size=MAX_BODY)
    app[CONFIG] = config
    # database: the engine connects lazily; migrations run at start-up
    engine = make_engine(database_url(config.db_url, config.data_dir),
                         pool_size=config.db_pool_size, pool_timeout=config.db_pool_timeout)
    app[ENGINE] = engine
    app[SESSIONMAKER] = session_factory(engine)
    # services: state kept in memory, rules, limits
    app[CACHE] = {}
    app[RULES] = Rules(config.data_dir)
    app[QUEUE] = QueueService()
    app[IDENTITIES] = Identities(ttl=config.identity_ttl)
    # failed logins: counted together by a province's processes (Redis), else here
    app[LOGIN_LIMITER] = login_limits.login_limits(config.redis_url, _channel(engine))
    app[BACKGROUND] = set()
    # the one way to act
    app[BUS] = Bus()
    app[EXECUTOR] = Executor(app[SESSIONMAKER], app[BUS], app, readers=config.db_pool_size)
    # transports: socket.io, the declared HTTP endpoints, pages
    # no CORS headers for other sites; the Origin itself is checked by realtime's connect,
    # which refuses a foreign page with a message its client can show
    # with --redis, every process's events reach the others' sockets (server/fanout.py)
    manager = (fanout.ProvinceManager(config.redis_url, _channel(app[ENGINE]))
               if config.redis_url else None)
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[],
                               ping_interval=5, ping_timeout=5, max_http_buffer_size=64 * 1024,
                               client_manager=manager, json=wire_json)
    fanout.install(sio)
    sio.attach(app)
    app[SIO] = sio
    app[APIS] = [core_api]  # each part appends its own in setup()
    app[OPENAPI_EXTRA] = {
        "/api/openapi.json": {"get": {"summary": "This document", "tags": ["system"],
                                      "security": [], "responses": {"200": {
                                          "description": "OpenAPI 3.1", "content": {
                                              "application/json": {"schema": {
                                                  "type": "object",
                                                  "required": ["openapi", "paths"]}}}}}}},
    }
    core_api.add_to(app)
    app.router.add_get("/api/openapi.json", openapi_handler)
    page_routes(app, STATIC_DIR, DISPLAY_DIR)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_other_servers)
    app.cleanup_ctx.append(nightly_backups)
    for setup in _parts():
        setup(app)
    _place_jobs(app)
    # who listens to which event, in the order they hear it
    for event_type, listener in _listeners():
        app[BUS].listen(event_type, functools.partial(listener, app))
    return app


def _parts() -> list[Callable[[web.Application], None]]:
    """Parts of the server that attach their routes and jobs: queue, broadcast,
    transcripts, follow-up, the citizen's tracking page, backups."""
    from server import broadcasting, captions, transcripts
    from server.backup import web as backup_web
    from server.followup import tracking
    from server.followup import web as followup_web
    from server.queue import realtime

    return [realtime.setup, broadcasting.setup, transcripts.setup, followup_web.setup,
            tracking.setup, backup_web.setup, captions.setup]


def _listeners() -> list[tuple[type, Callable[[web.Application, Any], Awaitable[None]]]]:
    """The declared list: each event, and the parts that act on it after the commit."""
    from server import broadcasting, captions
    from server.followup import bulletins
    from server.queue import realtime
    from server.transcripts import api as transcripts_api
    from server.transcripts import drafts

    return [
        (QueueChanged, remember_queue),  # first: readers see the new state from now on
        (QueueChanged, realtime.send_queue),
        (QueueChanged, broadcasting.follow_queue),
        (QueueChanged, captions.follow_queue),  # after the broadcast: captions follow the floor
        (CaptionsChanged, captions.on_captions_changed),
        (TurnRecorded, tell_turn_recorded),  # the secretary's tablets, at once
        (TurnRecorded, drafts.draft_recorded_turn),
        (TranscriptUpdated, transcripts_api.send_transcript),
        (AnswerCreated, transcripts_api.send_answer),
        (BulletinsChanged, bulletins.on_bulletins_changed),
        (AccountsChanged, forget_identities),
        (QueueChanged, tell_other_servers),  # a province: the other processes hear of it
        (AccountsChanged, tell_other_servers),
        (BulletinsChanged, tell_other_servers),
        (CaptionsChanged, tell_other_servers),
    ]


async def remember_queue(app: web.Application, event: QueueChanged) -> None:
    app[QUEUE].remember(event.conference_id, event.commune_id, event.state)


async def tell_turn_recorded(app: web.Application, event: TurnRecorded) -> None:
    """Listener: `turn:recorded` to the conference's staff tablets (the secretary's view shows
    the turn's recording without waiting for the next queue change)."""
    await fanout.fan_out(app[SIO], "turn:recorded", {"conference_id": event.conference_id,
                                                     "turn_id": event.turn_id},
                         f"staff:{event.conference_id}")


async def forget_identities(app: web.Application, event: AccountsChanged) -> None:
    if event.sessions:  # a logout: only those sessions
        app[IDENTITIES].forget_sessions(event.sessions)
    else:
        app[IDENTITIES].forget_all()


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Migrate, make the first administrator, and close the pool on shutdown. On
    PostgreSQL, processes starting together do this one after another."""
    config = app[CONFIG]
    async with _one_process_at_a_time(app[ENGINE]):
        await migrate(app[ENGINE])
        async with app[SESSIONMAKER]() as db, db.begin():
            _, password = await bootstrap(db)
    if password and config.on_admin_password:
        config.on_admin_password(password)
    yield
    await app[ENGINE].dispose()


# ---- a province: several processes on one database (docs/province.md) ----------------------

# Jobs that need the hall's audio run where it is captured, under one lease: the broadcast
# (capture, recorder, retention sweeps), the bulletins it plays, speech recognition of the
# turns it records.
AUDIO_JOBS = ("server.broadcasting", "server.transcripts", "server.followup.bulletins",
              "server.captions")
MIGRATION_LOCK = 0x646F6974  # pg_advisory_lock key: "doit"


def _channel(engine: Any) -> str:
    """The Redis channel of the processes that share this database."""
    return f"doithoai:{engine.url.database or 'doithoai'}"


def _job_group(job: Any) -> str:
    """The lease a background job runs under: the audio group, else its own name."""
    module = getattr(job, "__module__", "") or ""
    if module.startswith(AUDIO_JOBS):
        return "hall-audio"
    return f"{module}.{getattr(job, '__qualname__', repr(job))}"[:100]


def _place_jobs(app: web.Application) -> None:
    """Every background job (a cleanup context of a part) runs once across the processes:
    under a lease (server/leases.py) when several share the database (``redis_url``);
    the audio group only where the audio is captured."""
    config = app[CONFIG]
    kept = [c for c in app.cleanup_ctx if c in (_database, _other_servers)]
    jobs = [c for c in app.cleanup_ctx if c not in kept]
    if not config.capture_audio:
        jobs = [j for j in jobs if _job_group(j) != "hall-audio"]
    if config.redis_url:
        held = leases.Leases(app[SESSIONMAKER], ttl=config.lease_ttl)
        groups: dict[str, list[Any]] = {}
        for job in jobs:
            groups.setdefault(_job_group(job), []).append(job)
        jobs = [leases.leased(name, group, held) for name, group in groups.items()]
    app.cleanup_ctx[:] = [*kept, *jobs]


@contextlib.asynccontextmanager
async def _one_process_at_a_time(engine: Any) -> AsyncIterator[None]:
    """A session-level advisory lock on PostgreSQL (nothing on SQLite)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            await conn.commit()


async def _other_servers(app: web.Application) -> AsyncIterator[None]:
    """With Redis: listen to the other processes from start-up (not from the first client)."""
    manager = app[SIO].manager
    if not isinstance(manager, fanout.ProvinceManager):
        yield
        return
    manager.hearers.append(functools.partial(hear_other_server, app))
    if not await manager.subscribed():
        raise RuntimeError(f"Redis {app[CONFIG].redis_url} không trả lời: không chạy được "
                           "nhiều tiến trình máy chủ mà không có Redis.")
    yield
    await manager.close()
    limits = app[LOGIN_LIMITER]
    if isinstance(limits, login_limits.RedisLimits):
        await limits.close()


async def tell_other_servers(app: web.Application, event: Any) -> None:
    """Listener: what the other processes must know of a committed change (nothing
    without Redis). Their sockets get the change itself through the socket.io manager."""
    manager = app[SIO].manager
    if not isinstance(manager, fanout.ProvinceManager):
        return
    if isinstance(event, QueueChanged):
        # waited for: Redis has the new version before the sender gets its acknowledgement,
        # so a read it then makes on another process is not served an older queue
        await manager.tell("queue", json.loads(json.dumps({
            "conference_id": event.conference_id, "commune_id": event.commune_id,
            "version": event.state.version,
            "happenings": [dataclasses.asdict(h) for h in event.happenings]}, default=str)),
            wait=True)
    elif isinstance(event, AccountsChanged):
        # waited for: Redis has it before the caller hears it is done
        await manager.tell("accounts", {"commune_id": event.commune_id,
                                        "sessions": list(event.sessions)}, wait=True)
    elif isinstance(event, BulletinsChanged):
        await manager.tell("bulletins", {"commune_id": event.commune_id})
    elif isinstance(event, CaptionsChanged):
        # the recogniser runs where the hall's audio is: it reads the settings again there
        await manager.tell("captions", {"commune_id": event.commune_id,
                                        "conference_id": event.conference_id}, wait=True)


async def hear_other_server(app: web.Application, kind: str, data: Any) -> None:
    """Another process committed a change: readers here stop serving the older queue; the
    process with the hall's audio follows the floor and cuts the finished turn; cached
    logins are looked up again; the bulletin scheduler looks at its list again."""
    if kind == "accounts":
        await forget_identities(app, AccountsChanged(
            int(data["commune_id"]), tuple(str(s) for s in data.get("sessions") or ())))
    elif kind == "captions":
        from server import captions

        cid = data.get("conference_id")
        await captions.on_captions_changed(app, CaptionsChanged(
            int(data["commune_id"]), None if cid is None else int(cid)))
    elif kind == "bulletins":
        scheduler = app.get(BULLETIN_SCHEDULER)
        if scheduler is not None:
            scheduler.wake.set()
    elif kind == "queue":
        from server import broadcasting
        from server.domain.queue import Event as QueueEvent

        cid = int(data["conference_id"])
        app[QUEUE].heard(cid, int(data["version"]))
        happenings = tuple(QueueEvent(**h) for h in data.get("happenings") or ())
        followed = any(h.type in broadcasting.FOLLOWED for h in happenings)
        if followed and app.get(BROADCAST) is not None:  # else no need to read the queue
            async with app[EXECUTOR].reading() as db:
                state = await app[QUEUE].load(db, cid)
            if state is not None:
                changed = QueueChanged(cid, int(data["commune_id"]), state, happenings)
                await broadcasting.follow_queue(app, changed)
                from server import captions

                await captions.follow_queue(app, changed)  # captions follow the floor too

