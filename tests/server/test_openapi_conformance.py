"""The OpenAPI document against the real server, checked by Schemathesis.

Schemathesis reads /api/openapi.json and sends what it describes, valid and invalid, to
the server started in this process: once without credentials, once logged in as admin
(session cookie + X-CSRF-Token). Every answer must be no server error, have a documented
status, content type and shape; a request the document calls invalid is refused, and one
it calls valid is accepted (404 and 409 count as accepted: the request was understood),
unless a rule the document cannot state refuses it with one of RULE_CODES.

The budget is fixed (examples, coverage and fuzzing phases, a few cases per operation, a
fixed seed, no shrinking), so the file runs in bounded time and the same cases every run.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
import wave
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import ADMIN_PASSWORD

# Only SQLite: the document and the handlers do not depend on the database kind, and
# one run of this file is already a few thousand requests.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# Cases per operation and generation mode (valid, invalid) in the fuzzing phase. Logged
# in, the coverage phase adds its systematic cases (each boundary, each missing or wrong
# field); without credentials every protected operation answers 401 before reading its
# input, so a few fuzzed cases say all there is to say.
MAX_EXAMPLES = {"admin": 10, "anonymous": 4}
SEED = 20261205
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection",
          "valid_data_accepted_unless_a_rule_refuses")

# Rules a JSON schema cannot say, because they compare two values or look at what is
# stored: a well-formed request they refuse gets 422 with one of these codes (the error's
# code, or a wrong field's code), never anything else.
RULE_CODES = {
    "before_start",  # a conference's end is after its start
    "field_inactive",  # a petition's field has been retired
    "petition_required",  # a reply is drafted for a petition
    "unit_required", "due_date_required", "due_before_petition",  # answers: per outcome
    "turn_not_in_conference",  # an answer's turn is of the petition's conference
    "invalid_content", "frozen_field",  # a draft's content, merged, must still be a document
    "calendar.wrong_year", "calendar.duplicate_date",  # dates of the path's year, once each
    "calendar.bad_range",  # a fact's range starts before it ends
    "issue_date_in_future", "issue_date_before_last",  # a number's date: the register, today
    "bad_play_at", "not_audio",  # a bulletin: within a year from now, decodable audio
    # the speaking queue refuses a command that does not fit its present state
    "bad_version", "turn_not_found", "invalid_status", "queue_empty", "not_current",
    "no_change", "already_linked", "nothing_to_undo", "duplicate_turn_id",
    "max_turns_reached", "list_closed",
    "text_too_long",  # a command id that also names the new turn: at most 100 characters
}
RULE_CODE_PREFIXES = ("document.",)  # an incomplete draft cannot be issued nor printed


def _refused_by_a_rule(response: Any) -> bool:
    if response.status_code != 422:
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    codes = {error.get("code")} | {f.get("code") for f in error.get("fields") or []}
    return any(c in RULE_CODES or str(c).startswith(RULE_CODE_PREFIXES) for c in codes)


@schemathesis.check
def valid_data_accepted_unless_a_rule_refuses(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's positive_data_acceptance, except for a 422 from one of RULE_CODES."""
    if _refused_by_a_rule(response):
        return None
    return positive_data_acceptance(ctx, response, case)


# Operations left out, and why:
EXCLUDED = [
    # The live streams never end: a request would wait for the whole time budget.
    {"include-path-regex": "^/live\\.", "enabled": False},
    # Logging out ends the very session the run is authenticated with.
    {"include-operation-id": "logout", "enabled": False},
    # Sends real e-mail through whatever SMTP host a generated PUT /api/settings/smtp set,
    # waiting for network timeouts on made-up host names.
    {"include-operation-id": "remind_now", "enabled": False},
]

NOT_RUN = {"GET /live.opus", "GET /live.mp3", "DELETE /api/session", "POST /api/deadlines/remind"}

CONF = {"title": "Hội nghị đối thoại với Nhân dân năm 2026", "starts_at": "2026-12-05T08:00",
        "venue": "Hội trường UBND xã", "chair_name": "Phạm Văn Dũng",
        "front_name": "Hoàng Thị Em"}


def tone_wav(seconds: float = 0.6, hz: int = 440, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(
            int(12000 * math.sin(2 * math.pi * hz * i / rate)).to_bytes(2, "little", signed=True)
            for i in range(int(seconds * rate))))
    return buf.getvalue()


async def _ok(http: aiohttp.ClientSession, method: str, url: str, csrf: str, **kw: Any) -> Any:
    async with http.request(method, url, headers={"X-CSRF-Token": csrf}, **kw) as resp:
        body = await resp.json()
        assert resp.status in (200, 201), (method, url, resp.status, body)
        return body


async def seed(base: str) -> dict[str, Any]:
    """Log in as admin and create a record of each kind, so path parameters can name real
    rows: a conference with a participant, a petition with an answer, a speaking turn, a
    draft and an issued document, a device and a bulletin. Returns the ids and the session."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{base}/api/session",
                             json={"username": "admin", "password": ADMIN_PASSWORD}) as resp:
            assert resp.status == 200
            csrf = (await resp.json())["csrf_token"]
            cookie = resp.cookies["doithoai_session"].value

        async def ok(method: str, path: str, **kw: Any) -> Any:
            return await _ok(http, method, base + path, csrf, **kw)

        conf = await ok("POST", "/api/conferences", json=CONF)
        cid = conf["id"]
        part = await ok("POST", f"/api/conferences/{cid}/participants",
                        json={"full_name": "Nguyễn Văn An", "hamlet": "Thôn 1"})
        field_id = (await ok("GET", "/api/fields"))[0]["id"]
        pet = await ok("POST", "/api/petitions", json={
            "conference_id": cid, "raised_by": "Trần Thị Bình", "hamlet": "Thôn 2",
            "field_id": field_id, "content": "Đề nghị sửa đường liên thôn."})
        await ok("POST", f"/api/petitions/{pet['id']}/answers",
                 json={"answered_by": "Chủ tịch UBND xã", "outcome": "answered",
                       "text": "Xã sẽ sửa trong quý I."})
        await ok("POST", f"/api/conferences/{cid}/queue/commands", json={
            "type": "register_turn", "command_id": "seed-turn-1", "base_version": 0,
            "person_key": "desk:1", "display_name": "Lê Văn Cường", "hamlet": "Thôn 3"})
        draft = await ok("POST", f"/api/conferences/{cid}/documents", json={"kind": "invitation"})
        issued = await ok("POST", f"/api/conferences/{cid}/documents",
                          json={"kind": "announcement"})
        await ok("POST", f"/api/documents/{issued['id']}/issue", json={})
        await ok("POST", f"/api/documents/{issued['id']}/dispatches",
                 json={"recipient": "Trưởng thôn 1"})
        device = await ok("POST", "/api/devices", json={"name": "Màn hình hội trường",
                                                          "kind": "display"})
        form = aiohttp.FormData()
        form.add_field("title", "Bản tin trả lời kiến nghị")
        form.add_field("play_at", (datetime.now(UTC) + timedelta(days=300)).isoformat())
        form.add_field("file", tone_wav(), filename="ban-tin.wav",
                       content_type="application/octet-stream")
        bulletin = await _ok(http, "POST", f"{base}/api/conferences/{cid}/bulletins", csrf,
                             data=form)
        users = {u["username"]: u["id"] for u in await ok("GET", "/api/users")}
    return {"cookie": cookie, "csrf": csrf, "conference": cid, "participant": part["id"],
            "petition": pet["id"], "turn": "seed-turn-1", "documents": [draft["id"], issued["id"]],
            "device": device["id"], "bulletin": bulletin["id"],
            "other_user": users["viewer1"], "field": field_id}


def _bindings(ids: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Dictionaries of real ids, and the operations whose path parameters draw from them
    most of the time (the rest of the time Schemathesis makes its own values)."""
    dictionaries = {
        "conference": {"values": [ids["conference"]]},
        "participant": {"values": [ids["participant"]]},
        "petition": {"values": [ids["petition"]]},
        "turn": {"values": [ids["turn"]]},
        "document": {"values": ids["documents"]},
        "device": {"values": [ids["device"]]},
        "user": {"values": [ids["other_user"]]},
        "field": {"values": [ids["field"]]},
        "year": {"values": [2026]},
        "bulletin": {"values": [ids["bulletin"]]},
    }

    def bind(regex: str, **params: str) -> dict[str, Any]:
        return {"include-path-regex": regex, "parameters": {
            f"path.{name}": {"dictionary": d, "probability": 0.8} for name, d in params.items()}}

    operations = [
        bind("^/api/conferences/\\{id\\}/participants/", id="conference", pid="participant"),
        bind("^/api/conferences/\\{id\\}/bulletins/", id="conference", bid="bulletin"),
        bind("^/api/conferences/\\{id\\}(/(?!participants/|bulletins/).*)?$", id="conference"),
        bind("^/api/petitions/\\{id\\}", id="petition"),
        bind("^/api/documents/\\{id\\}", id="document"),
        bind("^/api/devices/\\{id\\}", id="device"),
        # Never the admin running the test: a role, password or lock change would end it.
        {"include-operation-id": "update_user", "parameters": {"path.id": ids["other_user"]}},
        bind("^/api/fields/\\{id\\}", id="field"),
        bind("^/api/turns/", turn_id="turn"),
        bind("^/api/calendar/", year="year"),
    ]
    return dictionaries, operations


def run_schemathesis(doc: dict[str, Any], base: str, ids: dict[str, Any],
                     logged_in: bool) -> tuple[list[str], set[str], int]:
    """Run the engine once; returns (failures, operations tested, test cases)."""
    dictionaries, bound = _bindings(ids)
    who = "admin" if logged_in else "anonymous"
    settings: dict[str, Any] = {
        "seed": SEED,
        "base-url": base,
        "workers": 1,
        "suppress-health-check": ["all"],
        "request-timeout": 60,
        "continue-on-failure": True,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES[who], "deterministic": True,
                       "no-shrink": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": logged_in}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "dictionaries": dictionaries,
        "operations": [*EXCLUDED, *bound],
    }
    if logged_in:
        settings["auth"] = {"openapi": {"session": {"api_key": ids["cookie"]}}}
        settings["headers"] = {"X-CSRF-Token": ids["csrf"]}
    schema = schemathesis.openapi.from_dict(doc, config=SchemathesisConfig.from_dict(settings))
    failures: list[str] = []
    tested: set[str] = set()
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    interaction = event.recorder.interactions.get(case_id)
                    status = interaction.response.status_code \
                        if interaction and interaction.response else None
                    failure = check.failure_info.failure
                    body = interaction.response.content[:300].decode("utf-8", "replace") \
                        if interaction and interaction.response and interaction.response.content \
                        else ""
                    failures.append(f"{event.recorder.label} [{check.name}] -> {status}: "
                                    f"{failure.title}: {failure.message}\n{body}\n"
                                    f"{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
    return sorted(set(failures)), tested, cases


async def _conformance(app_server: tuple[str, Any], logged_in: bool) -> None:
    base, _ = app_server
    ids = await seed(base)
    async with aiohttp.ClientSession() as http, http.get(f"{base}/api/openapi.json") as resp:
        doc = await resp.json()
    started = time.monotonic()
    failures, tested, cases = await asyncio.to_thread(run_schemathesis, doc, base, ids, logged_in)
    print(f"schemathesis {schemathesis.__version__}: {len(tested)} operations, {cases} cases, "
          f"{time.monotonic() - started:.0f} s")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
    documented = {f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops}
    assert documented - tested == NOT_RUN, documented - tested


@pytest.mark.timeout(900)
async def test_anonymous_requests_match_the_document(app_server):
    await _conformance(app_server, logged_in=False)


@pytest.mark.timeout(900)
async def test_admin_requests_match_the_document(app_server):
    await _conformance(app_server, logged_in=True)


async def test_every_operation_documents_its_answers(app_server):
    """Each operation names its success body (a JSON schema, or a file's media type) and
    the error body of its refusals."""
    base, _ = app_server
    async with aiohttp.ClientSession() as http, http.get(f"{base}/api/openapi.json") as resp:
        doc = await resp.json()
    missing = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ok = [r for code, r in op["responses"].items() if code.startswith("2")]
            if not ok or not ok[0].get("content") or not all(
                    media.get("schema") not in (None, {}, {"type": "object"})
                    for media in ok[0]["content"].values()):
                missing.append(f"{method.upper()} {path}: success body")
            refused = op["responses"].get("4XX", {}).get("content", {})
            never_refused = path == "/api/openapi.json" or path.startswith("/live.")
            if not never_refused and (not refused or not all(
                    media.get("schema") for media in refused.values())):
                missing.append(f"{method.upper()} {path}: 4XX error body")
    assert not missing, missing
