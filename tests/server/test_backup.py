"""Backups that restore: the rules of the manifest, names, retention and schedule (pure);
a backup made by `doithoai backup` while the real server goes on writing, restored by
`doithoai restore` into a fresh folder and database, served again with the same record,
on SQLite and PostgreSQL; a tampered or misplaced restore refused."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from server import cli
from server.backup import backup as b
from server.backup import store
from server.backup import web as backup_web
from server.db.models import Recording
from server.keys import CONFIG, SESSIONMAKER
from tests.conftest import ROOT, ApiClient, create_pg_database, drop_pg_database, free_port
from tests.server.test_followup_support import setup_commune
from tests.server.test_queue_realtime import cmd
from tests.server.test_record_api import CONF

H = "a" * 64


def at(text: str) -> datetime:
    """A Vietnam wall-clock time as a UTC instant."""
    return datetime.fromisoformat(text + "+07:00").astimezone(UTC)


# -- the rules ---------------------------------------------------------------------------------

def test_manifest_lists_every_file_and_refuses_what_changed():
    made = at("2026-03-05T02:00")
    m = b.build_manifest([b.Entry("data/recordings/conference-1/t.wav", H, 10),
                          b.Entry(b.DB_FILES["sqlite"], "b" * 64, 4096)],
                         db_kind="sqlite", alembic_revision="0008", version="0.1.0",
                         created_at=made, data_dir="/srv/data")
    back = b.parse_manifest(json.dumps(m))
    assert back["db_kind"] == "sqlite" and back["alembic_revision"] == "0008"
    assert back["version"] == "0.1.0" and back["created_at"] == "2026-03-04T19:00:00+00:00"
    assert [f["path"] for f in back["files"]] == ["data/recordings/conference-1/t.wav",
                                                  "database/doithoai.sqlite3"]
    assert back["total_size"] == 4106
    wav = b.entries(back)[0]
    assert b.problem(wav, wav) is None
    changed = b.problem(wav, b.Entry(wav.path, "c" * 64, 10))
    assert "data/recordings/conference-1/t.wav" in changed and "SHA-256" in changed
    assert "Thiếu tệp" in b.problem(wav, None)
    msg = b.refusal([changed, "khác"])
    assert msg.startswith("Không khôi phục: Tệp data/recordings") and "1 tệp khác" in msg
    for path in ("../etc/passwd", "/etc/passwd", "data/../../x", ""):
        bad = {**m, "files": [*m["files"], {"path": path, "sha256": H, "size": 1}]}
        with pytest.raises(b.BackupError, match="đường dẫn không hợp lệ"):
            b.parse_manifest(json.dumps(bad))
    with pytest.raises(b.BackupError, match="không phải của Đối Thoại"):
        b.parse_manifest("{}")
    with pytest.raises(b.BackupError, match="mới hơn"):
        b.check_revision("9999", ["0001", "0008"])


def test_what_a_backup_holds_its_name_and_which_old_ones_go():
    assert b.wanted("recordings/conference-3/t.wav") and b.wanted("phone-secret")
    assert b.wanted("calendar-overrides/2026.json") and b.wanted("documents/4/x.docx")
    assert not b.wanted("cache/model.bin") and not b.wanted("doithoai.sqlite3")
    assert not b.wanted("bulletins/.incoming/up.wav") and not b.wanted("phone-secret.tmp")
    assert b.folder_name(at("2026-03-05T02:00:07")) == "doithoai-20260305-020007"
    assert b.folder_name(at("2026-03-05T02:00:07"), ["doithoai-20260305-020007"]) == \
        "doithoai-20260305-020007-2"
    names = ["doithoai-20260303-020000", ".doithoai-20260306-020000.partial", "notes.txt",
             "doithoai-20260305-020000", "doithoai-20260305-020000-2", "doithoai-20260304-020000"]
    assert b.backup_names(names) == ["doithoai-20260303-020000", "doithoai-20260304-020000",
                                     "doithoai-20260305-020000", "doithoai-20260305-020000-2"]
    assert b.to_prune(names, 2) == ["doithoai-20260303-020000", "doithoai-20260304-020000"]
    assert b.to_prune(names, 7) == [] and len(b.to_prune(names, 0)) == 3  # one is always kept


def test_nightly_schedule_status_and_relocated_recordings():
    now = at("2026-03-05T10:00")
    assert b.next_backup_at(now, None) == now  # none yet: at start
    assert b.next_backup_at(now, at("2026-03-04T09:00")) == now  # a day old: at start
    assert b.next_backup_at(now, at("2026-03-05T02:00")) == at("2026-03-06T02:00")
    assert b.next_backup_at(at("2026-03-05T01:00"), at("2026-03-04T09:00")) == at("2026-03-05T02:00")
    # the server was off at 02:00: once the last one is a day old
    assert b.next_backup_at(now, at("2026-03-04T14:00")) == at("2026-03-05T14:00")

    fresh = {"at": at("2026-03-05T02:00"), "size": 10, "folder": "/b/doithoai-20260305-020000"}
    ok = b.status(enabled=True, keep=7, last=fresh, now=now)
    assert ok["stale"] is False and ok["message"] is None and ok["last"]["size"] == 10
    old = b.status(enabled=True, keep=7, last={**fresh, "at": at("2026-03-04T02:00")}, now=now)
    assert old["stale"] is True and old["message"] == "Bản sao lưu gần nhất đã cũ hơn một ngày."
    assert b.status(enabled=True, keep=7, last=None, now=now)["stale"] is True
    off = b.status(enabled=False, keep=7, last=None, now=now)
    assert off["stale"] is False and "--backup-dir" in off["message"]
    failed = b.status(enabled=True, keep=7, last=fresh, now=now, last_error="đĩa đầy")
    assert failed["message"].endswith("không thành công: đĩa đầy")

    assert b.relocated("/srv/old/recordings/conference-2/t1.wav", "/srv/new") == \
        "/srv/new/recordings/conference-2/t1.wav"
    assert b.relocated("data/recordings/conference-2/t1.wav", "/srv/new") == \
        "/srv/new/recordings/conference-2/t1.wav"
    assert b.relocated("/tmp/elsewhere.wav", "/srv/new") is None


# -- the real thing ----------------------------------------------------------------------------

@asynccontextmanager
async def served(data_dir: Path, db_url: str | None) -> AsyncIterator[tuple[ApiClient, Any]]:
    """The restored server on a loopback port, a client logged in as its admin, the app."""
    from aiohttp import web

    from server.app import Config, create_app

    app = create_app(Config(data_dir=data_dir, db_url=db_url))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            c = ApiClient(f"http://127.0.0.1:{port}", http)
            await c.login()
            yield c, app
    finally:
        await runner.cleanup()


async def record(c: ApiClient, cid: int) -> dict:
    """What must come back identical: the conference, its queue, documents, recordings."""
    queue = await c.ok("GET", f"/api/conferences/{cid}/queue")
    docs = await c.ok("GET", f"/api/conferences/{cid}/documents")
    recs = await c.ok("GET", f"/api/conferences/{cid}/recordings")
    audio = []
    for r in recs:
        async with c.http.get(c.base + r["url"]) as resp:
            assert resp.status == 200
            audio.append(hashlib.sha256(await resp.read()).hexdigest())
    conf = await c.ok("GET", f"/api/conferences/{cid}")
    return {"conference": {k: conf[k] for k in ("id", "title", "starts_at", "venue", "status")},
            "queue": (queue["version"], queue["order"], queue["state"]),
            "documents": [(d["id"], d["status"], d["number"], d["seq"]) for d in docs],
            "recordings": [(r["id"], r["sha256"]) for r in recs], "audio": audio}


async def cli_run(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_backup_while_writing_restores_the_same_record(client: ApiClient, app_server, db_url,
                                                            tmp_path, capsys):
    _, app = app_server
    data_dir = app[CONFIG].data_dir
    await setup_commune(client)
    cid = (await client.ok("POST", "/api/conferences", CONF, status=201))["id"]
    qpath = f"/api/conferences/{cid}/queue/commands"
    await client.ok("POST", qpath, cmd("register_turn", 0, display_name="Lê Văn Tám", hamlet="Thôn 1"))
    await client.ok("POST", qpath, cmd("register_turn", 1, display_name="Trần Thị Chín", hamlet="Thôn 2"))
    doc = await client.ok("POST", f"/api/conferences/{cid}/documents", {"kind": "invitation"}, status=201)
    doc = await client.ok("POST", f"/api/documents/{doc['id']}/issue", {"issued_on": "2026-12-01"})
    async with client.http.get(f"{client.base}/api/documents/{doc['id']}/docx") as resp:
        assert resp.status == 200  # the issued document's file, in the data folder
    wav = data_dir / "recordings" / f"conference-{cid}" / "luot-1.wav"
    wav.parent.mkdir(parents=True)
    wav.write_bytes(b"RIFF" + bytes(range(256)) * 64)
    async with app[SESSIONMAKER]() as db, db.begin():
        db.add(Recording(conference_id=cid, path=str(wav), sha256=store.hash_file(wav)[0]))
    before = await record(client, cid)
    fields = await client.ok("GET", "/api/fields")

    written: list[int] = []
    stop = asyncio.Event()

    async def writer() -> None:
        while not stop.is_set():
            p = await client.ok("POST", "/api/petitions", {
                "conference_id": cid, "raised_by": f"Người {len(written)}", "hamlet": "Thôn 4",
                "field_id": fields[0]["id"], "content": "Đề nghị sửa cầu", "source": "during"},
                status=201)
            written.append(p["id"])
            if len(written) % 5 == 0:
                await client.ok("POST", "/api/conferences", {**CONF, "title": f"Hội nghị {len(written)}"},
                                status=201)

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    during = len(written)
    rc, out, err = await cli_run("backup", str(tmp_path / "backups"), "--data-dir", str(data_dir),
                                 "--db", db_url)
    assert rc == 0, err
    stop.set()
    await task
    assert len(written) > during  # the server went on writing meanwhile
    folder = Path(out.split()[-1])
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("doithoai-")
    manifest = store.verify(folder)
    assert manifest["db_kind"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    paths = {f["path"] for f in manifest["files"]}
    assert f"data/recordings/conference-{cid}/luot-1.wav" in paths and "data/phone-secret" in paths
    assert any(p.startswith(f"data/documents/{doc['id']}/") for p in paths)

    # a tampered copy is refused, naming the file, and nothing is written
    bad = tmp_path / "tampered"
    shutil.copytree(folder, bad)
    with open(bad / f"data/recordings/conference-{cid}/luot-1.wav", "r+b") as f:
        f.write(b"RIFX")
    target = tmp_path / "restored"
    assert await asyncio.to_thread(cli.main, ["restore", str(bad), "--data-dir", str(target)]) == 2
    said = capsys.readouterr().err
    assert f"data/recordings/conference-{cid}/luot-1.wav" in said and "SHA-256" in said
    assert not target.exists()
    # a data folder in use is refused
    with pytest.raises(b.BackupError, match="không trống"):
        await store.restore(folder, data_dir, None if db_url.startswith("sqlite") else db_url)

    new_url = None if db_url.startswith("sqlite") else await asyncio.to_thread(create_pg_database)
    try:
        rc, out, err = await cli_run("restore", str(folder), "--data-dir", str(target),
                                     *(["--db", new_url] if new_url else []))
        assert rc == 0, err
        assert "Đã khôi phục" in out
        async with served(target, new_url) as (restored, new_app):
            assert await record(restored, cid) == before
            async with new_app[SESSIONMAKER]() as db:  # the audio is the restored folder's
                paths = (await db.execute(select(Recording.path))).scalars().all()
            assert paths == [str(target.resolve() / wav.relative_to(data_dir))]
            got = {p["id"] for p in await restored.ok("GET", f"/api/petitions?conference_id={cid}")}
            # one consistent moment: what was written before the backup, nothing after it ended
            assert set(written[:during]) <= got <= set(written)
        with pytest.raises(b.BackupError, match="đã có|không trống"):  # not twice into the same
            await store.restore(folder, tmp_path / "again", new_url or f"sqlite:///{target}/doithoai.sqlite3")
    finally:
        if new_url:
            await asyncio.to_thread(drop_pg_database, new_url)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_nightly_backup_keeps_the_count_and_reports_its_status(client: ApiClient, app_server,
                                                                     tmp_path):
    _, app = app_server
    status = await client.ok("GET", "/api/backups/status")
    assert status["enabled"] is False and status["last"] is None and status["stale"] is False
    config = app[CONFIG]
    config.backup_dir, config.backup_keep = tmp_path / "nightly", 2
    status = await client.ok("GET", "/api/backups/status")
    assert status["stale"] is True and status["message"] == "Chưa có bản sao lưu nào."
    # three nights' backups, then one now: the two newest stay
    for day in (1, 2, 3):
        store.make_backup(config.backup_dir, config.data_dir, config.db_url,
                          now=datetime(2026, 3, day, 19, tzinfo=UTC) - timedelta(days=1))
    old = await client.ok("GET", "/api/backups/status")
    assert old["stale"] is True and old["message"] == b.STALE_MESSAGE
    job = asyncio.create_task(backup_web._loop(app))  # the last is old: one backup at once
    try:
        for _ in range(100):
            status = await client.ok("GET", "/api/backups/status")
            if not status["stale"] and datetime.fromisoformat(status["next_at"]) > \
                    datetime.fromisoformat(status["last"]["at"]):
                break  # made, and the next one planned
            await asyncio.sleep(0.1)
    finally:
        job.cancel()
    assert status["stale"] is False and status["message"] is None
    folder = Path(status["last"]["folder"])
    assert sorted(p.name for p in config.backup_dir.iterdir()) == ["doithoai-20260303-020000",
                                                                   folder.name]
    assert status["last"]["size"] > 0 and datetime.fromisoformat(status["next_at"]) == \
        b.next_backup_at(datetime.now(UTC), datetime.fromisoformat(status["last"]["at"]))
    viewer = ApiClient(client.base, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
    async with viewer.http:
        await viewer.login("viewer1")
        code, body = await viewer.call("GET", "/api/backups/status")
        assert code == 403
