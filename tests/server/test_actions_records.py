"""The conference record's changes as actions: the status rule itself, refusals that write
nothing, the audit log's filters and CSV, a person's own password change, and the
command line adding an account with the same action as the API."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from server.actions.accounts.add_user import AddUser
from server.actions.conferences.set_status import SetConferenceStatus
from server.auth import Actor
from server.cli import main as cli
from server.db.models import AuditEvent
from server.domain.conferences import (
    SETTABLE,
    TRANSITIONS,
    ConferenceStatus,
    announced_status,
    next_status,
)
from server.domain.errors import Conflict, Forbidden
from server.domain.local_time import local_date
from server.keys import EXECUTOR, SESSIONMAKER
from tests.conftest import ADMIN_PASSWORD, ApiClient
from tests.server.test_record_api import CONF

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
S = ConferenceStatus


# ---- the status rule, directly ------------------------------------------------------------


def test_status_moves_forward_only():
    for now in S:
        for to in SETTABLE:
            if to in TRANSITIONS[now]:
                assert next_status(now, to) == to
            else:
                with pytest.raises(Conflict) as refused:
                    next_status(now, to)
                assert refused.value.code == "status_not_allowed"
                assert "không chuyển sang" in refused.value.message
    assert TRANSITIONS[S.PLANNED] == TRANSITIONS[S.ANNOUNCED] == {S.HELD, S.CLOSED, S.CANCELLED}
    assert TRANSITIONS[S.HELD] == {S.CLOSED}
    assert TRANSITIONS[S.CLOSED] == TRANSITIONS[S.CANCELLED] == frozenset()
    with pytest.raises(Conflict):
        next_status(S.PLANNED, S.ANNOUNCED)  # announcing is its own action


def test_announcing_keeps_a_later_status_and_refuses_an_ended_one():
    assert announced_status(S.PLANNED) == S.ANNOUNCED
    assert announced_status(S.ANNOUNCED) == S.ANNOUNCED
    assert announced_status(S.HELD) == S.HELD
    for final in (S.CLOSED, S.CANCELLED):
        with pytest.raises(Conflict) as refused:
            announced_status(final)
        assert refused.value.code == "not_announceable"


# ---- refusals write nothing -----------------------------------------------------------------


async def _audit_count(app) -> int:
    async with app[SESSIONMAKER]() as db:
        return (await db.execute(select(func.count(AuditEvent.id)))).scalar_one()


@SQLITE
async def test_set_status_refuses_without_permission_or_with_bad_input(
        client: ApiClient, anon: ApiClient, app_server):
    _, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    path = f"/api/conferences/{conf['id']}/status"
    await anon.login("viewer1")
    before = await _audit_count(app)
    status, body = await anon.call("POST", path, {"status": "held"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    viewer = Actor(kind="user", commune_id=1, role="viewer", name="Người Xem", user_id=2)
    with pytest.raises(Forbidden):  # the same refusal without HTTP
        await app[EXECUTOR].run(SetConferenceStatus(), viewer,
                                {"conference_id": conf["id"], "status": "held"})
    for bad, field in (({"status": "announced"}, "status"), ({"status": "held", "x": 1}, "x"),
                       ({"status": "held", "reason": "x" * 501}, "reason"), ({}, "status")):
        status, body = await client.call("POST", path, bad)
        assert status == 422 and field in {f["field"] for f in body["error"]["fields"]}, body
    status, body = await client.call("POST", "/api/conferences/99999/status", {"status": "held"})
    assert status == 404
    assert await _audit_count(app) == before
    assert (await client.ok("GET", f"/api/conferences/{conf['id']}"))["status"] == "planned"


@SQLITE
async def test_status_transitions_over_http_are_audited(client: ApiClient, app_server):
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    path = f"/api/conferences/{conf['id']}/status"
    held = await client.ok("POST", path, {"status": "held", "reason": "Đã họp ngày 18/12"})
    assert held["status"] == "held" and held["id"] == conf["id"]
    before = await _audit_count(app_server[1])
    status, body = await client.call("POST", path, {"status": "cancelled"})
    assert status == 409 and body["error"]["code"] == "status_not_allowed"
    assert "Đã tổ chức" in body["error"]["message"]
    assert await _audit_count(app_server[1]) == before
    assert (await client.ok("POST", path, {"status": "closed"}))["status"] == "closed"
    status, body = await client.call("POST", f"/api/conferences/{conf['id']}/announce")
    assert status == 409 and body["error"]["code"] == "not_announceable"
    log = await client.ok("GET", f"/api/audit?action=conference.set_status&conference_id={conf['id']}")
    assert [(e["before"], e["after"], e["reason"]) for e in log] == [
        ({"status": "held"}, {"status": "closed"}, ""),
        ({"status": "planned"}, {"status": "held"}, "Đã họp ngày 18/12")]


# ---- the audit log: filters and CSV -------------------------------------------------------


async def test_audit_filters_and_csv(client: ApiClient, anon: ApiClient):
    a = await client.ok("POST", "/api/conferences", CONF, status=201)
    b = await client.ok("POST", "/api/conferences", {**CONF, "title": "Hội nghị khác"}, status=201)
    base = f"/api/conferences/{a['id']}/participants"
    p = await client.ok("POST", base, {"full_name": "Y Bhiăm Niê"}, status=201)
    await client.ok("DELETE", f"{base}/{p['id']}")
    await client.ok("PATCH", f"/api/conferences/{b['id']}", {"venue": "Nhà văn hóa"})
    me = (await client.ok("GET", "/api/session"))["user"]

    about_a = await client.ok("GET", f"/api/audit?conference_id={a['id']}")
    assert [e["action"] for e in about_a] == ["participant.remove", "participant.add",
                                              "conference.create"]
    assert [e["action"] for e in await client.ok(
        "GET", f"/api/audit?conference_id={a['id']}&action=participant.")] == [
        "participant.remove", "participant.add"]
    mine = await client.ok("GET", f"/api/audit?user_id={me['id']}&action=conference")
    assert [e["entity_id"] for e in mine] == [str(b["id"]), str(b["id"]), str(a["id"])]
    assert await client.ok("GET", f"/api/audit?user_id={me['id'] + 100}") == []
    assert len(await client.ok("GET", "/api/audit?actor=Qu%E1%BA%A3n%20tr%E1%BB%8B")) >= 5
    today = local_date(datetime.now(UTC))
    day = today.isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert len(await client.ok("GET", f"/api/audit?date_from={day}&date_to={day}"
                                      f"&conference_id={a['id']}")) == 3
    assert await client.ok("GET", f"/api/audit?date_to={yesterday}") == []
    status, body = await client.call("GET", "/api/audit?date_from=2026-02-30")
    assert status == 422 and body["error"]["fields"][0]["field"] == "date_from"

    await client.ok("POST", f"/api/conferences/{b['id']}/status",
                    {"status": "cancelled", "reason": "=1+1 (mưa bão)"})
    async with client.http.get(client.base + f"/api/audit.csv?conference_id={b['id']}") as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        assert "attachment" in resp.headers["Content-Disposition"]
        raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Số", "Thời điểm", "Người thực hiện", "Thao tác", "Đối tượng",
                       "Mã đối tượng", "Trước", "Sau", "Lý do", "Tên thao tác"]
    assert [r[3] for r in rows[1:]] == ["conference.set_status", "conference.update",
                                        "conference.create"]
    assert rows[1][6:] == ['{"status": "planned"}', '{"status": "cancelled"}',
                           "'=1+1 (mưa bão)",  # never a formula in a spreadsheet
                           "Đổi trạng thái hội nghị"]
    assert rows[1][2] == f"user:{me['id']}:Quản trị viên"
    assert datetime.strptime(rows[1][1], "%d/%m/%Y %H:%M:%S").date() == today
    await anon.login("viewer1")
    status, _ = await anon.call("GET", "/api/audit.csv")
    assert status == 403


# ---- one's own password ---------------------------------------------------------------------


@SQLITE
async def test_password_change(client: ApiClient, app_server):
    base, app = app_server
    path = "/api/session/password"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        other = ApiClient(base, http)
        await other.login()  # the same account on another tablet
        before = await _audit_count(app)
        status, body = await client.call("POST", path, {"old_password": "sai-mat-khau",
                                                        "new_password": "mat-khau-moi-1"})
        assert status == 403 and body["error"]["code"] == "wrong_password"
        status, body = await client.call("POST", path, {"old_password": ADMIN_PASSWORD,
                                                        "new_password": "ngan"})
        assert status == 422 and body["error"]["fields"][0]["field"] == "new_password"
        status, body = await client.call("POST", path, {"old_password": ADMIN_PASSWORD,
                                                        "new_password": ADMIN_PASSWORD})
        assert status == 422 and body["error"]["code"] == "same_password"
        assert await _audit_count(app) == before
        assert await client.ok("POST", path, {"old_password": ADMIN_PASSWORD,
                                              "new_password": "mat-khau-moi-1"}) == {"ok": True}
        status, _ = await other.call("GET", "/api/session")
        assert status == 401  # the other session ended at once
        assert (await client.ok("GET", "/api/session"))["user"]["username"] == "admin"
        await other.login("admin", "mat-khau-moi-1")
    [event] = await client.ok("GET", "/api/audit?action=user.change_password")
    assert event["before"] is None and event["after"] is None


# ---- the command line runs the same action ------------------------------------------------


def test_cli_user_add_goes_through_the_executor(tmp_path: Path, capsys, monkeypatch):
    ran: list[str] = []
    original = AddUser.run

    async def counted(self, ctx, data):
        ran.append(ctx.actor.label)
        return await original(self, ctx, data)

    monkeypatch.setattr(AddUser, "run", counted)
    args = ["user", "add", "thu-ky", "--name", "Thư Ký", "--role", "secretary",
            "--password", "mat-khau-dai", "--data-dir", str(tmp_path)]
    assert cli(args) == 0
    assert "Đã tạo tài khoản thu-ky (secretary)" in capsys.readouterr().out
    assert cli(args) == 2  # the action's own refusal
    assert "“thu-ky” đã có người dùng" in capsys.readouterr().err
    assert ran == ["console::doithoai user add"] * 2
    assert cli(["user", "add", "x", "--name", " ", "--role", "secretary", "--password", "1",
                "--data-dir", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "username:" in err and "full_name:" in err and "password:" in err
    assert not (tmp_path / "none").exists()  # refused before any database was made
    with sqlite3.connect(tmp_path / "doithoai.sqlite3") as db:
        rows = db.execute("SELECT actor, action FROM audit_event WHERE action = 'user.add' "
                          "ORDER BY id").fetchall()
    assert rows == [("system", "user.add"), ("console::doithoai user add", "user.add")]
