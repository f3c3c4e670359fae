"""The captions' endpoints and their refusals (Vietnamese errors, nothing written), the
commune's vocabulary, the follower's admission, and the live draft beside the full-file
pass; on SQLite and PostgreSQL (the tone source: no speech needed here)."""

from __future__ import annotations

import pytest
import socketio
from sqlalchemy import func, select

from server.db.models import AuditEvent
from server.domain.captions import LIVE_ENGINE
from server.keys import SESSIONMAKER
from server.transcripts import drafts
from tests.captions.conftest import open_hall
from tests.conftest import ADMIN_PASSWORD, ApiClient


async def audit_count(app, action: str) -> int:
    async with app[SESSIONMAKER]() as db:
        return (await db.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action))).scalar_one()


async def test_refusals_vocabulary_followers_and_drafts(client: ApiClient,
                                                                      app_server):
    base, app = app_server
    h = await open_hall(client)
    path = f"/api/conferences/{h.cid}/captions"
    snap = await client.ok("GET", path)
    assert snap["state"]["enabled"] is True and snap["lines"] == []
    assert snap["state"]["mode"] == "live" and snap["state"]["available"] is True
    cases = [
        ("POST", f"{path}/settings", {}, 422, "nothing_to_change"),
        ("POST", f"{path}/settings", {"enabled": "có"}, 422, None),
        ("POST", f"{path}/settings", {"enabled": True, "extra": 1}, 422, None),
        ("POST", f"{path}/settings", [True], 422, None),
        ("POST", f"{path}/hide", {"hidden": True}, 422, None),
        ("POST", f"{path}/hide", {"turn_id": "", "hidden": True}, 422, None),
        ("POST", f"{path}/hide", {"turn_id": "x" * 101, "hidden": True}, 422, None),
        ("POST", f"{path}/hide", {"turn_id": "khong-co", "hidden": True}, 404, "not_found"),
        ("POST", "/api/conferences/999999/captions/settings", {"enabled": False}, 404, None),
        ("GET", "/api/conferences/999999/captions", None, 404, None),
        ("PUT", "/api/commune/vocabulary", {"terms": "Buôn Đăk Rơ"}, 422, None),
        ("PUT", "/api/commune/vocabulary", {"terms": ["a" * 101]}, 422, None),
        ("PUT", "/api/commune/vocabulary", {"terms": [f"Thôn {i}" for i in range(501)]}, 422,
         None),
        ("PUT", "/api/commune/vocabulary", {}, 422, None),
    ]
    for method, url, body, status, code in cases:
        got, answer = await client.call(method, url, body)
        assert got == status, (url, body, got, answer)
        err = answer["error"]
        assert err["message"] and any(ch in err["message"] for ch in "ạảãàáâầấậẫẩăằắặẵẳêềếệễểôồốộỗổơờớợỡởưừứựữửđ"), err
        if code:
            assert err["code"] == code
    got, answer = await client.call("POST", f"{path}/settings", raw=b"{not json",
                                    headers={"Content-Type": "application/json"})
    assert got == 400, answer
    for action in ("captions.settings", "captions.hide", "captions.vocabulary"):
        assert await audit_count(app, action) == 0
    # a viewer may read, not change
    async with __import__("aiohttp").ClientSession(
            cookie_jar=__import__("aiohttp").CookieJar(unsafe=True)) as http:
        viewer = ApiClient(base, http)
        await viewer.login("viewer1", ADMIN_PASSWORD)
        assert (await viewer.call("GET", path))[0] == 200
        assert (await viewer.call("POST", f"{path}/settings", {"enabled": False}))[0] == 403
        assert (await viewer.call("PUT", "/api/commune/vocabulary", {"terms": []}))[0] == 403
    assert (await client.ok("GET", path))["state"]["enabled"] is True
    # good input works and is audited once
    st = await client.ok("POST", f"{path}/settings", {"enabled": False})
    assert st["enabled"] is False and st["mode"] == "off"
    hid = await client.ok("POST", f"{path}/hide", {"turn_id": h.turn, "hidden": True})
    assert hid["hidden_turn_id"] == h.turn
    assert await audit_count(app, "captions.settings") == 1
    assert await audit_count(app, "captions.hide") == 1
    await check_vocabulary(client, app, h)
    await check_follower_admission(client, base, h)
    await check_live_draft_then_full_file_pass_only_where_unedited(client, app, h)


async def check_vocabulary(client: ApiClient, app, h) -> None:
    fields = await client.ok("GET", "/api/fields")
    await client.ok("POST", "/api/petitions", {
        "conference_id": h.cid, "raised_by": "Y Niê Kdăm", "hamlet": "Buôn Đăk Rơ",
        "field_id": fields[0]["id"], "content": "Đề nghị sửa cầu qua Suối Đá Bàn cho bà con.",
        "source": "during"}, status=201)
    vocab = await client.ok("GET", "/api/commune/vocabulary")
    assert vocab["terms"] == []
    for term in ("Y Niê Kdăm", "Buôn Đăk Rơ", "Suối Đá Bàn", "Nguyễn Văn Ấn", "Nguyễn Văn Chủ"):
        assert term in vocab["from_record"], (term, vocab["from_record"])
    put = await client.ok("PUT", "/api/commune/vocabulary",
                          {"terms": [" Ea  Tiêu ", "ea tieu", "Bon Bu Dăr", ""]})
    assert put["terms"] == ["Ea Tiêu", "Bon Bu Dăr"]  # cleaned, one spelling per term
    assert (await client.ok("GET", "/api/commune/vocabulary"))["terms"] == put["terms"]
    assert await audit_count(app, "captions.vocabulary") == 1


async def check_live_draft_then_full_file_pass_only_where_unedited(client: ApiClient, app,
                                                                   h) -> None:
    h.turn = await h.register("Lê Văn Hai")
    other = await h.register("Trần Thị Bé")
    # the captions' finals become the draft...
    assert await drafts.save_live_draft(app, h.turn, "bà con thôn 3 xin hỏi", LIVE_ENGINE)
    assert await drafts.save_live_draft(app, other, "con đường hỏng", LIVE_ENGINE)
    live = await client.ok("GET", f"/api/turns/{h.turn}/transcript")
    assert live["text"] == "bà con thôn 3 xin hỏi" and live["engine"] == LIVE_ENGINE
    # ...the secretary edits one of them...
    await client.ok("PUT", f"/api/turns/{other}/transcript",
                    {"text": "Bà Bé hỏi về con đường.", "base_revision": 1})
    # ...and the full-file pass replaces only the unedited one
    await drafts.save_draft(app, h.turn, "bà con thôn 3 xin hỏi về điện", "viet-asr")
    await drafts.save_draft(app, other, "con đường bị hỏng", "viet-asr")
    a = await client.ok("GET", f"/api/turns/{h.turn}/transcript")
    b = await client.ok("GET", f"/api/turns/{other}/transcript")
    assert a["text"] == "bà con thôn 3 xin hỏi về điện" and a["engine"] == "viet-asr"
    assert b["text"] == "Bà Bé hỏi về con đường." and b["origin"] == "human"
    assert b["machine_text"] == "con đường bị hỏng"
    # a late live draft never overwrites the full-file pass
    assert not await drafts.save_live_draft(app, h.turn, "muộn", LIVE_ENGINE)
    assert (await client.ok("GET", f"/api/turns/{h.turn}/transcript"))["text"] == a["text"]


async def check_follower_admission(client: ApiClient, base: str, h) -> None:
    second = await client.ok("POST", "/api/conferences", {
        "title": "Hội nghị khác", "starts_at": "2026-12-19T08:00", "venue": "Nhà văn hóa"},
        status=201)
    bad = socketio.AsyncClient(reconnection=False)
    refusals: list = []
    bad.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await bad.connect(base, auth={"follow": "khong-co-hoi-nghi"}, transports=["websocket"])
    assert refusals and "đăng nhập" in str(refusals[0]), refusals
    phone = socketio.AsyncClient(reconnection=False)
    await phone.connect(base, auth={"follow": h.slug}, transports=["websocket"])
    try:
        other = await phone.call("join", {"conference_id": second["id"]})
        assert other["ok"] is False and other["error"]["code"] == "forbidden"
        ok = await phone.call("join", {"conference_id": h.cid})
        assert ok["ok"] and "staff" not in ok and ok["captions"]["lines"] == []
        assert set(ok) == {"ok", "public", "captions"}
        refused = await phone.call("queue:command", {"type": "register_turn"})
        assert refused["ok"] is False
        watch = await phone.call("broadcast:watch", {})
        assert watch["ok"] is False
    finally:
        await phone.disconnect()


async def test_settings_changed_by_another_server_process_reach_the_recogniser(
        client: ApiClient, app_server):
    """A province: the moderator's tablet may be served by a process without the hall's
    audio; it writes the settings and tells the others (server/app.py), and the process
    that runs the recogniser reads them again when it hears of it."""
    from server.app import hear_other_server
    from server.captions import store
    from server.db.models import Conference

    _base, app = app_server
    h = await open_hall(client)
    path = f"/api/conferences/{h.cid}/captions"
    assert (await client.ok("GET", path))["state"]["enabled"] is True  # now held in memory
    async with app[SESSIONMAKER]() as db, db.begin():  # what the other process committed
        commune_id = (await db.get(Conference, h.cid)).commune_id
        value = {**await store.load_settings(db, commune_id, h.cid), "enabled": False}
        await store.save_settings(db, commune_id, h.cid, value)
    assert (await client.ok("GET", path))["state"]["enabled"] is True  # not heard yet
    await hear_other_server(app, "captions", {"commune_id": commune_id,
                                              "conference_id": h.cid})
    state = (await client.ok("GET", path))["state"]
    assert state["enabled"] is False and state["mode"] == "off", state
