"""Broadcast bulletins (Decree 49/2024) through the real server: upload, schedule, the
scheduler plays them through the live broadcast (heard on /live.mp3), refusals that store
nothing, cancel / play now, and a scheduler that picks the schedule up from the database."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import numpy as np
from sqlalchemy import func, select

from broadcast.analysis import dominant_frequency, read_wav
from server.db.models import Commune, Conference, Recording
from server.followup.bulletins import (
    Bulletin,
    BulletinScheduler,
    audio_check,
    check_play_at,
    due_action,
    final_status,
)
from server.keys import BROADCAST, BULLETIN_SCHEDULER, CONFIG, SESSIONMAKER
from tests.conftest import ApiClient

CONF = {"title": "Hội nghị đối thoại với Nhân dân năm 2026", "starts_at": "2026-02-13T08:00",
        "venue": "Hội trường UBND xã Đức An"}


def sox_tone(path: Path, hz: int, seconds: float) -> bytes:
    subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(path), "synth", str(seconds),
                    "sine", str(hz), "vol", "0.5"], check=True)
    return path.read_bytes()


def iso(delta_s: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_s)).isoformat()


async def upload(client: ApiClient, cid: int, data: bytes, *, filename: str = "ban-tin.wav",
                 title: str = "Bản tin trả lời kiến nghị", play_at: str | None = None) -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("title", title)
    if play_at is not None:
        form.add_field("play_at", play_at)
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    async with client.http.post(f"{client.base}/api/conferences/{cid}/bulletins", data=form,
                                headers={"X-CSRF-Token": client.csrf}) as resp:
        return resp.status, await resp.json()


async def wait_status(client: ApiClient, cid: int, bid: int, want: str, timeout: float) -> dict:
    end = asyncio.get_running_loop().time() + timeout
    while True:
        rows = {b["id"]: b for b in await client.ok("GET", f"/api/conferences/{cid}/bulletins")}
        if rows[bid]["status"] == want or asyncio.get_running_loop().time() > end:
            return rows[bid]
        await asyncio.sleep(0.2)


def tone_blocks(x: np.ndarray, rate: int, hz: float) -> list[int]:
    n = rate // 10
    return [i for i in range(len(x) // n) if np.sqrt(np.mean(x[i * n:(i + 1) * n] ** 2)) > 0.1
            and abs(dominant_frequency(x[i * n:(i + 1) * n], rate) - hz) < 15]


def test_rules():
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert check_play_at(now - timedelta(seconds=50), now) is None
    assert "đã qua" in check_play_at(now - timedelta(minutes=2), now)
    assert "quá xa" in check_play_at(now + timedelta(days=400), now)
    assert due_action(now + timedelta(seconds=1), now) == "wait"
    assert due_action(now - timedelta(minutes=59), now) == "play"
    assert due_action(now - timedelta(minutes=61), now) == "expire"
    assert final_status("played", "playing") == "played"
    assert final_status("stopped", "playing") == "cancelled"
    assert final_status("failed", "playing") == "failed"
    assert final_status("played", "cancelled") is None
    assert audio_check({"streams": [{"codec_type": "video"}]})[1].startswith("Tệp không có âm thanh")
    assert audio_check({"streams": [{"codec_type": "audio"}], "format": {"duration": "0.1"}})[1]
    assert audio_check({"streams": [{"codec_type": "audio"}], "format": {"duration": "12.5"}}) == (12.5, None)


async def test_scheduled_bulletin_is_heard_on_the_mount_and_marked_played(client: ApiClient, app_server, tmp_path):
    base, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    data = sox_tone(tmp_path / "b.wav", 1000, 1.5)
    mp3 = bytearray()

    async def listen() -> None:
        async with aiohttp.ClientSession() as http, http.get(f"{base}/live.mp3") as resp:
            assert resp.status == 200
            async for chunk in resp.content.iter_any():
                mp3.extend(chunk)

    listener = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.5)
        status, made = await upload(client, conf["id"], data, play_at=iso(1.0))
        assert status == 201, made
        assert made["status"] == "scheduled" and abs(made["duration_s"] - 1.5) < 0.05
        assert len(made["sha256"]) == 64 and made["original_name"] == "ban-tin.wav"
        svc = app[BROADCAST]
        assert svc.on_air is False
        assert await wait_for(lambda: svc.on_air, 5)  # on air for the bulletin
        st = await client.ok("GET", "/api/broadcast")
        assert st["on_air"] is True and st["bulletin"]["title"] == "Bản tin trả lời kiến nghị"
        row = await wait_status(client, conf["id"], made["id"], "played", 10)
        assert row["status"] == "played" and row["played_at"] and row["error"] is None
        await asyncio.sleep(1.0)
        assert svc.on_air is False  # back to the state before the bulletin
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
            await listener
    src = tmp_path / "heard.mp3"
    src.write_bytes(bytes(mp3))
    wav = tmp_path / "heard.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-ac", "1", "-ar", "48000", str(wav)],
                   check=True)
    x, rate = read_wav(wav)
    blocks = tone_blocks(x, rate, 1000)
    assert 13 <= len(blocks) <= 16  # 1.5 s of the bulletin in 0.1 s blocks
    mid = x[(blocks[0] + 2) * rate // 10:(blocks[-1] - 1) * rate // 10]
    assert abs(dominant_frequency(mid, rate) - 1000.0) < 2.0
    assert 0.2 < float(np.sqrt(np.mean(mid ** 2))) < 0.5  # the file's level (0.5 FS sine)
    assert not tone_blocks(x, rate, 440)  # off air: the hall's 440 Hz tone never went out
    stored = Path(app[CONFIG].data_dir) / "bulletins" / f"conference-{conf['id']}"
    assert len(list(stored.iterdir())) == 1


async def test_bad_uploads_are_refused_and_nothing_is_stored(client: ApiClient, app_server, anon, tmp_path):
    _, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    good = sox_tone(tmp_path / "b.wav", 600, 1.0)
    status, body = await upload(client, cid, "đây không phải âm thanh".encode() * 50, filename="x.mp3")
    assert status == 422 and body["error"]["code"] == "not_audio"
    assert "không phải tệp âm thanh" in body["error"]["message"]
    status, body = await upload(client, cid, bytes(50 * 1024 * 1024 + 1), filename="big.wav")
    assert status == 413 and body["error"]["code"] == "file_too_large" and "50 MB" in body["error"]["message"]
    status, body = await upload(client, cid, good, play_at=iso(-120))
    assert status == 422 and body["error"]["code"] == "bad_play_at"
    assert body["error"]["fields"][0]["field"] == "play_at"
    status, body = await upload(client, cid, good, title="  ")
    assert status == 422 and body["error"]["fields"][0]["field"] == "title"
    async with app[SESSIONMAKER]() as db, db.begin():
        other = Commune(name="Xã Khác", issuing_body="ỦY BAN NHÂN DÂN XÃ KHÁC", place_name="Khác")
        db.add(other)
        await db.flush()
        theirs = Conference(commune_id=other.id, year=2026, title="Hội nghị xã khác",
                            starts_at=datetime(2026, 2, 1, 1, tzinfo=UTC), venue="Khác",
                            public_slug="xa-khac-2026")
        db.add(theirs)
        await db.flush()
        their_rec = Recording(conference_id=theirs.id, path=str(tmp_path / "b.wav"), sha256="0" * 64)
        db.add(their_rec)
        await db.flush()
        other_cid, other_rec = theirs.id, their_rec.id
    status, body = await upload(client, other_cid, good)
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await client.call("POST", f"/api/conferences/{cid}/bulletins",
                                     {"recording_id": other_rec, "title": "Lượt nói xã khác"})
    assert status == 404
    status, body = await client.call("POST", f"/api/conferences/{cid}/bulletins", raw=b"x",
                                     headers={"Content-Type": "text/plain"})
    assert status == 415
    viewer = ApiClient(client.base, anon.http)
    await viewer.login("viewer1")
    status, _ = await upload(viewer, cid, good)
    assert status == 403
    async with app[SESSIONMAKER]() as db:
        assert (await db.execute(select(func.count(Bulletin.id)))).scalar_one() == 0
    root = Path(app[CONFIG].data_dir) / "bulletins"
    assert [p for p in root.rglob("*") if p.is_file()] == []


async def test_recorded_turn_cancel_play_now_and_a_scheduler_started_later(client: ApiClient, app_server, tmp_path):
    _, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    cid = conf["id"]
    turn_wav = tmp_path / "turn.wav"
    sox_tone(turn_wav, 800, 0.6)
    async with app[SESSIONMAKER]() as db, db.begin():
        rec = Recording(conference_id=cid, path=str(turn_wav), sha256="1" * 64, end_s=0.6)
        db.add(rec)
        await db.flush()
        rec_id = rec.id
    later = await client.ok("POST", f"/api/conferences/{cid}/bulletins",
                            {"recording_id": rec_id, "title": "Trả lời ông Cường", "play_at": iso(3600)},
                            status=201)
    assert later["recording_id"] == rec_id and later["status"] == "scheduled"
    cancelled = await client.ok("DELETE", f"/api/conferences/{cid}/bulletins/{later['id']}")
    assert cancelled["status"] == "cancelled"
    status, body = await client.call("DELETE", f"/api/conferences/{cid}/bulletins/{later['id']}")
    assert status == 409
    # The scheduler is down (as during a restart): the schedule waits in the database.
    sched = app[BULLETIN_SCHEDULER]
    await sched.stop(app)
    again = await client.ok("POST", f"/api/conferences/{cid}/bulletins/{later['id']}/play-now", {})
    assert again["status"] == "scheduled"
    await asyncio.sleep(1.0)
    assert (await wait_status(client, cid, later["id"], "played", 0))["status"] == "scheduled"
    async with app[SESSIONMAKER]() as db, db.begin():
        commune_id = (await db.get(Conference, cid)).commune_id
        stuck = Bulletin(commune_id=commune_id, conference_id=cid,
                         title="Đang phát khi máy chủ dừng", audio_path="bulletins/none.wav", sha256="2" * 64,
                         play_at=datetime.now(UTC), status="playing")
        db.add(stuck)
        await db.flush()
        stuck_id = stuck.id
    assert isinstance(sched, BulletinScheduler)
    await sched.start(app)  # what the server does at start-up: recover, then play what is due
    try:
        row = await wait_status(client, cid, later["id"], "played", 10)
        assert row["status"] == "played"
        rows = {b["id"]: b for b in await client.ok("GET", f"/api/conferences/{cid}/bulletins")}
        assert rows[stuck_id]["status"] == "failed" and "Máy chủ dừng" in rows[stuck_id]["error"]
    finally:
        await sched.stop(app)


async def wait_for(predicate, timeout: float) -> bool:
    end = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < end:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()
