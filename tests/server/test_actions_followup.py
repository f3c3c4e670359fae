"""The follow-up, transcript and broadcast changes run as actions through the executor:
a refused action writes and publishes nothing, an accepted one reaches a real socket.io
client, and the broadcast's auto-mute is a rule over the operator's own choice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import socketio
from sqlalchemy import event, func, select

from server.actions.answers.add import AddAnswer
from server.actions.dispatches.add import AddDispatch
from server.actions.documents.create_draft import CreateDraft
from server.actions.documents.edit import EditDocument
from server.actions.settings.put_smtp import PutSmtp
from server.actions.transcripts.put import PutTranscript
from server.auth import Actor
from server.db.models import AuditEvent, Dispatch, Setting, User
from server.domain.errors import Conflict, Forbidden, Invalid
from server.keys import ENGINE, EXECUTOR, SESSIONMAKER
from tests.conftest import ApiClient, free_port
from tests.server.test_followup_support import make_conference, setup_commune
from tests.server.test_queue_realtime import cmd, session_cookie
from tests.server.test_record_api import CONF

# The actions do not depend on the database kind.
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _audits(app: Any, action: str) -> int:
    async with app[SESSIONMAKER]() as db:
        return (await db.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action))).scalar_one()


async def _socket(client: ApiClient, cid: int | None = None) -> tuple[socketio.AsyncClient,
                                                                       list[tuple[str, Any]]]:
    heard: list[tuple[str, Any]] = []
    sio = socketio.AsyncClient(reconnection=False)
    for name in ("transcript:updated", "answer:created", "broadcast:status"):
        sio.on(name, lambda data, name=name: heard.append((name, data)))
    await sio.connect(client.base, headers={"Cookie": session_cookie(client)},
                      transports=["websocket"], wait_timeout=5)
    if cid is not None:
        assert (await sio.call("join", {"conference_id": cid}))["ok"]
    return sio, heard


async def _until(predicate, timeout: float = 5.0) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < end, "timed out"
        await asyncio.sleep(0.05)


@SQLITE
async def test_refused_actions_write_nothing_and_accepted_ones_reach_the_tablets(
        client: ApiClient, app_server):
    _, app = app_server
    executor = app[EXECUTOR]
    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    async with app[SESSIONMAKER]() as db:
        users = {u.username: u for u in (await db.execute(select(User))).scalars()}
    admin, viewer = (Actor(kind="user", commune_id=u.commune_id, role=u.role, name=u.full_name,
                           user_id=u.id) for u in (users["admin"], users["viewer1"]))
    with pytest.raises(Forbidden):
        await executor.run(CreateDraft(), viewer, {"conference_id": cid, "kind": "invitation"})
    with pytest.raises(Invalid):
        await executor.run(CreateDraft(), admin, {"conference_id": cid, "kind": "bien-ban"})
    draft = await executor.run(CreateDraft(), admin, {"conference_id": cid, "kind": "invitation"})
    with pytest.raises(Invalid):
        await executor.run(EditDocument(), admin, {"document_id": draft["id"], "content": []})
    with pytest.raises(Conflict):
        await executor.run(AddDispatch(), admin, {"document_id": draft["id"],
                                                  "recipient": "Trưởng thôn 1"})
    with pytest.raises(Invalid):
        await executor.run(PutSmtp(), admin, {"host": "127.0.0.1", "from": "khong-phai-thu",
                                              "to": ["c@d.vn"]})
    async with app[SESSIONMAKER]() as db:
        assert (await db.execute(select(func.count()).select_from(Dispatch))).scalar_one() == 0
        assert (await db.execute(select(func.count()).select_from(Setting))).scalar_one() == 0
    assert await _audits(app, "document.draft") == 1
    assert await _audits(app, "document.edit") == 0
    assert await _audits(app, "document.dispatch") == 0
    # a transcript and an answer written through the executor reach a joined tablet
    fields = await client.ok("GET", "/api/fields")
    pet = await client.ok("POST", "/api/petitions", {
        "conference_id": cid, "raised_by": "Nguyễn Văn Ấn", "hamlet": "Thôn 3",
        "field_id": fields[0]["id"], "content": "Đề nghị làm đường bê tông thôn 3"}, status=201)
    turn = cmd("register_turn", 0, display_name="Nguyễn Văn Ấn", hamlet="Thôn 3")
    await client.ok("POST", f"/api/conferences/{cid}/queue/commands", turn)
    sio, heard = await _socket(client, cid)
    try:
        view = await executor.run(PutTranscript(), admin, {
            "turn_id": turn["command_id"], "text": "Bà con đề nghị làm đường.", "base_revision": 0})
        with pytest.raises(Conflict):  # edited from an old revision: nothing written, no event
            await executor.run(PutTranscript(), admin, {
                "turn_id": turn["command_id"], "text": "Bản cũ.", "base_revision": 0})
        await executor.run(AddAnswer(), admin, {
            "petition_id": pet["id"], "answered_by": "Chủ tịch UBND xã", "outcome": "answered",
            "turn_id": turn["command_id"]})
        await _until(lambda: any(n == "answer:created" for n, _ in heard))
    finally:
        await sio.disconnect()
    texts = [d["text"] for n, d in heard if n == "transcript:updated"]
    assert texts == ["Bà con đề nghị làm đường."] and view.revision == 1


@SQLITE
async def test_auto_mute_is_a_rule_and_unticking_it_gives_back_the_operators_choice(
        client: ApiClient, app_server, anon: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    qpath = f"/api/conferences/{conf['id']}/queue/commands"
    sio, heard = await _socket(client)
    try:
        assert (await sio.call("broadcast:watch"))["broadcast"]["mute_reason"] is None
        st = await client.ok("POST", "/api/broadcast/auto-mute", {"enabled": True})
        assert st["muted"] is True and st["mute_reason"] == "between_turns"
        assert st["operator_muted"] is False and st["auto_mute_between_turns"] is True
        assert "giữa hai lượt" in st["mute_reason_label"]
        await _until(lambda: any(d.get("mute_reason") == "between_turns"
                                 for n, d in heard if n == "broadcast:status"))
    finally:
        await sio.disconnect()
    # a turn takes the floor: the rule lets it be heard; it ends: silent again
    await client.ok("POST", qpath, cmd("register_turn", 0, display_name="Lê Văn Tám",
                                       hamlet="Thôn 2"))
    await client.ok("POST", qpath, cmd("call_next", 1))
    turn = (await client.ok("GET", f"/api/conferences/{conf['id']}/queue"))["state"]
    await client.ok("POST", qpath, cmd("start", 2, turn_id=turn["current_turn_id"]))
    st = await client.ok("GET", "/api/broadcast")
    assert st["muted"] is False and st["mute_reason"] is None and st["turn_on_floor"] is True
    await client.ok("POST", qpath, cmd("end", 3, turn_id=turn["current_turn_id"]))
    st = await client.ok("GET", "/api/broadcast")
    assert st["muted"] is True and st["mute_reason"] == "between_turns"
    # unticked: the operator never muted, so the loudspeakers play again (the bug)
    st = await client.ok("POST", "/api/broadcast/auto-mute", {"enabled": False})
    assert st["muted"] is False and st["mute_reason"] is None
    # the operator's own mute outlasts the rule, both ways
    await client.ok("POST", "/api/broadcast/mute", {"muted": True})
    st = await client.ok("POST", "/api/broadcast/auto-mute", {"enabled": True})
    assert st["muted"] is True and st["mute_reason"] == "operator"
    st = await client.ok("POST", "/api/broadcast/auto-mute", {"enabled": False})
    assert st["muted"] is True and st["mute_reason"] == "operator"
    st = await client.ok("POST", "/api/broadcast/mute", {"muted": False})
    assert st["muted"] is False and st["operator_muted"] is False
    # a viewer may not touch it, and nothing changes
    viewer = ApiClient(client.base, anon.http)
    await viewer.login("viewer1")
    status, body = await viewer.call("POST", "/api/broadcast/mute", {"muted": True})
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await client.ok("GET", "/api/broadcast"))["operator_muted"] is False
    _, app = app_server
    assert await _audits(app, "broadcast.mute") == 2
    assert await _audits(app, "broadcast.auto_mute") == 4


@SQLITE
async def test_sending_reminders_now_holds_one_connection_at_a_time(client: ApiClient,
                                                                    app_server):
    """The action's own session stays unconnected while the reminder job records its
    steps (each with a connection of its own) and the mail goes out."""
    _, app = app_server
    await setup_commune(client)
    recent = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT08:00")
    await make_conference(client, app, starts_at=recent)
    await client.ok("PUT", "/api/settings/smtp", {"host": "127.0.0.1", "port": free_port(),
                                                  "from": "a@b.vn", "to": ["c@d.vn"]})
    held, most = [0], [0]

    def checkout(*_: Any) -> None:
        held[0] += 1
        most[0] = max(most[0], held[0])

    def checkin(*_: Any) -> None:
        held[0] -= 1

    pool = app[ENGINE].sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        status, body = await client.call("POST", "/api/deadlines/remind")
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
    assert status == 502 and body["error"]["code"] == "smtp_failed", body
    assert most[0] == 1  # the login is known: nothing but the action's steps ran
    assert await _audits(app, "reminder.email_failed") == 1
    assert await _audits(app, "reminder.send_now") == 0  # refused: the click left no record
