"""Transcripts, machine drafts, answers, the petition file and exports, through the
real HTTP API and socket.io, on SQLite and PostgreSQL; speech made by espeak-ng."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import docx
import pytest
import socketio
from aiohttp import web
from sqlalchemy import select

from server.app import Config, create_app
from server.asr.cli import main as cli_main
from server.db.models import AuditEvent, Recording, TranscriptSegment
from server.domain.deadlines import add_working_days
from server.keys import RULES, SESSIONMAKER
from server.transcripts import drafts
from tests.conftest import ADMIN_PASSWORD, ApiClient, free_port
from tests.server.test_queue_realtime import session_cookie
from tests.server.test_record_api import CONF

SPEECH = "Xin chào bà con, hôm nay chúng ta họp bàn về con đường của thôn ba."


def espeak(text: str, target: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(target), text], check=True, capture_output=True)
    return target


def cmd(kind: str, base_version: int = 0, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": base_version, **kw}


async def setup_conference(c: ApiClient) -> tuple[int, int]:
    """A conference and one petition raised during it: (conference id, petition id)."""
    conf = await c.ok("POST", "/api/conferences", CONF, status=201)
    fields = await c.ok("GET", "/api/fields")
    pet = await c.ok("POST", "/api/petitions", {
        "conference_id": conf["id"], "raised_by": "Nguyễn Văn Ấn", "hamlet": "Thôn 3",
        "field_id": fields[0]["id"], "content": "Đề nghị làm đường bê tông thôn 3",
        "source": "during"}, status=201)
    return conf["id"], pet["id"]


async def register(c: ApiClient, cid: int, name: str = "Nguyễn Văn Ấn", **kw: Any) -> str:
    q = await c.ok("GET", f"/api/conferences/{cid}/queue")
    command = cmd("register_turn", q["version"], display_name=name, hamlet="Thôn 3", **kw)
    await c.ok("POST", f"/api/conferences/{cid}/queue/commands", command)
    return command["command_id"]


async def as_user(base: str, http: aiohttp.ClientSession, username: str) -> ApiClient:
    c = ApiClient(base, http)
    await c.login(username, ADMIN_PASSWORD)
    return c


@pytest.fixture
async def speech_server(tmp_path: Path) -> AsyncIterator[tuple[str, web.Application]]:
    """The real server (SQLite) whose microphone is an espeak-ng recording played in a loop.

    The audio path does not depend on the database; PostgreSQL is covered by the
    other tests, which store drafts through the same function."""
    wav = espeak(SPEECH, tmp_path / "speech.wav")
    app = create_app(Config(data_dir=tmp_path / "data", audio_source=f"file:{wav}"))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with app[SESSIONMAKER]() as db, db.begin():
        from server.auth import hash_password
        from server.db.models import User

        admin = (await db.execute(select(User).where(User.username == "admin"))).scalar_one()
        admin.password_hash = hash_password(ADMIN_PASSWORD)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


async def test_a_spoken_turn_gets_a_machine_draft_on_its_petition(speech_server):
    base, app = speech_server
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = await as_user(base, http, "admin")
        cid, pid = await setup_conference(c)
        events: list[tuple[str, Any]] = []
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("transcript:updated", lambda d: events.append(("transcript", d)))
        sio.on("transcription:status", lambda d: events.append(("status", d)))
        await sio.connect(base, headers={"Cookie": session_cookie(c)}, transports=["websocket"])
        try:
            joined = await sio.call("join", {"conference_id": cid})
            assert joined["ok"]
            other = await register(c, cid, "Trần Thị Bé")  # a second turn, not linked
            turn = await register(c, cid, petition_ids=[pid])
            qpath = f"/api/conferences/{cid}/queue/commands"
            q = await c.ok("GET", f"/api/conferences/{cid}/queue")
            await c.ok("POST", qpath, cmd("call_turn", q["version"], turn_id=turn, reason="theo kiến nghị"))
            await c.ok("POST", qpath, cmd("start", q["version"] + 1, turn_id=turn))
            await asyncio.sleep(3.0)
            await c.ok("POST", qpath, cmd("end", q["version"] + 2, turn_id=turn))
            detail: dict[str, Any] = {}
            for _ in range(200):
                detail = await c.ok("GET", f"/api/petitions/{pid}/detail")
                # the full-file pass (a draft from the live captions may come first)
                if detail["turns"] and detail["turns"][0]["transcript"]["engine"] == "viet-asr":
                    break
                await asyncio.sleep(0.2)
            [t] = detail["turns"]
            assert t["id"] == turn and t["id"] != other
            tr = t["transcript"]
            assert len(tr["machine_text"].split()) >= 3, tr
            assert tr["text"] == tr["machine_text"] and tr["origin"] == "machine"
            assert tr["confirmed"] is False and tr["revision"] in (1, 2) and tr["engine"] == "viet-asr"
            [rec] = t["recordings"]
            assert 2.5 <= rec["end_s"] - rec["start_s"] <= 4.5
            assert rec["url"] == f"/api/recordings/{rec['id']}/audio"
            async with http.get(base + rec["url"]) as r:
                assert r.status == 200 and (await r.read())[:4] == b"RIFF"
            # the tablets were told: backlog while it ran, then the draft
            for _ in range(50):
                if any(k == "transcript" for k, _ in events):
                    break
                await asyncio.sleep(0.1)
            drafts_seen = [d for k, d in events if k == "transcript"]
            assert drafts_seen and drafts_seen[-1]["turn_id"] == turn
            assert drafts_seen[-1]["text"] == tr["text"]
            assert any(k == "status" and d["backlog"] >= 1 for k, d in events)
            st = await c.ok("GET", "/api/transcription")
            assert st["running"] and st["done"] == 1 and st["backlog"] == 0
            # a person confirms the draft: no longer marked as machine draft
            ok = await c.ok("POST", f"/api/turns/{turn}/transcript/confirm",
                            {"base_revision": tr["revision"]})
            assert ok["confirmed"] and ok["revision"] == tr["revision"] + 1 and ok["text"] == tr["text"]
            # searching the transcript ignores diacritics
            word = tr["text"].split()[0]
            from server.domain.text import fold

            hits = await c.ok("GET", f"/api/search?q={fold(word)}")
            assert any(h["kind"] == "transcript" and h["id"] == turn for h in hits)
        finally:
            await sio.disconnect()


async def test_two_editors_never_overwrite_each_other(client: ApiClient, app_server):
    base, app = app_server
    cid, pid = await setup_conference(client)
    turn = await register(client, cid, petition_ids=[pid])
    path = f"/api/turns/{turn}/transcript"
    empty = await client.ok("GET", path)
    assert empty["revision"] == 0 and empty["text"] == "" and empty["updated_by"] is None
    await client.ok("POST", "/api/users", {"username": "thuky", "full_name": "Lê Thị Thư",
                                           "role": "secretary", "password": ADMIN_PASSWORD}, status=201)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        other = await as_user(base, http, "thuky")
        a_text = "Ông Ấn đề nghị làm đường bê tông."
        b_text = "Ông An kiến nghị về đường thôn 3."
        (sa, ba), (sb, bb) = await asyncio.gather(
            client.call("PUT", path, {"text": a_text, "base_revision": 0}),
            other.call("PUT", path, {"text": b_text, "base_revision": 0}))
        assert sorted([sa, sb]) == [200, 409], (ba, bb)
        won, lost = (ba, bb) if sa == 200 else (bb, ba)
        mine = b_text if sa == 200 else a_text
        assert lost["error"]["code"] == "edit_conflict"
        cur = lost["error"]["current"]
        assert cur["text"] == won["text"] and cur["revision"] == 1 and cur["updated_by"]
        assert cur["updated_by"] in lost["error"]["message"]
        # the loser resolves it knowingly, from the current revision: both texts kept
        loser = other if sa == 200 else client
        merged = await loser.ok("PUT", path, {"text": f"{won['text']}\n{mine}",
                                              "base_revision": cur["revision"]})
        assert merged["revision"] == 2 and mine in merged["text"] and won["text"] in merged["text"]
    # text is NFC, bounded, and a viewer may not write
    decomposed = "Nguye\u0302\u0303n"
    nfc = await client.ok("PUT", path, {"text": decomposed, "base_revision": 2})
    assert nfc["text"] == "Nguyễn"
    status, body = await client.call("PUT", path, {"text": "a" * 50_001, "base_revision": 3})
    assert status == 422 and body["error"]["fields"][0]["field"] == "text"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        viewer = await as_user(base, http, "viewer1")
        status, body = await viewer.call("PUT", path, {"text": "x", "base_revision": 3})
        assert status == 403
        assert (await viewer.ok("GET", path))["text"] == "Nguyễn"
    status, _ = await client.call("GET", "/api/turns/khong-co/transcript")
    assert status == 404
    async with app[SESSIONMAKER]() as db:
        actions = [a.action for a in (await db.execute(select(AuditEvent).where(
            AuditEvent.entity_id == turn).order_by(AuditEvent.id))).scalars()]
    assert actions.count("transcript.edit") == 3  # the refused write left no trace


async def test_a_draft_never_replaces_what_a_person_wrote(client: ApiClient, app_server):
    _, app = app_server
    cid, pid = await setup_conference(client)
    typed = await register(client, cid, "Người Gõ")
    untouched = await register(client, cid, "Người Chưa Ghi")
    await client.ok("PUT", f"/api/turns/{typed}/transcript", {"text": "Chữ thư ký gõ.", "base_revision": 0})
    # the worker's callback stores drafts exactly like this
    await drafts.save_draft(app, typed, "ban nhap may", "viet-asr")
    await drafts.save_draft(app, untouched, "ban nhap may mot", "viet-asr")
    t1 = await client.ok("GET", f"/api/turns/{typed}/transcript")
    assert (t1["text"], t1["origin"], t1["machine_text"]) == ("Chữ thư ký gõ.", "human", "ban nhap may")
    assert t1["revision"] == 1
    t2 = await client.ok("GET", f"/api/turns/{untouched}/transcript")
    assert (t2["text"], t2["origin"], t2["confirmed"], t2["revision"]) == ("ban nhap may mot", "machine", False, 1)
    # a newer draft refreshes an unconfirmed draft, but not once a person confirmed it
    await drafts.save_draft(app, untouched, "ban nhap may hai", "viet-asr")
    t2 = await client.ok("GET", f"/api/turns/{untouched}/transcript")
    assert t2["text"] == "ban nhap may hai" and t2["revision"] == 2
    await client.ok("POST", f"/api/turns/{untouched}/transcript/confirm", {"base_revision": 2})
    await drafts.save_draft(app, untouched, "ban nhap may ba", "viet-asr")
    t2 = await client.ok("GET", f"/api/turns/{untouched}/transcript")
    assert (t2["text"], t2["machine_text"], t2["confirmed"]) == ("ban nhap may hai", "ban nhap may ba", True)
    # confirming from a stale revision is a conflict too
    status, body = await client.call("POST", f"/api/turns/{typed}/transcript/confirm", {"base_revision": 0})
    assert status == 409 and body["error"]["current"]["text"] == "Chữ thư ký gõ."


async def test_answers_petition_file_and_who_hears_the_audio(client: ApiClient, app_server, tmp_path):
    base, app = app_server
    cid, pid = await setup_conference(client)
    turn = await register(client, cid, petition_ids=[pid])
    url = f"/api/petitions/{pid}/answers"
    status, body = await client.call("POST", url, {"answered_by": "Chủ tịch UBND xã", "outcome": "assigned",
                                                   "unit": "Công chức Địa chính"})
    assert status == 422 and body["error"]["fields"][0]["field"] == "due_date"
    status, body = await client.call("POST", url, {"answered_by": "Chủ tịch UBND xã", "outcome": "hứa"})
    assert status == 422 and body["error"]["fields"][0]["field"] == "outcome"
    status, body = await client.call("POST", url, {"answered_by": "Chủ tịch", "outcome": "forwarded"})
    assert status == 422 and body["error"]["fields"][0]["field"] == "unit"
    status, body = await client.call("POST", url, {"answered_by": "Chủ tịch", "outcome": "assigned",
                                                   "unit": "Địa chính", "due_date": "2026-12-01"})
    assert status == 422 and body["error"]["fields"][0]["code"] == "due_before_petition"
    assert (await client.ok("GET", f"/api/petitions/{pid}"))["status"] == "open"  # nothing written
    # verifying: the reply date defaults to the seed letter's 30 working days
    v = await client.ok("POST", url, {"answered_by": "Ông Nguyễn Văn Chủ, Chủ tịch UBND xã",
                                      "outcome": "verifying", "unit": "Công chức Tư pháp",
                                      "text": "Sẽ xác minh hiện trạng.", "turn_id": turn}, status=201)
    expected = add_working_days(date(2026, 12, 18), 30, app[RULES].calendar())
    assert v["due_date"] == expected.isoformat() and v["outcome_label"].startswith("Cần xác minh")
    assert (await client.ok("GET", f"/api/petitions/{pid}"))["status"] == "verifying"
    a = await client.ok("POST", url, {"answered_by": "Chủ tịch UBND xã", "outcome": "assigned",
                                      "unit": "Công chức Địa chính", "due_date": "2027-01-15",
                                      "text": "Giao khảo sát, lập dự toán."}, status=201)
    assert a["due_date"] == "2027-01-15"
    assert (await client.ok("GET", f"/api/petitions/{pid}"))["status"] == "assigned"
    # a turn of another conference cannot carry the answer
    cid2, _ = await setup_conference(client)
    foreign = await register(client, cid2)
    status, body = await client.call("POST", url, {"answered_by": "X", "outcome": "answered",
                                                   "turn_id": foreign})
    assert status == 422 and body["error"]["code"] == "turn_not_in_conference"
    detail = await client.ok("GET", f"/api/petitions/{pid}/detail")
    assert [x["outcome"] for x in detail["answers"]] == ["verifying", "assigned"]
    assert detail["speaker"] == {"name": "Nguyễn Văn Ấn", "hamlet": "Thôn 3"}
    assert [t["id"] for t in detail["turns"]] == [turn]
    wav = espeak("Đường thôn ba", tmp_path / "turn.wav")
    async with app[SESSIONMAKER]() as db, db.begin():
        db.add(Recording(conference_id=cid, turn_id=turn, path=str(wav), sha256="0" * 64,
                         start_s=1.0, end_s=2.5))
    detail = await client.ok("GET", f"/api/petitions/{pid}/detail")
    url = detail["turns"][0]["recordings"][0]["url"]
    async with client.http.get(client.base + url) as r:
        assert r.status == 200 and await r.read() == wav.read_bytes()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        viewer = await as_user(base, http, "viewer1")
        seen = await viewer.ok("GET", f"/api/petitions/{pid}/detail")
        [rec] = seen["turns"][0]["recordings"]
        assert rec["url"] is None and rec["end_s"] == 2.5
        assert (await viewer.call("GET", url))[0] == 403
        turns = await viewer.ok("GET", f"/api/conferences/{cid}/turns")
        assert turns[0]["recordings"][0]["url"] is None
        status, _ = await viewer.call("POST", f"/api/petitions/{pid}/answers",
                                      {"answered_by": "X", "outcome": "answered"})
        assert status == 403


async def test_exports_read_back_with_vietnamese(client: ApiClient, app_server):
    _, app = app_server
    cid, pid = await setup_conference(client)
    turn = await register(client, cid, petition_ids=[pid])
    qpath = f"/api/conferences/{cid}/queue/commands"
    q = await client.ok("GET", f"/api/conferences/{cid}/queue")
    await client.ok("POST", qpath, cmd("set_phase", q["version"], phase="opinions"))
    await client.ok("POST", qpath, cmd("call_next", q["version"] + 1))
    await client.ok("POST", qpath, cmd("start", q["version"] + 2, turn_id=turn))
    await client.ok("POST", qpath, cmd("end", q["version"] + 3, turn_id=turn))
    await client.ok("PUT", f"/api/turns/{turn}/transcript",
                    {"text": "=Đề nghị xã sớm bê tông hóa đường thôn 3.", "base_revision": 0})
    await client.ok("POST", f"/api/petitions/{pid}/answers", {
        "answered_by": "Ông Nguyễn Văn Chủ", "outcome": "assigned", "unit": "Công chức Địa chính",
        "due_date": "2027-01-15", "text": "Giao khảo sát hiện trạng", "turn_id": turn}, status=201)
    async with client.http.get(f"{client.base}/api/conferences/{cid}/petitions.csv") as r:
        assert r.status == 200 and r.content_type == "text/csv"
        raw = await r.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Số", "Người kiến nghị", "Thôn, tổ dân phố"]
    assert rows[1][1] == "Nguyễn Văn Ấn" and rows[1][10] == "Giao đơn vị giải quyết"
    assert rows[1][12] == "15/01/2027"
    async with client.http.get(f"{client.base}/api/conferences/{cid}/transcripts.csv") as r:
        raw = await r.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Lượt", "Phần hội nghị"]
    assert rows[1][1] == "Nhân dân phát biểu ý kiến"  # spoken in the citizens' part
    assert rows[1][3] == "Nguyễn Văn Ấn" and rows[1][8] == str(pid)
    assert rows[1][9] == "'=Đề nghị xã sớm bê tông hóa đường thôn 3."  # never a formula
    async with client.http.get(f"{client.base}/api/conferences/{cid}/minutes.docx?secretary=Lê Thị Thư") as r:
        assert r.status == 200 and "wordprocessingml" in r.content_type
        body = await r.read()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert "BIÊN BẢN" in text and "Đề nghị xã sớm bê tông hóa đường thôn 3" in text
    assert "Nguyễn Văn Ấn" in text and "Giao khảo sát hiện trạng" in text and "15/01/2027" in text
    assert "Lê Thị Thư" in text
    async with app[SESSIONMAKER]() as db:
        segs = (await db.execute(select(TranscriptSegment))).scalars().all()
    assert len(segs) == 1


def test_transcribe_conference_command_completes_drafts_and_keeps_human_text(tmp_path, capsys):
    """`doithoai transcribe --conference ID` on a database with two recorded turns."""
    data = tmp_path / "data"

    async def prepare() -> tuple[int, str, str]:
        app = create_app(Config(data_dir=data))
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            async with app[SESSIONMAKER]() as db, db.begin():
                from server.auth import hash_password
                from server.db.models import User

                admin = (await db.execute(select(User))).scalar_one()
                admin.password_hash = hash_password(ADMIN_PASSWORD)
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                c = await as_user(f"http://127.0.0.1:{port}", http, "admin")
                cid, pid = await setup_conference(c)
                human = await register(c, cid, "Người Gõ")
                blank = await register(c, cid, "Người Nói", petition_ids=[pid])
                await c.ok("PUT", f"/api/turns/{human}/transcript", {"text": "Thư ký đã ghi.", "base_revision": 0})
            async with app[SESSIONMAKER]() as db, db.begin():
                for i, t in enumerate((human, blank)):
                    wav = espeak(SPEECH, tmp_path / f"{t}.wav")
                    db.add(Recording(conference_id=cid, turn_id=t, path=str(wav), sha256="0" * 64,
                                     start_s=10.0 * i, end_s=10.0 * i + 4))
            return cid, human, blank
        finally:
            await runner.cleanup()

    cid, human, blank = asyncio.run(prepare())
    capsys.readouterr()
    assert cli_main(["transcribe", "--conference", "999", "--data-dir", str(data)]) == 2
    assert "không có hội nghị số 999" in capsys.readouterr().err
    assert cli_main(["transcribe", "--conference", "abc", "--data-dir", str(data)]) == 2
    assert cli_main(["transcribe", "--conference", str(cid), "--data-dir", str(data)]) == 0
    out = capsys.readouterr()
    assert "2 lượt có bản nháp mới (1 thay nội dung), 1 lượt giữ nguyên" in out.out, out
    assert "2/2" in out.err  # the progress bar

    async def read() -> dict[str, Any]:
        from server.db.session import database_url, make_engine, session_factory

        engine = make_engine(database_url(None, data))
        try:
            async with session_factory(engine)() as db:
                return {s.turn_id: s for s in (await db.execute(select(TranscriptSegment))).scalars()}
        finally:
            await engine.dispose()

    segs = asyncio.run(read())
    assert segs[human].text == "Thư ký đã ghi." and segs[human].origin == "human"
    assert len(segs[human].machine_text.split()) >= 3
    assert segs[blank].text == segs[blank].machine_text and segs[blank].origin == "machine"
    assert cli_main(["transcribe", "--conference", str(cid), "--data-dir", str(data)]) == 0
    assert "không có lượt phát biểu nào cần nhận dạng" in capsys.readouterr().out
    # through `doithoai`: --all redoes every turn; the unconfirmed draft is replaced, human text kept
    from server.cli import main as doithoai

    assert doithoai(["transcribe", "--conference", str(cid), "--all", "--data-dir", str(data)]) == 0
    assert "2 lượt có bản nháp mới (1 thay nội dung), 1 lượt giữ nguyên" in capsys.readouterr().out
    after = asyncio.run(read())
    assert after[human].text == "Thư ký đã ghi." and after[blank].revision == segs[blank].revision + 1
