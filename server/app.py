"""Builds the aiohttp application: routes, socket.io, start-up and shutdown."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import socketio
from aiohttp import web

from server import fanout
from server.api.core import api as core_api
from server.api.errors import status_of
from server.api.registry import Api, json_response, openapi
from server.commands.accounts import bootstrap
from server.db.session import database_url, make_engine, migrate, session_factory
from server.domain.errors import DomainError, TooLarge
from server.domain.ratelimit import SlidingWindowLimiter
from server.pages import error_page
from server.pages import routes as page_routes
from server.rules import Rules

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
    for a in app["apis"]:
        merged.endpoints.extend(a.endpoints)
    return openapi(merged, app.get("openapi_extra", {}))


async def openapi_handler(request: web.Request) -> web.Response:
    cache = request.app["cache"]
    if "openapi" not in cache:
        cache["openapi"] = openapi_document(request.app)
    return json_response(cache["openapi"])


def create_app(config: Config) -> web.Application:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    app = web.Application(middlewares=[errors, security_headers], client_max_size=MAX_BODY)
    app["config"] = config
    app["cache"] = {}
    app["login_limiter"] = SlidingWindowLimiter(limit=10, window_s=300)
    app["rules"] = Rules(config.data_dir)
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[],
                               ping_interval=5, ping_timeout=5, max_http_buffer_size=64 * 1024)
    fanout.install(sio)
    sio.attach(app)
    app["sio"] = sio
    app["apis"] = [core_api]  # each part appends its own in setup()
    app["openapi_extra"] = {
        "/api/openapi.json": {"get": {"summary": "This document", "tags": ["system"],
                                      "security": [], "responses": {"200": {"description": "OK"}}}},
    }
    for a in app["apis"]:
        a.add_to(app)
    app.router.add_get("/api/openapi.json", openapi_handler)
    page_routes(app, STATIC_DIR, DISPLAY_DIR)
    app.on_startup.append(_start_db)
    for setup in _parts():
        setup(app)
    app.on_cleanup.append(_stop_db)
    return app


def _parts() -> list[Callable[[web.Application], None]]:
    """Parts of the server that attach themselves: queue, broadcast, transcripts, follow-up."""
    from server import broadcasting, realtime, transcripts
    from server.followup import web as followup_web

    return [realtime.setup, broadcasting.setup, transcripts.setup, followup_web.setup]


async def _start_db(app: web.Application) -> None:
    config: Config = app["config"]
    url = database_url(config.db_url, config.data_dir)
    engine = make_engine(url)
    await migrate(engine)
    app["engine"] = engine
    app["sessionmaker"] = session_factory(engine)
    async with app["sessionmaker"]() as db, db.begin():
        _, password = await bootstrap(db)
    if password and config.on_admin_password:
        config.on_admin_password(password)


async def _stop_db(app: web.Application) -> None:
    engine = app.get("engine")
    if engine is not None:
        await engine.dispose()
