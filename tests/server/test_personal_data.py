"""Personal data by need: every role, every read that carries a citizen's name or phone
(docs/personal-data.md). Pure rules first, then the real server with one account per role."""

from __future__ import annotations

import uuid

import aiohttp
import pytest
import socketio

from server.domain.personal_data import masked_staff_view, name_for, phone_for
from server.domain.roles import Role
from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.server.test_queue_realtime import session_cookie
from tests.server.test_record_api import CONF

NAMES = {Role.ADMIN, Role.CHAIR, Role.MODERATOR, Role.SECRETARY, Role.FRONT}
PHONES = {Role.ADMIN, Role.CHAIR, Role.SECRETARY, Role.FRONT}


def test_the_table_of_who_sees_what():
    for role in Role:
        assert (name_for(role, "Hoàng Thị Mai", "Thôn 3", False) == "Hoàng Thị Mai") == \
            (role in NAMES)
        assert (phone_for(role, "0912345678") == "0912345678") == (role in PHONES)
    assert name_for(Role.VIEWER, "Hoàng Thị Mai", "Thôn 3", False) == "Hoàng T. M. - Thôn 3"
    assert name_for(Role.VIEWER, "Hoàng Thị Mai", "Thôn 3", True) == "Hoàng Thị Mai - Thôn 3"
    assert name_for(None, "Hoàng Thị Mai", "", False) != "Hoàng Thị Mai"


def test_the_masked_queue_keeps_no_full_name_anywhere():
    view = {"state": {"turns": [
        {"id": "a", "kind": "citizen", "display_name": "Hoàng Thị Mai", "hamlet": "Thôn 3",
         "consent_full_name": False, "person_key": "name:hoang thi mai|thon 3"},
        {"id": "b", "kind": "answer", "display_name": "Ông Chủ tịch", "hamlet": "",
         "consent_full_name": False, "person_key": "official:chu tich"}],
        "people": {"name:hoang thi mai|thon 3": {"turns_used": 1, "spoken": True}},
        "history": [{"summary": "Đăng ký phát biểu: Hoàng Thị Mai - Thôn 3", "reason": ""}]},
        "undo_summary": "Mời phát biểu: Hoàng Thị Mai",
        "balance": {"people": [{"name": "Hoàng Thị Mai", "hamlet": "Thôn 3",
                                "person_key": "name:hoang thi mai|thon 3", "turns": 1,
                                "seconds": 60.0}], "hamlets": []}}
    masked = masked_staff_view(view)
    text = str(masked)
    assert "Hoàng Thị Mai" not in text and "hoang thi mai" not in text
    assert "Hoàng T. M. - Thôn 3" in masked["state"]["turns"][0]["display_name"]
    assert masked["state"]["turns"][1]["display_name"] == "Ông Chủ tịch"  # in office
    assert "Hoàng T. M." in masked["undo_summary"]
    assert view["state"]["turns"][0]["display_name"] == "Hoàng Thị Mai"  # not changed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_role_sees_what_its_job_needs(client: ApiClient, app_server) -> None:
    base, _ = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    person = await client.ok("POST", f"/api/conferences/{cid}/participants", {
        "full_name": "Hoàng Thị Mai", "hamlet": "Thôn 3", "phone": "0912345678"}, status=201)
    fields = await client.ok("GET", "/api/fields")
    petition = await client.ok("POST", "/api/petitions", {
        "conference_id": cid, "raised_by": "Hoàng Thị Mai", "hamlet": "Thôn 3",
        "phone": "0912345678", "field_id": fields[0]["id"], "content": "Đường liên thôn"},
        status=201)
    await client.ok("POST", f"/api/conferences/{cid}/queue/commands", {
        "type": "register_turn", "command_id": uuid.uuid4().hex, "base_version": 0,
        "participant_id": person["id"]})
    for role in Role:
        username = f"tk-{role.value}"
        await client.ok("POST", "/api/users", {"username": username, "full_name": "Cán bộ",
                                               "role": role.value, "password": ADMIN_PASSWORD},
                        status=201)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            c = ApiClient(base, http)
            await c.login(username, ADMIN_PASSWORD)
            reads = [await c.ok("GET", f"/api/conferences/{cid}/participants"),
                     await c.ok("GET", f"/api/petitions?conference_id={cid}"),
                     await c.ok("GET", f"/api/petitions/{petition['id']}"),
                     await c.ok("GET", "/api/search?q=hoang"),
                     await c.ok("GET", f"/api/conferences/{cid}/queue"),
                     await c.ok("GET", f"/api/conferences/{cid}/turns"),
                     await c.ok("GET", f"/api/petitions/{petition['id']}/detail")]
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(base, headers={"Cookie": session_cookie(c)},
                              transports=["websocket"], wait_timeout=5)
            joined = await sio.call("join", {"conference_id": cid})
            await sio.disconnect()
            reads.append(joined["staff"])
        text = str(reads)
        assert ("Hoàng Thị Mai" in text) == (role in NAMES), role
        assert ("0912345678" in text) == (role in PHONES), role
        if role not in NAMES:
            assert "Hoàng T. M. - Thôn 3" in text and "hoang thi mai" not in text
