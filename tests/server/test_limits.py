"""One place per fact: every text limit (server/domain/limits.py) holds from the HTTP API
to the database column, on SQLite and PostgreSQL; every role is accepted by the command
line; the migration widens the columns that were narrower than their rules; the catalogue
serves the limits and the labels."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from alembic import command
from sqlalchemy import inspect, text

from server.db.session import alembic_config, make_engine
from server.domain import limits
from server.domain.roles import ROLE_LABELS, Role
from tests.conftest import ROOT, ApiClient
from tests.server.test_record_api import CONF

SEED = unicodedata.normalize("NFC", "Nguyễn Thị Ánh Đức Ấp Bon Bu Prăng ")
PARAGRAPH = unicodedata.normalize("NFC", "Đề nghị làm đường bê tông thôn 3.\nXin cảm ơn. ")


def sized(n: int, seed: str = SEED) -> str:
    """A text of exactly ``n`` characters that the input cleaning leaves as it is."""
    s = (seed * (n // len(seed) + 1))[:n]
    return s[:-1] + "ạ" if s[-1].isspace() else s


def para(n: int) -> str:
    return sized(n, PARAGRAPH)


async def audit_size(c: ApiClient) -> int:
    return len(await c.ok("GET", "/api/audit"))


async def refused(c: ApiClient, method: str, path: str, body: dict[str, Any], field: str,
                  listing: str) -> None:
    """The request is a 422 naming ``field``, and neither ``listing`` nor the audit log moved."""
    before = (await c.ok("GET", listing), await audit_size(c))
    status, resp = await c.call(method, path, body)
    assert status == 422, (field, status, resp)
    fields = [f.get("field") for f in resp["error"].get("fields", [])]
    assert field in fields or field in resp["error"]["message"], (field, resp)
    assert (await c.ok("GET", listing), await audit_size(c)) == before, field


# ---- (a) the maximum of every text field, and one character more -------------------------


CONFERENCE_MAX = {
    "title": sized(limits.CONFERENCE_TITLE), "venue": sized(limits.VENUE),
    "online_url": sized(limits.URL, "https://hop.duc-an.gov.vn/phong/"),
    "chair_name": sized(limits.PERSON_NAME), "front_name": sized(limits.PERSON_NAME),
    "council_name": sized(limits.PERSON_NAME), "content": para(limits.LONG_TEXT),
    "purpose": para(limits.LONG_TEXT), "how_to_attend": para(limits.LONG_TEXT),
}


async def test_conference_and_participant_fields(client: ApiClient):
    conf = await client.ok("POST", "/api/conferences", {**CONF, **CONFERENCE_MAX}, status=201)
    got = await client.ok("GET", f"/api/conferences/{conf['id']}")
    assert {k: got[k] for k in CONFERENCE_MAX} == CONFERENCE_MAX
    for name, value in CONFERENCE_MAX.items():
        await refused(client, "POST", "/api/conferences", {**CONF, name: value + "x"}, name,
                      "/api/conferences")
        await refused(client, "PATCH", f"/api/conferences/{conf['id']}", {name: value + "x"},
                      name, f"/api/conferences/{conf['id']}")

    base = f"/api/conferences/{conf['id']}/participants"
    person = {"full_name": sized(limits.PERSON_NAME), "title": sized(limits.POSITION),
              "hamlet": sized(limits.HAMLET)}
    phone = " ".join("0905123456") + "7"  # 20 characters, 11 digits
    assert len(phone) == limits.PHONE
    p = await client.ok("POST", base, {**person, "phone": phone}, status=201)
    [listed] = await client.ok("GET", base)
    assert {k: listed[k] for k in person} == person and listed["phone"] == "09051234567"
    assert p["id"] == listed["id"]
    for name, value in {**person, "phone": phone}.items():
        body = {**person, name: value + "1" if name == "phone" else value + "x"}
        await refused(client, "POST", base, body, name, base)
        await refused(client, "PATCH", f"{base}/{p['id']}", {name: body[name]}, name, base)


async def test_petition_field_user_device_and_commune_fields(client: ApiClient):
    field = {"code": "a" * limits.FIELD_CODE, "name": sized(limits.FIELD_NAME)}
    f = await client.ok("POST", "/api/fields", field, status=201)
    assert {k: f[k] for k in field} == field
    assert any(x["id"] == f["id"] and x["name"] == field["name"]
               for x in await client.ok("GET", "/api/fields"))
    await refused(client, "POST", "/api/fields", {"code": "b" * (limits.FIELD_CODE + 1),
                                                  "name": "Nước"}, "code", "/api/fields")
    await refused(client, "POST", "/api/fields", {"code": "nuoc", "name": field["name"] + "x"},
                  "name", "/api/fields")

    petition = {"raised_by": sized(limits.PERSON_NAME), "hamlet": sized(limits.HAMLET),
                "content": para(limits.LONG_TEXT), "authority": sized(limits.ORGANISATION)}
    pet = await client.ok("POST", "/api/petitions", {**petition, "field_id": f["id"]}, status=201)
    got = await client.ok("GET", f"/api/petitions/{pet['id']}")
    assert {k: got[k] for k in petition} == petition
    for name, value in petition.items():
        await refused(client, "POST", "/api/petitions",
                      {**petition, "field_id": f["id"], name: value + "x"}, name, "/api/petitions")
        await refused(client, "PATCH", f"/api/petitions/{pet['id']}", {name: value + "x"}, name,
                      f"/api/petitions/{pet['id']}")

    user = {"username": ("thu.ky-" * 10)[:limits.USERNAME], "full_name": sized(limits.PERSON_NAME)}
    password = ("Mật-khẩu!" * 30)[:limits.PASSWORD]
    await client.ok("POST", "/api/users", {**user, "role": "admin", "password": password},
                    status=201)
    listed = next(u for u in await client.ok("GET", "/api/users")
                  if u["username"] == user["username"])
    assert listed["full_name"] == user["full_name"]
    for name, value in {**user, "password": password}.items():
        body = {**user, "role": "viewer", "password": password, "username": "khac",
                name: value + "x"}
        await refused(client, "POST", "/api/users", body, name, "/api/users")

    # The longest name and password log in; the audit log keeps the longest actor label.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        longest = ApiClient(client.base, http)
        session = await longest.login(user["username"], password)
        assert session["user"]["full_name"] == user["full_name"]
        dev = await longest.ok("POST", "/api/devices", {"name": sized(limits.DEVICE_NAME),
                                                        "kind": "relay"}, status=201)
        assert dev["name"] == sized(limits.DEVICE_NAME)
        assert any(d["id"] == dev["id"] and d["name"] == dev["name"]
                   for d in await longest.ok("GET", "/api/devices"))
        await refused(longest, "POST", "/api/devices",
                      {"name": sized(limits.DEVICE_NAME + 1), "kind": "display"}, "name",
                      "/api/devices")
        log = await longest.ok("GET", "/api/audit")
        assert any(e["actor"].endswith(user["full_name"]) and e["action"] == "device.add"
                   for e in log)

    commune = {"name": sized(limits.COMMUNE_NAME), "issuing_body": sized(limits.ISSUING_BODY),
               "body_code": ("UBND-" * 5)[:limits.BODY_CODE],
               "place_name": sized(limits.PLACE_NAME), "province": sized(limits.PROVINCE),
               "higher_authority": sized(limits.HIGHER_AUTHORITY),
               "chairman_name": sized(limits.PERSON_NAME)}
    await client.ok("PATCH", "/api/commune", commune)
    got = await client.ok("GET", "/api/commune")
    assert {k: got[k] for k in commune} == commune
    for name, value in commune.items():
        await refused(client, "PATCH", "/api/commune", {name: value + "X"}, name, "/api/commune")


def cmd(kind: str, version: int, command_id: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": command_id or uuid.uuid4().hex, "base_version": version,
            **kw}


async def test_queue_transcript_and_answer_fields(client: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    fields = await client.ok("GET", "/api/fields")
    pet = await client.ok("POST", "/api/petitions", {
        "conference_id": cid, "raised_by": "Nguyễn Văn Ấn", "field_id": fields[0]["id"],
        "content": "Đường thôn 3", "source": "during"}, status=201)
    queue, turns = f"/api/conferences/{cid}/queue", f"/api/conferences/{cid}/turns"
    commands = f"{queue}/commands"

    turn_id = ("luot-" + uuid.uuid4().hex * 4)[:limits.TURN_ID]
    speaker = {"display_name": sized(limits.PERSON_NAME), "hamlet": sized(limits.HAMLET),
               "topic": para(limits.TOPIC)}
    await client.ok("POST", commands, cmd("register_turn", 0, turn_id, **speaker))
    [row] = await client.ok("GET", turns)
    assert row["id"] == turn_id and {k: row[k] for k in speaker} == speaker
    [state_turn] = (await client.ok("GET", queue))["state"]["turns"]
    assert {k: state_turn[k] for k in speaker} == speaker

    version = (await client.ok("GET", queue))["version"]
    too_long = {**{k: v + "x" for k, v in speaker.items()},
                "command_id": turn_id[:-1] + "xy"}
    for name, value in too_long.items():
        body = cmd("register_turn", version, **speaker)
        body[name] = value
        before = (await client.ok("GET", queue))["version"], await client.ok("GET", turns)
        status, resp = await client.call("POST", commands, body)
        assert status == 422 and resp["error"]["code"] == "text_too_long", (name, resp)
        assert ((await client.ok("GET", queue))["version"], await client.ok("GET", turns)) == before

    # An official's answer turn: the longest name and position, and its speaker key.
    official = {"official_name": sized(limits.PERSON_NAME), "role": sized(limits.POSITION)}
    await client.ok("POST", commands, cmd("add_answer_turn", version, petition_id=pet["id"],
                                          **official))
    answer_turn = next(t for t in await client.ok("GET", turns) if t["kind"] == "answer")
    assert answer_turn["display_name"] == official["official_name"]

    transcript = para(limits.TRANSCRIPT)
    await client.ok("PUT", f"/api/turns/{turn_id}/transcript",
                    {"text": transcript, "base_revision": 0})
    view = await client.ok("GET", f"/api/turns/{turn_id}/transcript")
    assert view["text"] == transcript
    before = view, await audit_size(client)
    status, resp = await client.call("PUT", f"/api/turns/{turn_id}/transcript",
                                     {"text": transcript + "x", "base_revision": view["revision"]})
    assert status == 422, resp
    assert (await client.ok("GET", f"/api/turns/{turn_id}/transcript"),
            await audit_size(client)) == before

    answer = {"answered_by": sized(limits.PERSON_NAME), "unit": sized(limits.ORGANISATION),
              "text": para(limits.LONG_TEXT)}
    path = f"/api/petitions/{pet['id']}/answers"
    await client.ok("POST", path, {**answer, "outcome": "answered", "turn_id": turn_id},
                    status=201)
    [got] = await client.ok("GET", path)
    assert {k: got[k] for k in answer} == answer and got["turn_id"] == turn_id
    for name, value in {**answer, "turn_id": turn_id}.items():
        await refused(client, "POST", path, {**answer, "outcome": "answered", "turn_id": turn_id,
                                             name: value + "x"}, name, path)


# ---- (b) the command line accepts every role ---------------------------------------------


def test_cli_adds_an_account_of_every_role(tmp_path: Path):
    data = tmp_path / "data"
    for role in Role:
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "user", "add", f"tk-{role.value}", "--name",
             f"Cán bộ {ROLE_LABELS[role]}", "--role", role.value, "--password", "mat-khau-dai",
             "--data-dir", str(data)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (role, done.stderr)
    with sqlite3.connect(data / "doithoai.sqlite3") as db:
        roles = dict(db.execute("SELECT username, role FROM app_user WHERE username LIKE 'tk-%'"))
    assert roles == {f"tk-{r.value}": r.value for r in Role}


# ---- (c) the migration widens the columns that drifted -----------------------------------


WIDENED = {  # (table, column): (width at revision 0005, width now)
    ("speaking_turn", "id"): (40, limits.TURN_ID),
    ("speaking_turn", "topic"): (500, limits.TOPIC),
    ("answer", "turn_id"): (40, limits.TURN_ID),
    ("turn_petition", "turn_id"): (40, limits.TURN_ID),
    ("transcript_segment", "turn_id"): (40, limits.TURN_ID),
    ("recording", "turn_id"): (40, limits.TURN_ID),
    ("audit_event", "actor"): (200, limits.ACTOR),
    ("audit_event", "entity_id"): (40, limits.AUDIT_ENTITY_ID),
    ("bulletin", "created_by"): (200, limits.ACTOR),
}
ROWS = [  # a turn with rows referring to it, made at revision 0005
    "INSERT INTO commune (id, name, issuing_body, body_code, place_name, province, "
    "higher_authority, rule_profile, retention_days, chairman_name, created_at) VALUES "
    "(1, 'Xã Đức An', 'UBND', 'UBND', 'Đức An', '', '', 'cong-van-457', 365, '', :at)",
    "INSERT INTO conference (id, commune_id, year, title, starts_at, venue, format, online_url, "
    "chair_name, front_name, council_name, content, purpose, how_to_attend, status, public_slug, "
    "queue_settings, queue_version, search_text, created_at, updated_at) VALUES (1, 1, 2026, 'T', "
    ":at, 'V', 'in_person', '', '', '', '', '', '', '', 'planned', 's', '{}', 0, '', :at, :at)",
    "INSERT INTO petition_field (id, commune_id, code, name, position, active) "
    "VALUES (1, 1, 'land', 'Đất đai', 0, true)",
    "INSERT INTO petition (id, commune_id, raised_by, hamlet, phone, consent_full_name, field_id, "
    "content, authority, competence, source, status, search_text, created_at, updated_at) VALUES "
    "(1, 1, 'A', '', '', false, 1, 'c', '', 'commune', 'before', 'open', '', :at, :at)",
    "INSERT INTO speaking_turn (id, conference_id, kind, display_name, hamlet, topic, status) "
    "VALUES ('t1', 1, 'citizen', 'A', '', 'Đường', 'done')",
    "INSERT INTO answer (id, petition_id, turn_id, answered_by, outcome, unit, text, created_at) "
    "VALUES (1, 1, 't1', 'B', 'answered', '', '', :at)",
    "INSERT INTO turn_petition (turn_id, petition_id) VALUES ('t1', 1)",
    "INSERT INTO transcript_segment (id, turn_id, text, machine_text, origin, confirmed, revision, "
    "engine, updated_at, search_text) VALUES (1, 't1', 'x', '', 'human', false, 0, '', :at, '')",
    "INSERT INTO recording (id, conference_id, turn_id, path, media_type, sha256, start_s, end_s, "
    "created_at) VALUES (1, 1, 't1', 'p.wav', 'audio/wav', 'h', 0, 1, :at)",
    "INSERT INTO audit_event (id, commune_id, at, actor, action, entity, entity_id, reason) "
    "VALUES (1, 1, :at, 'system', 'x', 'speaking_turn', 't1', '')",
]


async def _widths(engine) -> dict[tuple[str, str], int | None]:
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = (await conn.execute(text(
                "SELECT table_name, column_name, character_maximum_length "
                "FROM information_schema.columns WHERE table_schema = 'public'"))).all()
            return {(t, c): n for t, c, n in rows if (t, c) in WIDENED}

        def reflect(sync_conn) -> dict[tuple[str, str], int | None]:
            found = inspect(sync_conn)
            return {(t, col["name"]): getattr(col["type"], "length", None)
                    for t in {t for t, _ in WIDENED} for col in found.get_columns(t)
                    if (t, col["name"]) in WIDENED}
        return await conn.run_sync(reflect)


async def _upgrade(engine, revision: str) -> None:
    def run(sync_conn) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_migration_widens_the_columns_that_drifted(db_url: str):
    from datetime import UTC, datetime

    engine = make_engine(db_url)
    try:
        await _upgrade(engine, "0005")
        async with engine.begin() as conn:
            for sql in ROWS:
                await conn.execute(text(sql), {"at": datetime(2026, 1, 1, tzinfo=UTC)})
        if "postgresql" in db_url:
            assert await _widths(engine) == {k: old for k, (old, _) in WIDENED.items()}
        await _upgrade(engine, "head")
        assert await _widths(engine) == {k: new for k, (_, new) in WIDENED.items()}
        long_id, long_topic = "t" * limits.TURN_ID, "đ" * limits.TOPIC
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO speaking_turn (id, conference_id, kind, display_name, hamlet, topic, "
                "status) VALUES (:id, 1, 'citizen', 'A', '', :topic, 'waiting')"),
                {"id": long_id, "topic": long_topic})
            await conn.execute(text("INSERT INTO turn_petition (turn_id, petition_id) "
                                    "VALUES (:id, 1)"), {"id": long_id})
            kept = (await conn.execute(text(
                "SELECT t.topic, a.turn_id, s.text, r.path FROM speaking_turn t "
                "JOIN answer a ON a.turn_id = t.id JOIN transcript_segment s ON s.turn_id = t.id "
                "JOIN recording r ON r.turn_id = t.id WHERE t.id = 't1'"))).one()
            assert tuple(kept) == ("Đường", "t1", "x", "p.wav")
            assert (await conn.execute(text(
                "SELECT topic FROM speaking_turn WHERE id = :id"), {"id": long_id})).scalar() \
                == long_topic
        # The rebuilt tables still refuse orphans, and the audit log is still append-only.
        for sql in ("INSERT INTO turn_petition (turn_id, petition_id) VALUES ('nobody', 1)",
                    "DELETE FROM audit_event", "UPDATE audit_event SET action = 'y'"):
            with pytest.raises(Exception):  # noqa: B017 - IntegrityError or the trigger's error
                async with engine.begin() as conn:
                    await conn.execute(text(sql))
    finally:
        await engine.dispose()


# ---- the catalogue, and the labels still kept elsewhere ---------------------------------


async def test_catalogue_is_public_and_complete(anon: ApiClient):
    status, body = await anon.call("GET", "/api/catalogue")
    assert status == 200, body
    assert body["limits"]["topic"] == limits.TOPIC == 1000
    assert body["limits"]["turn_id"] == limits.TURN_ID
    assert body["roles"] == {r.value: ROLE_LABELS[r] for r in Role}
    assert body["roles"]["overseer"] == "Cấp trên"
    assert body["conference_formats"]["hybrid"] == "Trực tiếp và trực tuyến"
    assert set(body["turn_statuses"]) >= {"waiting", "speaking", "done"}
    assert all(isinstance(v, dict) and v for v in body.values())


def test_every_enumeration_fits_its_column_and_agrees_with_the_copies_left():
    from server.domain import conferences, devices, documents, petitions, turns
    from server.followup import documents_db, state
    from server.pages import FORMATS
    from server.transcripts.rules import OUTCOMES

    short = [Role, conferences.ConferenceFormat, conferences.ConferenceStatus,
             conferences.ParticipantKind, petitions.PetitionStatus, petitions.AnswerOutcome,
             petitions.Competence, petitions.PetitionSource, devices.DeviceKind,
             documents.DocumentStatus]
    assert all(len(v) <= limits.CODE for e in short for v in e)
    assert all(len(v) <= limits.CODE for v in (*turns.STATUSES, *turns.KINDS, *turns.SOURCES))
    assert all(len(v) <= limits.LONG_CODE
               for e in (documents.DocumentKind, documents.DispatchChannel) for v in e)
    assert set(turns.STATUS_LABELS) == set(turns.STATUSES)
    assert {str(k): v for k, v in petitions.STATUS_LABELS.items()} == state.STATE_LABELS
    assert {str(k): v for k, v in petitions.OUTCOME_LABELS.items()} == \
        {k: label for k, (_, _, label) in OUTCOMES.items()}
    assert {str(k): v for k, v in conferences.FORMAT_LABELS.items()} == FORMATS
    assert {str(k): v for k, v in documents.DOCUMENT_KIND_LABELS.items()} == \
        documents_db.KIND_LABELS


def test_limits_are_positive_integers():
    table = limits.catalogue()
    assert table and all(isinstance(v, int) and v > 0 for v in table.values())
