"""Declared JSON endpoints: one place gives the route, its input model, its permission
and its OpenAPI description, so the document cannot drift from the routes.

Each call runs in one database transaction: an error anywhere rolls it back, so a
refused request writes nothing. Work that must follow the commit (broadcasting the
new state) is queued with ``call.after_commit``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.errors import from_validation
from server.auth import SESSION_COOKIE, Actor, actor_from_device_token, actor_from_session, csrf_ok
from server.domain.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unsupported,
    forbidden,
    unauthenticated,
)
from server.domain.roles import can

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(to_jsonable(data), ensure_ascii=False), status=status,
                        content_type="application/json", charset="utf-8")


@dataclass
class Call:
    """What a handler gets: the request, the caller, its transaction and parsed input."""

    request: web.Request
    db: AsyncSession
    actor: Actor | None
    body: Any = None
    query: Any = None
    _after: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def app(self) -> web.Application:
        return self.request.app

    def path_int(self, name: str) -> int:
        raw = self.request.match_info[name]
        if not raw.isdigit() or len(raw) > 12:
            raise NotFound("not_found", f"Mã số không hợp lệ: {raw!r}.")
        return int(raw)

    def after_commit(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._after.append(fn)

    @property
    def user(self) -> Actor:
        assert self.actor is not None
        return self.actor


Handler = Callable[[Call], Awaitable[Any]]


@dataclass
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    permission: str | None  # None: public
    devices: bool  # device tokens accepted (read-only endpoints)
    status: int
    raw: bool  # handler returns an aiohttp response itself


class Api:
    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, *, summary: str, tag: str,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: Any = None, permission: str | None = "view", devices: bool = False,
              status: int = 200, raw: bool = False) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, fn, summary, tag, body, query, response,
                                           permission, devices, status, raw))
            return fn
        return deco

    def add_to(self, app: web.Application) -> None:
        for ep in self.endpoints:
            app.router.add_route(ep.method, ep.path, _wrap(ep))


async def authenticate(request: web.Request, db: AsyncSession) -> Actor | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        actor = await actor_from_device_token(db, auth[7:].strip())
        if actor is None:
            raise Unauthenticated("invalid_token", "Mã thiết bị không hợp lệ hoặc đã bị thu hồi.")
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await actor_from_session(db, cookie)
    return None


def _wrap(ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        sessionmaker = request.app["sessionmaker"]
        async with sessionmaker() as db:
            call = Call(request=request, db=db, actor=None)
            async with db.begin():
                call.actor = await authenticate(request, db)
                _check_access(ep, request, call.actor)
                if ep.query is not None:
                    call.query = _validate(ep.query, dict(request.query))
                if ep.body is not None:
                    call.body = _validate(ep.body, await read_json(request))
                result = await ep.handler(call)
            for fn in call._after:
                await fn()
        if ep.raw:
            return result
        return json_response(result, status=ep.status)

    handler.__name__ = ep.handler.__name__
    return handler


def _check_access(ep: Endpoint, request: web.Request, actor: Actor | None) -> None:
    if ep.permission is None:
        return
    if actor is None:
        raise unauthenticated()
    if actor.kind == "device":
        if not ep.devices:
            raise forbidden("Thiết bị chỉ được đọc dữ liệu công khai.")
        return
    if not can(actor.role, ep.permission):
        raise forbidden()
    if request.method in UNSAFE and not csrf_ok(actor, request.headers.get("X-CSRF-Token")):
        raise Forbidden("csrf_failed",
                       "Phiên làm việc đã hết hạn hoặc yêu cầu không hợp lệ; hãy tải lại trang.")


async def read_json(request: web.Request) -> Any:
    """The JSON body, or an Unsupported/BadRequest error (for endpoints whose body has no fixed model)."""
    if request.content_type != "application/json":
        raise Unsupported("unsupported_media_type", "Nội dung phải là JSON (application/json).")
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("malformed_json", f"JSON không đọc được: {exc}") from None


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc) from None


_PARAM = re.compile(r"\{(\w+)\}")


def openapi(api: Api, extra_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared endpoint."""
    schemas: dict[str, Any] = {}

    def ref(model: Any) -> dict[str, Any]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            js = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in js.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[model.__name__] = js
            return {"$ref": f"#/components/schemas/{model.__name__}"}
        if isinstance(model, list) and model:
            return {"type": "array", "items": ref(model[0])}
        if isinstance(model, dict):
            return model
        return {"type": "object"}

    error = {"description": "Lỗi", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}
    schemas["Error"] = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "object"}}}}}}
    paths: dict[str, Any] = {}
    for ep in api.endpoints:
        op: dict[str, Any] = {"summary": ep.summary, "tags": [ep.tag],
                              "operationId": ep.handler.__name__}
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in _PARAM.findall(ep.path)]
        if ep.query is not None:
            for name, f in ep.query.model_fields.items():
                params.append({"name": name, "in": "query", "required": f.is_required(),
                               "schema": ep.query.model_json_schema()["properties"][name]})
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": ref(ep.body)}}}
        if ep.raw and (ep.response is None or isinstance(ep.response, dict)):
            ok = {"description": "OK", "content": ep.response or {"application/octet-stream": {}}}
        else:
            ok = {"description": "OK",
                  "content": {"application/json": {"schema": ref(ep.response)}}}
        op["responses"] = {str(ep.status): ok, "4XX": error}
        if ep.permission is None:
            op["security"] = []
        elif ep.devices:
            op["security"] = [{"session": []}, {"device": []}]
        op["x-permission"] = ep.permission or "public"
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    for path, ops in (extra_paths or {}).items():
        paths.setdefault(path, {}).update(ops)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Đối Thoại API", "version": "0.1.0",
                 "description": "JSON API of the commune citizen-dialogue server."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                        "description": "Login session; unsafe methods also need X-CSRF-Token."},
            "device": {"type": "http", "scheme": "bearer",
                       "description": "Read-only device token of a public screen or relay."}}},
        "security": [{"session": []}],
    }
