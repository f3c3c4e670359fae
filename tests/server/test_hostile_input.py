"""Bad input and hostile clients through the real server, on SQLite and PostgreSQL: each is
refused with a 4xx, a stable code and a Vietnamese message, never a 500, and writes nothing."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import socketio

from server.keys import CONFIG
from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.server.test_queue_realtime import session_cookie
from tests.server.test_record_api import CONF

VIETNAMESE = re.compile(r"[À-ỹĐđ]")


def refused(status: int, body: Any, want_status: int, want_code: str) -> str:
    """Assert a JSON refusal: the status, the code and a Vietnamese message; returns it."""
    assert status == want_status, (status, body)
    assert isinstance(body, dict), body
    err = body["error"]
    assert err["code"] == want_code, body
    assert err["message"].strip() and VIETNAMESE.search(err["message"]), body
    return err["message"]


def page_refused(status: int, text: str, want_status: int) -> None:
    """A refused browser form: the status and a Vietnamese page, not the server-error page."""
    assert status == want_status, (status, text[:500])
    assert VIETNAMESE.search(text) and "Lỗi máy chủ" not in text, text[:500]


async def field_id(client: ApiClient) -> int:
    return (await client.ok("GET", "/api/fields"))[0]["id"]


async def petitions(client: ApiClient) -> list[dict]:
    return await client.ok("GET", "/api/petitions")


def petition(fid: int, **extra: Any) -> dict[str, Any]:
    return {"raised_by": "Nguyễn Văn An", "hamlet": "Thôn 2", "field_id": fid,
            "content": "Đề nghị sửa đường liên thôn.", **extra}


async def raw_post(client: ApiClient, path: str, body: bytes, content_type: str,
                   method: str = "POST") -> tuple[int, Any]:
    return await client.call(method, path, raw=body, headers={"Content-Type": content_type})


# ---- 1. ids ------------------------------------------------------------------------------

BAD_IDS = ["%C2%B9", "%D9%A1", "%EF%BC%91", "%E2%91%A0", "1%0A", "%2B1", "-1", "1_0", "0x1",
           "%00", "9223372036854775808", "1" * 40]


async def test_ids_other_than_ascii_digits_are_not_found(client: ApiClient):
    before = await petitions(client)
    for raw in BAD_IDS:
        status, body = await client.call("GET", f"/api/petitions/{raw}")
        refused(status, body, 404, "not_found")
        status, body = await client.call("PATCH", f"/api/petitions/{raw}", {"content": "Sửa"})
        refused(status, body, 404, "not_found")
        status, body = await client.call("GET", f"/api/conferences/{raw}/bulletins")
        refused(status, body, 404, "not_found")
    assert await petitions(client) == before


async def test_ids_beyond_any_record_are_not_found(client: ApiClient):
    """Large but well-formed numbers: not found, on PostgreSQL's 32-bit keys as well."""
    for raw in ("2147483648", "9223372036854775807"):
        for path in (f"/api/petitions/{raw}", f"/api/conferences/{raw}",
                     f"/api/conferences/{raw}/bulletins", f"/api/conferences/{raw}/queue"):
            status, body = await client.call("GET", path)
            refused(status, body, 404, "not_found")


async def test_ids_in_queries_are_refused(client: ApiClient):
    for value in ("%C2%B9", "99999999999999999999999", "2147483648", "1e3"):
        status, body = await client.call("GET", f"/api/petitions?conference_id={value}")
        refused(status, body, 422, "invalid_input")


async def test_ids_in_json_bodies_beyond_the_database_are_refused(client: ApiClient):
    fid = await field_id(client)
    before = await petitions(client)
    for big in (2**31, 2**63 - 1):
        status, body = await client.call("POST", "/api/petitions", petition(big))
        refused(status, body, 422, "invalid_input")
        status, body = await client.call("POST", "/api/petitions", petition(fid, conference_id=big))
        refused(status, body, 422, "invalid_input")
    assert await petitions(client) == before


# ---- 2. JSON -----------------------------------------------------------------------------


def hostile_documents(fid: int) -> dict[str, bytes]:
    ok = petition(fid)

    def with_(text: str) -> bytes:
        return (json.dumps(ok)[:-1] + ", " + text + "}").encode()

    return {
        "very deep": b"[" * 200_000 + b"]" * 200_000,
        "deep object": (b'{"a":' * 5000) + b"1" + b"}" * 5000,
        "33 levels": with_('"extra": ' + "[" * 33 + "]" * 33),
        "NUL in a value": json.dumps(petition(fid, raised_by="Nguyễn\u0000Văn An")).encode(),
        "NUL in content": json.dumps(petition(fid, content="Đường\u0000 hỏng")).encode(),
        "NUL in a key": json.dumps({**ok, "hamlet\u0000": "x"}).encode(),
        "NUL deep inside": with_('"extra": [{"x": ["\\u0000"]}]'),
        "int beyond 64 bits": json.dumps(petition(2**64)).encode(),
        "negative beyond 64 bits": with_('"extra": -9223372036854775809'),
        "5000 digits": with_('"extra": ' + "9" * 5000),
        "NaN": with_('"extra": NaN'),
        "Infinity": with_('"extra": Infinity'),
        "-Infinity": with_('"extra": -Infinity'),
        "1e999": with_('"extra": 1e999'),
        "not UTF-8": json.dumps(ok).encode().replace(b"An", b"\xff\xfe"),
        "truncated": json.dumps(ok).encode()[:-5],
    }


async def test_hostile_json_is_refused_and_writes_nothing(client: ApiClient):
    fid = await field_id(client)
    status, _ = await client.call("POST", "/api/petitions", petition(fid))
    assert status == 201  # the well-formed document is accepted
    before = await petitions(client)
    for name, doc in hostile_documents(fid).items():
        status, body = await raw_post(client, "/api/petitions", doc, "application/json")
        message = refused(status, body, 400, "malformed_json")
        assert "JSON" in message, (name, message)
        # the same through PATCH
        pid = before[0]["id"]
        status, body = await raw_post(client, f"/api/petitions/{pid}", doc, "application/json",
                                      method="PATCH")
        refused(status, body, 400, "malformed_json")
    assert await petitions(client) == before


async def test_json_messages_name_the_problem(client: ApiClient):
    fid = await field_id(client)
    docs = hostile_documents(fid)
    expect = {"very deep": "sâu", "33 levels": "sâu", "NUL in a value": "NUL",
              "NUL in a key": "NUL", "int beyond 64 bits": "64 bit", "5000 digits": "64 bit",
              "NaN": "NaN", "1e999": "số quá lớn", "not UTF-8": "UTF-8", "truncated": "cú pháp"}
    for name, word in expect.items():
        status, body = await raw_post(client, "/api/petitions", docs[name], "application/json")
        assert word in refused(status, body, 400, "malformed_json"), name


async def test_32_levels_are_accepted_by_the_reader(client: ApiClient):
    """The limit is 32 levels: the document itself (1) + 31 more is read (and then judged
    by the endpoint's model: an unknown field is a 422, not a 400)."""
    fid = await field_id(client)
    doc = ('{"extra": ' + "[" * 31 + "]" * 31 + ', "raised_by": "A", "field_id": '
           + str(fid) + ', "content": "x"}')
    status, body = await raw_post(client, "/api/petitions", doc.encode(), "application/json")
    refused(status, body, 422, "invalid_input")


async def test_hostile_json_on_other_endpoints(client: ApiClient, app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    queue = await turns(client, cid), await version(client, cid)
    docs = {
        "queue command with NUL": (f"/api/conferences/{cid}/queue/commands", "POST",
                                   '{"type": "register_turn", "command_id": "c1", '
                                   '"base_version": 0, "display_name": "A\\u0000B", '
                                   '"hamlet": "Thôn 1", "topic": ""}'),
        "queue command too deep": (f"/api/conferences/{cid}/queue/commands", "POST",
                                   '{"type": "register_turn", "x": ' + "[" * 40 + "]" * 40 + "}"),
        "queue command huge int": (f"/api/conferences/{cid}/queue/commands", "POST",
                                   '{"type": "register_turn", "base_version": 1' + "0" * 30 + "}"),
        "calendar too deep": ("/api/calendar/2026", "PUT", "[" * 100_000 + "]" * 100_000),
        "calendar NUL": ("/api/calendar/2026", "PUT",
                         '{"days_off": [{"date": "2026-01-05", "name": "Ngh\\u0000ỉ"}]}'),
        "bulletin NUL title": (f"/api/conferences/{cid}/bulletins", "POST",
                               '{"recording_id": 1, "title": "Bản\\u0000tin"}'),
        "bulletin too deep": (f"/api/conferences/{cid}/bulletins", "POST",
                              '{"recording_id": 1, "title": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "bulletin NaN": (f"/api/conferences/{cid}/bulletins", "POST",
                         '{"recording_id": NaN, "title": "Bản tin"}'),
        "bulletin huge int": (f"/api/conferences/{cid}/bulletins", "POST",
                              '{"recording_id": ' + "9" * 5000 + ', "title": "Bản tin"}'),
    }
    for name, (path, method, doc) in docs.items():
        status, body = await raw_post(client, path, doc.encode(), "application/json", method=method)
        assert status == 400, (name, status, body)
        refused(status, body, 400, "malformed_json")
    assert (await turns(client, cid), await version(client, cid)) == queue
    assert await client.ok("GET", f"/api/conferences/{cid}/bulletins") == []
    calendar = app_server[1][CONFIG].data_dir / "calendar-overrides" / "2026.json"
    assert not calendar.exists()


async def test_nul_in_query_parameters_is_refused(client: ApiClient):
    for query in ("q=%C4%91%C6%B0%E1%BB%9Dng%00", "q%00=x", "conference_id=1%00"):
        status, body = await client.call("GET", f"/api/petitions?{query}")
        refused(status, body, 400, "bad_query")
    status, body = await client.call("GET", "/api/search?q=An%00")
    refused(status, body, 400, "bad_query")


# ---- registration form (phones) -----------------------------------------------------------


async def registration(client: ApiClient) -> tuple[int, str]:
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    await client.ok("POST", f"/api/conferences/{conf['id']}/announce")
    return conf["id"], conf["public_slug"]


async def turns(client: ApiClient, cid: int) -> list:
    return (await client.ok("GET", f"/api/conferences/{cid}/queue"))["state"]["turns"]


async def version(client: ApiClient, cid: int) -> int:
    return (await client.ok("GET", f"/api/conferences/{cid}/queue"))["version"]


async def test_nul_in_the_registration_form_is_refused(client: ApiClient, anon: ApiClient):
    cid, slug = await registration(client)
    url = f"{anon.base}/r/{slug}"
    for data in ({"display_name": "Trần\x00Thị Bình", "hamlet": "Thôn 1"},
                 {"display_name": "Trần Thị Bình", "hamlet": "Thôn 1", "topic": "Đất\x00đai"},
                 {"display_name": "Trần Thị Bình", "hamlet": "Thôn 1", "x\x00": "1"}):
        async with anon.http.post(url, data=urlencode(data).encode(), headers={
                "Content-Type": "application/x-www-form-urlencoded"}) as resp:
            page_refused(resp.status, await resp.text(), 400)
            assert "NUL" in await resp.text()
        # the same as multipart/form-data
        content_type, body = multipart([(k, v, None) for k, v in data.items()])
        async with anon.http.post(url, data=body, headers={"Content-Type": content_type}) as resp:
            page_refused(resp.status, await resp.text(), 400)
    assert await turns(client, cid) == []
    # the refusals did not use up the phone's registrations
    async with anon.http.post(url, data={"display_name": "Trần Thị Bình", "hamlet": "Thôn 1"}) as r:
        assert r.status == 200
    assert len(await turns(client, cid)) == 1


async def test_broken_multipart_on_the_registration_form(client: ApiClient, anon: ApiClient):
    cid, slug = await registration(client)
    for content_type, body in BROKEN_MULTIPART:
        async with anon.http.post(f"{anon.base}/r/{slug}", data=body,
                                  headers={"Content-Type": content_type}) as resp:
            page_refused(resp.status, await resp.text(), 400)
    assert await turns(client, cid) == []


def multipart(parts: list[tuple[str, str, str | None]]) -> tuple[str, bytes]:
    """A multipart/form-data body written by hand (clients refuse a NUL in a header)."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{B}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n".encode()
    return f"multipart/form-data; boundary={B}", out + f"--{B}--\r\n".encode()


# ---- 3. multipart --------------------------------------------------------------------------

B = "xYzBoUnDaRy"
GOOD_PART = (f"--{B}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBản tin\r\n").encode()
BROKEN_MULTIPART: list[tuple[str, bytes]] = [
    # no boundary at all
    ("multipart/form-data", GOOD_PART + f"--{B}--\r\n".encode()),
    # a boundary that the body never uses
    (f"multipart/form-data; boundary={B}", b"garbage\r\n\r\nmore garbage"),
    # an empty / too long boundary
    ("multipart/form-data; boundary=", GOOD_PART),
    ("multipart/form-data; boundary=" + "b" * 200, GOOD_PART),
    # a part without Content-Disposition
    (f"multipart/form-data; boundary={B}",
     f"--{B}\r\nContent-Type: text/plain\r\n\r\nBản tin\r\n--{B}--\r\n".encode()),
    # a Content-Disposition without a name
    (f"multipart/form-data; boundary={B}",
     f"--{B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{B}--\r\n".encode()),
    # a header line without a colon
    (f"multipart/form-data; boundary={B}",
     f"--{B}\r\nthis is not a header\r\n\r\nx\r\n--{B}--\r\n".encode()),
    # truncated: the body stops inside a part, no closing boundary
    (f"multipart/form-data; boundary={B}",
     GOOD_PART + f"--{B}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"a.wav\"\r\n\r\nRIFF".encode()),
    # truncated inside the headers
    (f"multipart/form-data; boundary={B}", f"--{B}\r\nContent-Disposition: form-da".encode()),
    # an empty body
    (f"multipart/form-data; boundary={B}", b""),
]


async def test_broken_multipart_upload_is_a_bad_form(client: ApiClient, app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    for i, (content_type, body) in enumerate(BROKEN_MULTIPART):
        status, resp = await raw_post(client, f"/api/conferences/{cid}/bulletins", body,
                                      content_type)
        assert status == 400, (i, status, resp)
        refused(status, resp, 400, "bad_form")
    assert await client.ok("GET", f"/api/conferences/{cid}/bulletins") == []
    folder = app_server[1][CONFIG].data_dir / "bulletins"
    assert not list(folder.rglob("*.part")) and not (folder / f"conference-{cid}").exists()


async def test_nul_in_upload_fields_and_file_name_is_refused(client: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    for title, filename in (("Bản\x00tin", "a.wav"), ("Bản tin", "a\x00.wav")):
        content_type, body = multipart([("title", title, None), ("file", "RIFF....", filename)])
        status, resp = await raw_post(client, f"/api/conferences/{cid}/bulletins", body,
                                      content_type)
        message = refused(status, resp, 400, "bad_form")
        assert "NUL" in message or "\x00" in filename  # the server's header parser refuses it
    assert await client.ok("GET", f"/api/conferences/{cid}/bulletins") == []


# ---- 4. socket.io origin ---------------------------------------------------------------------


async def sio_connect(base: str, headers: dict[str, str],
                      transports: list[str] | None = None) -> tuple[socketio.AsyncClient, Any]:
    """Connect; returns the client and the connect_error data (None when connected)."""
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []

    @sio.event
    async def connect_error(data: Any) -> None:
        errors.append(data)

    try:
        await sio.connect(base, headers=headers, transports=transports, wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        assert errors, "refused without a reason"
        # the client sees {message, data}: the text, and the code with it
        error = errors[0]
        assert error["message"] == error["data"]["message"], error
        return sio, error["data"]
    return sio, None


async def test_socketio_refuses_a_foreign_origin(client: ApiClient, app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cookie = session_cookie(client)
    port = client.base.rsplit(":", 1)[1]
    for transports in (None, ["websocket"]):  # polling first, or straight to a websocket
        for origin in ("http://127.0.0.1:1", "http://evil.example", "null",
                       f"https://127.0.0.1:{port}", f"http://localhost:{port}",
                       f"http://127.0.0.1:{port}.evil.example"):
            sio, error = await sio_connect(client.base, {"Origin": origin, "Cookie": cookie},
                                           transports)
            assert error is not None, origin
            assert error["code"] == "foreign_origin", error
            assert VIETNAMESE.search(error["message"]), error
            assert not sio.connected
    # nothing the refused clients could do: the queue is untouched
    assert (await client.ok("GET", f"/api/conferences/{conf['id']}/queue"))["version"] == 0

    # the page's own origin, a client without Origin (relays) and the configured public URL
    app_server[1][CONFIG].public_url = "https://hoitruong.local:8443/"
    for transports in (None, ["websocket"]):
        for headers in ({"Origin": client.base, "Cookie": cookie}, {"Cookie": cookie},
                        {"Origin": "https://hoitruong.local:8443", "Cookie": cookie}):
            sio, error = await sio_connect(client.base, headers, transports)
            try:
                assert error is None and sio.connected, (headers, error)
                joined = await sio.call("join", {"conference_id": conf["id"]}, timeout=5)
                assert joined["ok"], joined
            finally:
                await sio.disconnect()


async def test_socketio_without_login_still_needs_authentication(client: ApiClient):
    sio, error = await sio_connect(client.base, {"Origin": client.base})
    assert error is not None and error["code"] == "unauthenticated"


# ---- 5. login limits -----------------------------------------------------------------------


async def test_login_is_limited_per_address_across_usernames(anon: ApiClient):
    statuses = []
    for i in range(40):
        status, body = await anon.call("POST", "/api/session",
                                       {"username": f"khach{i}", "password": "sai-mat-khau"})
        statuses.append(status)
        if status == 429:
            refused(status, body, 429, "too_many_attempts")
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 20, statuses
    # the address is held back, even with the right password
    status, body = await anon.call("POST", "/api/session",
                                   {"username": "admin", "password": ADMIN_PASSWORD})
    refused(status, body, 429, "too_many_attempts")


async def test_login_is_still_limited_per_username(anon: ApiClient):
    for _ in range(10):
        status, _ = await anon.call("POST", "/api/session", {"username": "admin", "password": "x"})
        assert status == 401
    status, body = await anon.call("POST", "/api/session",
                                   {"username": "admin", "password": ADMIN_PASSWORD})
    refused(status, body, 429, "too_many_attempts")
    # another account from the same address is not held back by admin's failures
    status, body = await anon.call("POST", "/api/session",
                                   {"username": "viewer1", "password": ADMIN_PASSWORD})
    assert status == 200, body


# ---- 6. 405 ----------------------------------------------------------------------------------


async def test_method_not_allowed_carries_allow(client: ApiClient):
    before = await petitions(client)
    for method, path, allowed in (("PUT", "/healthz", {"GET"}),
                                  ("DELETE", "/api/petitions", {"GET", "POST"}),
                                  ("PUT", "/api/petitions/1", {"GET", "PATCH"})):
        async with client.http.request(method, client.base + path, json={},
                                       headers={"X-CSRF-Token": client.csrf}) as resp:
            body = await resp.json()
            allow = {m.strip() for m in resp.headers.get("Allow", "").split(",") if m.strip()}
        refused(resp.status, body, 405, "method_not_allowed")
        assert allowed <= allow, (path, allow)
    assert await petitions(client) == before
