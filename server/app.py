"""Builds the aiohttp application: routes, socket.io, start-up and shutdown."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from server import fanout
from server.api.core import api as core_api
from server.api.errors import status_of
from server.api.registry import Api, json_response, openapi
from server.auth import Identities
from server.commands.accounts import bootstrap
from server.db.session import database_url, make_engine, migrate, session_factory
from server.domain.errors import DomainError, TooLarge
from server.domain.ratelimit import SlidingWindowLimiter
from server.events import (
    AccountsChanged,
    AnswerCreated,
    BulletinsChanged,
    Bus,
    QueueChanged,
    TranscriptUpdated,
    TurnRecorded,
)
from server.executor import Executor
from server.keys import (
    APIS,
    BACKGROUND,
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
    on_admin_password: Callable[[str], None] | None = None


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
    app = web.Application(middlewares=[errors, security_headers], client_max_size=MAX_BODY)
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
    app[LOGIN_LIMITER] = SlidingWindowLimiter(limit=10, window_s=300)
    app[BACKGROUND] = set()
    # the one way to act
    app[BUS] = Bus()
    app[EXECUTOR] = Executor(app[SESSIONMAKER], app[BUS], app, readers=config.db_pool_size)
    # transports: socket.io, the declared HTTP endpoints, pages
    # no CORS headers for other sites; the Origin itself is checked by realtime's connect,
    # which refuses a foreign page with a message its client can show
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[],
                               ping_interval=5, ping_timeout=5, max_http_buffer_size=64 * 1024)
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
    for setup in _parts():
        setup(app)
    # who listens to which event, in the order they hear it
    for event_type, listener in _listeners():
        app[BUS].listen(event_type, functools.partial(listener, app))
    return app


def _parts() -> list[Callable[[web.Application], None]]:
    """Parts of the server that attach their routes and jobs: queue, broadcast,
    transcripts, follow-up."""
    from server import broadcasting, transcripts
    from server.followup import web as followup_web
    from server.queue import realtime

    return [realtime.setup, broadcasting.setup, transcripts.setup, followup_web.setup]


def _listeners() -> list[tuple[type, Callable[[web.Application, Any], Awaitable[None]]]]:
    """The declared list: each event, and the parts that act on it after the commit."""
    from server import broadcasting
    from server.followup import bulletins
    from server.queue import realtime
    from server.transcripts import api as transcripts_api
    from server.transcripts import drafts

    return [
        (QueueChanged, remember_queue),  # first: readers see the new state from now on
        (QueueChanged, realtime.send_queue),
        (QueueChanged, broadcasting.follow_queue),
        (TurnRecorded, drafts.draft_recorded_turn),
        (TranscriptUpdated, transcripts_api.send_transcript),
        (AnswerCreated, transcripts_api.send_answer),
        (BulletinsChanged, bulletins.on_bulletins_changed),
        (AccountsChanged, forget_identities),
    ]


async def remember_queue(app: web.Application, event: QueueChanged) -> None:
    app[QUEUE].remember(event.conference_id, event.commune_id, event.state)


async def forget_identities(app: web.Application, _event: AccountsChanged) -> None:
    app[IDENTITIES].forget_all()


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Migrate, make the first administrator, and close the pool on shutdown."""
    config = app[CONFIG]
    await migrate(app[ENGINE])
    async with app[SESSIONMAKER]() as db, db.begin():
        _, password = await bootstrap(db)
    if password and config.on_admin_password:
        config.on_admin_password(password)
    yield
    await app[ENGINE].dispose()
