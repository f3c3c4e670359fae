"""Declared JSON endpoints: one place gives the route, its input model, its permission
and its OpenAPI description, so the document cannot drift from the routes.

Each call runs in one unit of work of the executor (one session, one transaction): an
error anywhere rolls it back, so a refused request writes nothing. What must follow the
commit (broadcasting the new state) is an event, ``call.emit(...)``, published after it.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.errors import from_validation
from server.api.formats import JSON_VALUE, JSON_VALUE_MARK, JSON_VALUE_SCHEMA
from server.auth import SESSION_COOKIE, Actor, csrf_ok
from server.domain import limits
from server.domain.calendar import MAX_YEAR, MIN_YEAR
from server.domain.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unsupported,
    forbidden,
    unauthenticated,
)
from server.domain.inputs import DB_INT, refuse_big_ints
from server.domain.roles import can
from server.executor import Action, Executor, Unit
from server.keys import EXECUTOR, IDENTITIES

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
    """What a handler gets: the request, the caller, its unit of work (one session, one
    transaction, the events to publish after the commit) and the parsed input."""

    request: web.Request
    unit: Unit | None
    actor: Actor | None
    body: Any = None
    query: Any = None

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def db(self) -> AsyncSession:
        assert self.unit is not None, "this endpoint runs an action: it has no session"
        return self.unit.db

    def path_int(self, name: str) -> int:
        return parse_id(self.request.match_info[name])

    def emit(self, event: Any) -> None:
        """Publish ``event`` to its declared listeners once the transaction has committed."""
        assert self.unit is not None
        self.unit.emit(event)

    async def run(self, action: Action, raw: Any) -> Any:
        """Run an action through the executor (endpoints declared with transaction=False)."""
        assert self.unit is None, "an action opens its own unit of work"
        return await self.app[EXECUTOR].run(action, self.actor, raw)

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
    transaction: bool  # False: the handler runs an action, which opens its own unit
    cached: bool  # a read the hall polls: answered from memory until something is written


class Api:
    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, *, summary: str, tag: str,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: Any = None, permission: str | None = "view", devices: bool = False,
              status: int = 200, raw: bool = False, transaction: bool = True,
              cached: bool = False
              ) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, fn, summary, tag, body, query, response,
                                           permission, devices, status, raw, transaction,
                                           cached))
            return fn
        return deco

    def add_to(self, app: web.Application) -> None:
        for ep in self.endpoints:
            app.router.add_route(ep.method, ep.path, _wrap(ep))


async def authenticate(request: web.Request) -> Actor | None:
    """The caller of an HTTP request: a device token, a login cookie, or nobody. Known
    callers come from memory; a lookup uses a short session of its own, closed before
    the request's unit of work opens, so a request never holds two connections."""
    identities = request.app[IDENTITIES]
    executor = request.app[EXECUTOR]
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[7:].strip()
        found, actor = identities.known_device(token)
        if not found:
            async with executor.reading() as db:
                actor = await identities.from_device_token(db, token)
        if actor is None:
            raise Unauthenticated("invalid_token", "Mã thiết bị không hợp lệ hoặc đã bị thu hồi.")
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found, actor = identities.known_session(cookie)
        if not found:
            async with executor.reading() as db:
                actor = await identities.from_session(db, cookie)
        return actor
    return None


def _wrap(ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            async with request.app[EXECUTOR].read_turns:
                return await handle(request)
        return await handle(request)

    async def handle(request: web.Request) -> web.StreamResponse:
        actor = await authenticate(request)
        _check_access(ep, request, actor)
        call = Call(request=request, unit=None, actor=actor)
        if ep.query is not None:
            call.query = _validate(ep.query, dict(request.query))
        if ep.body is not None:
            call.body = _validate(ep.body, await read_json(request))
        executor = request.app[EXECUTOR]
        key = _cache_key(ep, request, actor)
        if key is not None:
            copy = executor.cached_read(key, CACHED_READ_S)
            if copy is not None:
                return _json_bytes(copy, ep.status)
            # one computation per key at a time: the crowd that missed together waits
            # for it instead of each asking the database
            flight = executor.reads_in_flight.get(key)
            if flight is not None and flight[0] == executor.generation:
                try:
                    return _json_bytes(await asyncio.shield(flight[1]), ep.status)
                except asyncio.CancelledError:
                    if not flight[1].cancelled():
                        raise  # this request itself was cancelled
                    # the request making it went away: make it here instead
            future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            executor.reads_in_flight[key] = (executor.generation, future)
            try:
                body = await _compute(ep, call, executor, key)
                future.set_result(body)
                return _json_bytes(body, ep.status)
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as exc:
                future.set_exception(exc)
                future.exception()  # marked retrieved: the waiters raise it themselves
                raise
            finally:
                if executor.reads_in_flight.get(key, (0, None))[1] is future:
                    del executor.reads_in_flight[key]
        if ep.transaction:
            async with executor.unit(read_only=request.method == "GET") as unit:
                call.unit = unit
                result = await ep.handler(call)
        else:
            result = await ep.handler(call)
        if ep.raw:
            return result
        return json_response(result, status=ep.status)

    handler.__name__ = ep.handler.__name__
    return handler


async def _compute(ep: Endpoint, call: Call, executor: Executor, key: tuple) -> bytes:
    """A cacheable read's answer, kept when nothing was written while it was made."""
    generation = executor.generation
    async with executor.unit(read_only=True) as unit:
        call.unit = unit
        result = await ep.handler(call)
    body = json.dumps(to_jsonable(result), ensure_ascii=False).encode()
    executor.keep_read(key, generation, body)
    return body


# Answers of the reads a hall polls (the plan, a conference, its invitations, petitions):
# by commune, caller kind and role, and the whole address, stamped with the executor's
# write generation; any write, anywhere, makes them stale. The age limit covers what
# changes without a write (today's date in a warning) and other processes' writes.
CACHED_READ_S = 2.0


def _cache_key(ep: Endpoint, request: web.Request, actor: Actor | None) -> tuple | None:
    if not ep.cached or request.method != "GET" or actor is None:
        return None
    return (actor.commune_id, actor.kind, actor.role, request.path_qs)


def _json_bytes(body: bytes, status: int) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json",
                        charset="utf-8")




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
    return parse_json(await request.read())


MAX_JSON_DEPTH = 32
_INT64 = (-(2**63), 2**63 - 1)


def _malformed(problem: str) -> BadRequest:
    return BadRequest("malformed_json", f"JSON không đọc được: {problem}")


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not _INT64[0] <= int(text) <= _INT64[1]:
        shown = text if len(text) <= 24 else text[:24] + "…"
        raise _malformed(f"số nguyên {shown} vượt quá 64 bit.")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _malformed(f"số quá lớn ({text[:24]}).")
    return value


def _json_constant(name: str) -> Any:
    raise _malformed(f"giá trị {name} (NaN/Infinity) không được phép.")


def parse_json(raw: bytes | str) -> Any:
    """Every JSON document from a client is read here: UTF-8, at most 32 levels deep,
    integers within 64 bits, finite numbers, no NUL character in any string or key."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise _malformed("nội dung không phải UTF-8.") from None
    try:
        data = json.loads(text, parse_int=_json_int, parse_float=_json_float,
                          parse_constant=_json_constant)
    except RecursionError:
        raise _malformed(f"lồng nhau quá sâu (tối đa {MAX_JSON_DEPTH} cấp).") from None
    except json.JSONDecodeError as exc:
        raise _malformed(f"sai cú pháp ở dòng {exc.lineno}, cột {exc.colno}.") from None
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise _malformed("chuỗi chứa ký tự NUL (\\u0000).")
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _malformed(f"lồng nhau quá sâu (tối đa {MAX_JSON_DEPTH} cấp).")
            if isinstance(value, dict):
                stack.extend((k, depth) for k in value)
                stack.extend((v, depth + 1) for v in value.values())
            else:
                stack.extend((v, depth + 1) for v in value)
    return data


def refuse_nul(values: Any, code: str = "bad_query", what: str = "Tham số") -> None:
    """Refuse a query string or form whose names or values carry a NUL character."""
    for key, value in values.items():
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            name = key.replace("\x00", "")
            raise BadRequest(code, f"{what} {name!r} chứa ký tự NUL (\\u0000), không được phép.")


_ID = re.compile(r"[0-9]{1,10}")


def parse_id(raw: str) -> int:
    """A record number from a path: ASCII digits only (not "¹" or "١"), at most what the
    database can hold; anything else is a 404 like any number that names no record."""
    if not _ID.fullmatch(raw) or int(raw) > DB_INT[1]:
        raise NotFound("not_found", f"Mã số không hợp lệ: {raw[:40]!r}.")
    return int(raw)


def _validate(model: type[BaseModel], data: Any) -> Any:
    if isinstance(data, dict):
        refuse_nul(data)
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc) from None
    refuse_big_ints(result)
    return result


_PARAM = re.compile(r"\{(\w+)\}")

# What each path parameter is: record numbers (INTEGER columns), a year, a turn's id.
_ID_PARAM = {"type": "integer", "minimum": 1, "maximum": DB_INT[1]}
_PATH_PARAMS: dict[str, dict[str, Any]] = {
    "year": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
    "turn_id": {"type": "string", "minLength": 1, "maxLength": limits.TURN_ID},
}
_NO_NUL = r"^[^\x00]*$"
_BINARY = {"type": "string", "format": "binary"}
ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "description": "Stable, for programs"},
            "message": {"type": "string", "description": "Vietnamese, for people"},
            "fields": {"type": "array", "description": "Each wrong field of the input",
                       "items": {"type": "object", "required": ["field", "message"],
                                 "properties": {"field": {"type": "string"},
                                                "label": {"type": "string",
                                                          "description": "The field's "
                                                          "Vietnamese name"},
                                                "code": {"type": "string"},
                                                "message": {"type": "string"}}}}}}}}


def request_schema(schema: Any) -> Any:
    """A request schema as the server reads it: no text holds a NUL character and every
    whole number fits the database's INTEGER (see read_json and refuse_big_ints)."""
    if isinstance(schema, list):
        return [request_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema == JSON_VALUE_MARK:
        return {"$ref": f"#/components/schemas/{JSON_VALUE}"}
    out = {k: request_schema(v) if k not in ("const", "enum", "default", "examples") else v
           for k, v in schema.items()}
    if out.get("type") == "string" and not ({"pattern", "enum", "const", "format"} & set(out)):
        out["pattern"] = _NO_NUL
    if out.get("type") == "integer":
        out.setdefault("minimum", DB_INT[0])
        out.setdefault("maximum", DB_INT[1])
    return out


def _query_param(name: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    """A query parameter: text on the wire, so an optional one is left out, never null."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    schema = {k: v for k, v in schema.items() if k not in ("title", "default")
              or (k == "default" and v is not None)}
    return {"name": name, "in": "query", "required": required, "schema": request_schema(schema)}


def _file_content(content: dict[str, Any]) -> dict[str, Any]:
    """Media types of a file answer, each with its schema (text for text/*, else bytes)."""
    return {media: spec if "schema" in spec else
            {**spec, "schema": {"type": "string"} if media.startswith("text/") else _BINARY}
            for media, spec in content.items()}


def openapi(api: Api, extra_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared endpoint."""
    schemas: dict[str, Any] = {}

    def ref(model: Any, request: bool = False) -> dict[str, Any]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            js = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in js.pop("$defs", {}).items():
                schemas[name] = request_schema(sub) if request else sub
            schemas[model.__name__] = request_schema(js) if request else js
            return {"$ref": f"#/components/schemas/{model.__name__}"}
        if isinstance(model, list) and model:
            return {"type": "array", "items": ref(model[0], request)}
        if isinstance(model, dict):
            return model
        return {"type": "object"}

    error = {"description": "Refused: the error's code says why (401 not logged in, 403 not "
                            "allowed, 404 no such record, 409 conflicts with the present state, "
                            "415 not JSON, 422 invalid input, 429 too many attempts)",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    schemas["Error"] = ERROR_SCHEMA
    schemas[JSON_VALUE] = JSON_VALUE_SCHEMA
    paths: dict[str, Any] = {}
    for ep in api.endpoints:
        op: dict[str, Any] = {"summary": ep.summary, "tags": [ep.tag],
                              "operationId": ep.handler.__name__}
        params = [{"name": p, "in": "path", "required": True,
                   "schema": _PATH_PARAMS.get(p, _ID_PARAM)} for p in _PARAM.findall(ep.path)]
        if ep.query is not None:
            props = ep.query.model_json_schema()["properties"]
            for name, f in ep.query.model_fields.items():
                params.append(_query_param(f.alias or name, props[f.alias or name],
                                           f.is_required()))
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(ep.body, request=True)}}}
        if ep.raw and (ep.response is None or isinstance(ep.response, dict)):
            ok = {"description": "OK",
                  "content": _file_content(ep.response or {"application/octet-stream": {}})}
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
                 "description": "JSON API of the commune citizen-dialogue server. Texts are "
                                "UTF-8 without NUL characters; whole numbers fit 32 bits."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                        "description": "Login session; unsafe methods also need X-CSRF-Token."},
            "device": {"type": "http", "scheme": "bearer",
                       "description": "Read-only device token of a public screen or relay."}}},
        "security": [{"session": []}],
    }
