"""The conference record through the real HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import func, select, text

from server.api.schemas import UserIn
from server.auth import hash_password
from server.commands.accounts import add_user
from server.db.models import AuditEvent, Commune, Conference, Petition, PetitionField
from server.keys import SESSIONMAKER
from tests.conftest import ADMIN_PASSWORD, ApiClient

CONF = {
    "title": "Hội nghị đối thoại với Nhân dân năm 2026",
    "starts_at": "2026-12-18T08:00",
    "venue": "Hội trường UBND xã Đức An",
    "format": "hybrid",
    "chair_name": "Nguyễn Văn Chủ",
    "front_name": "Ủy ban MTTQ Việt Nam xã",
    "council_name": "Thường trực HĐND xã",
    "content": "Đất đai, giao thông nông thôn",
    "purpose": "Nắm bắt tâm tư, nguyện vọng của Nhân dân",
    "how_to_attend": "Đến trực tiếp hội trường hoặc theo dõi trực tuyến",
}


async def counts(app) -> tuple[int, int, int]:
    async with app[SESSIONMAKER]() as db:
        return (
            (await db.execute(select(func.count(Conference.id)))).scalar_one(),
            (await db.execute(select(func.count(Petition.id)))).scalar_one(),
            (await db.execute(select(func.count(AuditEvent.id)))).scalar_one(),
        )


async def test_healthz_and_login_required(anon: ApiClient):
    status, body = await anon.call("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    status, body = await anon.call("GET", "/api/conferences")
    assert status == 401 and body["error"]["code"] == "unauthenticated"


async def test_bad_password_is_refused_and_rate_limited(anon: ApiClient):
    for _ in range(10):
        status, body = await anon.call("POST", "/api/session", {"username": "admin", "password": "sai"})
        assert status == 401 and body["error"]["code"] == "bad_credentials"
    status, body = await anon.call("POST", "/api/session",
                                   {"username": "admin", "password": ADMIN_PASSWORD})
    assert status == 429 and body["error"]["code"] == "too_many_attempts"


async def test_unsafe_request_without_csrf_token_is_refused(client: ApiClient, app_server):
    before = await counts(app_server[1])
    status, body = await client.call("POST", "/api/conferences", CONF, headers={"X-CSRF-Token": "x"})
    assert status == 403 and body["error"]["code"] == "csrf_failed"
    assert await counts(app_server[1]) == before


async def test_plan_edit_announce_and_public_page(client: ApiClient, anon: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    assert conf["year"] == 2026 and conf["status"] == "planned"
    assert conf["starts_at"].startswith("2026-12-18T01:00")  # stored in UTC
    listed = await client.ok("GET", "/api/conferences?year=2026")
    assert [c["id"] for c in listed] == [conf["id"]]
    assert await client.ok("GET", "/api/conferences?year=2025") == []
    edited = await client.ok("PATCH", f"/api/conferences/{conf['id']}", {"venue": "Nhà văn hóa thôn 3"})
    assert edited["venue"] == "Nhà văn hóa thôn 3"
    status, _ = await anon.call("GET", conf["public_url"])
    assert status == 404  # not public before the announcement
    announced = await client.ok("POST", f"/api/conferences/{conf['id']}/announce")
    assert announced["status"] == "announced" and announced["announced_at"]
    status, page = await anon.call("GET", conf["public_url"])
    assert status == 200
    assert "Nhà văn hóa thôn 3" in page and "08 giờ 00" in page and "18/12/2026" in page
    assert "Hội nghị đối thoại với Nhân dân năm 2026" in page


async def test_invalid_input_gets_clear_errors_and_writes_nothing(client: ApiClient, app_server):
    before = await counts(app_server[1])
    cases = [
        ({k: v for k, v in CONF.items() if k != "title"}, "title", "missing"),
        ({**CONF, "starts_at": "2026-02-30T08:00"}, "starts_at", None),
        ({**CONF, "starts_at": 12}, "starts_at", None),
        ({**CONF, "title": "x" * 1_000_000}, "title", "string_too_long"),
        ({**CONF, "format": "radio"}, "format", "literal_error"),
        ({**CONF, "title": "   "}, "title", None),
        ({**CONF, "unknown": 1}, "unknown", "extra_forbidden"),
        ({**CONF, "ends_at": "2026-12-18T07:00"}, "ends_at", None),
        ({**CONF, "starts_at": "1900-01-01T08:00"}, "starts_at", None),
    ]
    for body, field, code in cases:
        status, resp = await client.call("POST", "/api/conferences", body)
        assert status == 422, (field, resp)
        err = resp["error"]
        assert err["code"] == "invalid_input" and err["message"]
        fields = {f["field"]: f for f in err["fields"]}
        assert field in fields, (field, err)
        if code:
            assert fields[field]["code"] == code
    status, resp = await client.call("POST", "/api/conferences", raw=b"{not json",
                                     headers={"Content-Type": "application/json"})
    assert status == 400 and resp["error"]["code"] == "malformed_json"
    status, resp = await client.call("POST", "/api/conferences", raw=b"x" * (2 * 1024 * 1024),
                                     headers={"Content-Type": "application/json"})
    assert status == 413 and resp["error"]["code"] == "payload_too_large"
    status, resp = await client.call("POST", "/api/conferences", raw=b"title=x",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    assert await counts(app_server[1]) == before
    status, _ = await client.call("GET", "/healthz")
    assert status == 200


async def test_unknown_and_other_communes_ids_are_not_found(client: ApiClient, app_server):
    base, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    for path in ("/api/conferences/999999", "/api/conferences/abc", "/api/petitions/424242",
                 f"/api/conferences/{conf['id']}/participants/777"):
        status, body = await client.call("GET" if "participants" not in path else "PATCH", path,
                                         {"hamlet": "x"} if "participants" in path else None)
        assert status == 404 and body["error"]["code"] == "not_found", path
    async with app[SESSIONMAKER]() as db, db.begin():
        other = Commune(name="Xã Khác", issuing_body="ỦY BAN NHÂN DÂN XÃ KHÁC", place_name="Khác")
        db.add(other)
        await db.flush()
        db.add(PetitionField(commune_id=other.id, code="land", name="Đất đai"))
        user = await add_user(db, "test", other.id, UserIn(
            username="khac", full_name="Cán bộ xã khác", role="admin", password=ADMIN_PASSWORD))
        user.password_hash = hash_password(ADMIN_PASSWORD)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        stranger = ApiClient(base, http)
        await stranger.login("khac")
        before = await counts(app)
        for method, path, body in [
            ("GET", f"/api/conferences/{conf['id']}", None),
            ("PATCH", f"/api/conferences/{conf['id']}", {"title": "Chiếm quyền"}),
            ("POST", f"/api/conferences/{conf['id']}/announce", None),
            ("GET", f"/api/conferences/{conf['id']}/participants", None),
        ]:
            status, resp = await stranger.call(method, path, body)
            assert status == 404, (path, resp)
        assert await stranger.ok("GET", "/api/conferences") == []
        fields = await client.ok("GET", "/api/fields")
        status, resp = await stranger.call("POST", "/api/petitions", {
            "raised_by": "A", "field_id": fields[0]["id"], "content": "x"})
        assert status == 404 and "lĩnh vực" in resp["error"]["message"]
        assert await counts(app) == before


async def test_invitations_and_check_in_with_undo(client: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    base = f"/api/conferences/{conf['id']}/participants"
    p = await client.ok("POST", base, {"full_name": "Y Bhiăm Niê", "kind": "delegate",
                                       "title": "Trưởng bon", "hamlet": "Bon Bu Prăng",
                                       "phone": "0905 123 456"}, status=201)
    assert p["phone"] == "0905123456" and p["checked_in_at"] is None
    status, resp = await client.call("POST", base, {"full_name": "X", "phone": "12ab"})
    assert status == 422 and resp["error"]["fields"][0]["field"] == "phone"
    checked = await client.ok("POST", f"{base}/{p['id']}/check-in", {"checked_in": True})
    assert checked["checked_in_at"]
    undone = await client.ok("POST", f"{base}/{p['id']}/check-in", {"checked_in": False})
    assert undone["checked_in_at"] is None
    assert len(await client.ok("GET", base)) == 1


async def test_petitions_fields_and_diacritic_free_search(client: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    fields = await client.ok("GET", "/api/fields")
    names = [f["name"] for f in fields]
    assert names[:2] == ["Đất đai", "Giao thông, đường sá"] and "Khác" in names
    land = fields[0]
    pet = await client.ok("POST", "/api/petitions", {
        "conference_id": conf["id"], "raised_by": "Nguyễn Văn Ấn", "hamlet": "Thôn 3",
        "field_id": land["id"], "content": "Đề nghị cấp giấy chứng nhận quyền sử dụng đất",
        "authority": "UBND xã", "competence": "higher"}, status=201)
    assert pet["field_name"] == "Đất đai" and pet["source"] == "before" and pet["status"] == "open"
    new_field = await client.ok("POST", "/api/fields", {"code": "water", "name": "Nước sạch"},
                                status=201)
    status, resp = await client.call("POST", "/api/fields", {"code": "water", "name": "Lặp"})
    assert status == 409 and resp["error"]["code"] == "duplicate_code"
    await client.ok("PATCH", f"/api/fields/{new_field['id']}", {"active": False})
    status, resp = await client.call("POST", "/api/petitions", {
        "raised_by": "B", "field_id": new_field["id"], "content": "Nước"})
    assert status == 422 and resp["error"]["code"] == "field_inactive"
    for q in ("nguyen van an", "NGUYỄN", "giay chung nhan", "dat dai"):
        hits = await client.ok("GET", f"/api/search?q={q}")
        assert any(h["kind"] == "petition" and h["id"] == pet["id"] for h in hits), q
    hits = await client.ok("GET", "/api/search?q=duc an")
    assert any(h["kind"] == "conference" for h in hits)
    assert await client.ok("GET", "/api/search?q=khong co gi") == []
    only = await client.ok("GET", f"/api/petitions?conference_id={conf['id']}&q=quyen su dung")
    assert [p["id"] for p in only] == [pet["id"]]


async def test_input_is_normalised_to_nfc(client: ApiClient):
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ba"
    conf = await client.ok("POST", "/api/conferences", {**CONF, "chair_name": decomposed}, status=201)
    assert conf["chair_name"] == "Nguyễn Thị Ba"


async def test_every_change_is_audited_and_the_log_is_append_only(client: ApiClient, app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    await client.ok("PATCH", f"/api/conferences/{conf['id']}", {"title": "Tiêu đề mới"})
    log = await client.ok("GET", "/api/audit")
    update = next(e for e in log if e["action"] == "conference.update")
    assert update["before"]["title"] == CONF["title"] and update["after"]["title"] == "Tiêu đề mới"
    assert update["actor"].startswith("user:") and update["at"]
    async with app_server[1][SESSIONMAKER]() as db:
        for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(Exception, match="append-only"):
                async with db.begin():
                    await db.execute(text(sql))


async def test_roles_and_read_only_device_tokens(client: ApiClient, anon: ApiClient):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    await anon.login("viewer1")
    status, resp = await anon.call("POST", "/api/conferences", CONF)
    assert status == 403 and resp["error"]["code"] == "forbidden"
    assert len(await anon.ok("GET", "/api/conferences")) == 1
    dev = await client.ok("POST", "/api/devices", {"name": "Màn hình hội trường", "kind": "display"},
                          status=201)
    token = dev["token"]
    assert token.startswith("dt_")
    listed = await client.ok("GET", "/api/devices")
    assert listed[0]["token"] is None  # shown once only
    bearer = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        device = ApiClient(client.base, http)
        status, body = await device.call("GET", f"/api/conferences/{conf['id']}", headers=bearer)
        assert status == 200 and body["title"] == CONF["title"]
        status, body = await device.call("PATCH", f"/api/conferences/{conf['id']}",
                                         {"title": "x"}, headers=bearer)
        assert status == 403
        await client.ok("DELETE", f"/api/devices/{dev['id']}")
        status, body = await device.call("GET", f"/api/conferences/{conf['id']}", headers=bearer)
        assert status == 401 and body["error"]["code"] == "invalid_token"


async def test_users_admin_and_no_self_lockout(client: ApiClient, anon: ApiClient):
    me = (await client.ok("GET", "/api/session"))["user"]
    status, resp = await client.call("PATCH", f"/api/users/{me['id']}", {"active": False})
    assert status == 409 and resp["error"]["code"] == "self_lockout"
    u = await client.ok("POST", "/api/users", {"username": "thuky", "full_name": "Thư Ký",
                                               "role": "secretary", "password": "12345678"},
                        status=201)
    status, resp = await client.call("POST", "/api/users", {"username": "thuky", "full_name": "B",
                                                            "role": "secretary", "password": "12345678"})
    assert status == 409 and resp["error"]["code"] == "username_taken"
    status, resp = await client.call("POST", "/api/users", {"username": "Thư ký", "full_name": "B",
                                                            "role": "secretary", "password": "1"})
    assert status == 422 and {f["field"] for f in resp["error"]["fields"]} == {"username", "password"}
    await anon.login("thuky", "12345678")
    await client.ok("PATCH", f"/api/users/{u['id']}", {"active": False})
    status, _ = await anon.call("GET", "/api/conferences")
    assert status == 401  # a locked account's sessions end at once


async def test_openapi_document_matches_the_routes(client: ApiClient, app_server):
    _, app = app_server
    doc = await client.ok("GET", "/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    routed = set()
    for r in app.router.routes():
        path = r.resource.canonical if r.resource else ""
        if r.method != "HEAD":
            routed.add((r.method, path))
    api_routes = {(m, p) for m, p in routed if p.startswith("/api/") or p == "/healthz"}
    assert api_routes <= documented, api_routes - documented
    assert documented <= routed, documented - routed  # nothing documented that does not exist
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op.get("summary"), path
            assert "responses" in op


async def test_late_announcement_warns_under_the_2025_law_profile(client: ApiClient):
    from datetime import UTC, datetime, timedelta

    from server.domain.local_time import local_date

    soon = (local_date(datetime.now(UTC)) + timedelta(days=3)).strftime("%Y-%m-%dT08:00")
    conf = await client.ok("POST", "/api/conferences", {**CONF, "starts_at": soon}, status=201)
    assert conf["announcement_warning"] is None  # the seed letter's profile sets no lead time
    status, resp = await client.call("PATCH", "/api/commune", {"rule_profile": "khong-co"})
    assert status == 422 and resp["error"]["code"] == "unknown_rule_profile"
    await client.ok("PATCH", "/api/commune", {"rule_profile": "luat-2025"})
    before = await client.ok("GET", f"/api/conferences/{conf['id']}")
    assert before["announcement_warning"].startswith("Đã quá hạn")
    announced = await client.ok("POST", f"/api/conferences/{conf['id']}/announce")
    assert announced["announcement_warning"].startswith("Thông báo muộn")


def test_docs_copy_of_the_openapi_document_is_current():
    """docs/openapi.json is what `doithoai openapi` prints today (regenerate it when routes change)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "server.cli", "openapi"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == json.loads((root / "docs" / "openapi.json").read_text()), \
        "docs/openapi.json is stale: run `doithoai openapi > docs/openapi.json`"


async def test_the_announcement_warning_counts_the_communes_own_days_off(client: ApiClient):
    """The last day to announce moves back over a day off the commune itself declared,
    as its deadline board does."""
    import re
    from datetime import date, timedelta

    await client.ok("PATCH", "/api/commune", {"rule_profile": "luat-2025"})
    conf = await client.ok("POST", "/api/conferences",
                           {**CONF, "starts_at": "2027-03-26T08:00"}, status=201)
    latest = re.search(r"chậm nhất ngày (\d\d/\d\d/\d{4})", conf["announcement_warning"])
    assert latest, conf["announcement_warning"]
    day = date(*reversed([int(x) for x in latest.group(1).split("/")]))
    await client.ok("PUT", f"/api/calendar/{day.year}/local",
                    {"days": [{"date": day.isoformat(), "name": "Lễ hội đình làng"}]})
    moved = (await client.ok("GET", f"/api/conferences/{conf['id']}"))["announcement_warning"]
    earlier = day - timedelta(days=1)
    while earlier.weekday() >= 5:
        earlier -= timedelta(days=1)
    assert f"chậm nhất ngày {earlier:%d/%m/%Y}" in moved, moved
