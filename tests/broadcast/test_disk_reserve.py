"""The disk reserve: the recording stops before the disk is full, says so on the tablets, the
rest of the server keeps writing, and recording resumes into a new segment when space is back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from yarl import URL

from broadcast.analysis import read_wav
from broadcast.audio import SAMPLE_RATE
from broadcast.disk import (
    HEADROOM_BYTES,
    MIB,
    Reserve,
    decide,
    disk_full_message,
    format_size,
    parse_reserve,
    resume_margin,
)
from broadcast.recorder import Recorder
from tests.broadcast.conftest import wait_for
from tests.broadcast.test_recorder import T0, feed
from tests.conftest import ApiClient, free_port
from tests.server.test_queue_realtime import cmd
from tests.server.test_record_api import CONF

GIB = 1024 * MIB


# -- the pure part ---------------------------------------------------------------------------------
def test_parse_reserve():
    assert parse_reserve(None) == parse_reserve("") == Reserve(200 * MIB, 2.0)
    assert parse_reserve("200MB") == Reserve(200 * MIB, 0.0)
    assert parse_reserve("1,5 GB") == parse_reserve("1.5G") == Reserve(int(1.5 * GIB), 0.0)
    assert parse_reserve("2%") == Reserve(0, 2.0)
    assert parse_reserve("0") == Reserve(0, 0.0)
    assert parse_reserve("123456b").min_bytes == 123456
    for bad in ("lots", "200 parsecs", "-5MB", "95%"):
        with pytest.raises(ValueError, match="disk reserve"):
            parse_reserve(bad)


def test_default_reserve_is_the_larger_of_200mb_and_2_percent():
    r = Reserve()
    assert r.bytes_for(4 * GIB) == 200 * MIB  # 2 % would be 82 MB
    assert r.bytes_for(1000 * GIB) == 20 * GIB


def test_decide_with_hysteresis():
    total, r = 100 * GIB, Reserve(200 * MIB, 0.0)
    need = 200 * MIB
    assert decide(need + HEADROOM_BYTES + 1, total, r, recording=True) == "record"
    assert decide(need + HEADROOM_BYTES, total, r, recording=True) == "stop"
    assert decide(10 * MIB, total, r, recording=True) == "stop"
    # stopped: just above the reserve is not enough, it waits for the margin
    assert decide(need + HEADROOM_BYTES + 1, total, r, recording=False) == "wait"
    back = need + HEADROOM_BYTES + resume_margin(need)
    assert decide(back - 1, total, r, recording=False) == "wait"
    assert decide(back, total, r, recording=False) == "resume"
    assert resume_margin(need) == 10 * MIB and resume_margin(0) == 4 * MIB
    # a share of the filesystem
    assert decide(3 * GIB, total, Reserve(0, 2.0), recording=True) == "record"
    assert decide(2 * GIB, total, Reserve(0, 2.0), recording=True) == "stop"


def test_message():
    assert format_size(180 * MIB) == "180 MB" and format_size(int(4.5 * MIB)) == "4,5 MB"
    assert format_size(int(1.5 * GIB)) == "1,5 GB" and format_size(4 * MIB) == "4 MB"
    assert format_size(0) == "0 MB" and format_size(20 * GIB) == "20 GB"
    assert disk_full_message(180 * MIB, 200 * MIB).startswith(
        "Đĩa gần đầy: đã dừng ghi âm để giữ chỗ cho dữ liệu hội nghị (còn 180 MB, cần giữ 200 MB).")


# -- the recorder with a simulated filesystem -------------------------------------------------------
class FakeDisk:
    def __init__(self, free: int, total: int = 10 * GIB) -> None:
        self.free, self.total, self.calls = free, total, 0

    def __call__(self, path: str) -> tuple[int, int, int]:
        self.calls += 1
        return self.total, self.total - self.free, self.free


def test_recorder_stops_closes_a_valid_file_and_resumes_in_a_new_segment(tmp_path):
    fake = FakeDisk(free=200 * MIB + HEADROOM_BYTES + 300_000)  # ~3 s of audio above the reserve
    rec = Recorder(tmp_path / "rec", disk_reserve=Reserve(200 * MIB, 0.0), disk_usage=fake)
    assert rec.disk is not None
    rec.disk.interval = 1e9  # no background measurement: the test measures when it wants
    t = feed(rec, T0, 5.0, 440.0)
    assert rec.state == "stopped_disk_full"
    st = rec.status()
    assert st["message"].startswith("Đĩa gần đầy: đã dừng ghi âm") and "cần giữ 200 MB" in st["message"]
    assert st["current_file"] is None and st["disk"]["reserve_bytes"] == 200 * MIB
    assert st["gaps"] == [{"reason": "disk_full", "from_utc": st["gaps"][0]["from_utc"], "to_utc": None}]
    recorded = rec.total_seconds
    assert 2.5 < recorded < 3.2  # it stopped before the reserve, from the written bytes alone
    x, rate = read_wav(rec.folder / rec.segments[0].file)  # closed properly: header = data
    assert rate == SAMPLE_RATE and len(x) == rec.segments[0].samples
    assert fake.calls == 1  # one measurement at start-up, none per frame

    t = feed(rec, t, 1.0, 440.0)  # still stopped: nothing written
    assert rec.total_seconds == recorded
    fake.free = 200 * MIB + 2 * MIB  # above the reserve but not above the margin
    rec.disk.measure_now()
    t = feed(rec, t, 1.0, 440.0)
    assert rec.state == "stopped_disk_full"
    fake.free = 5 * GIB  # space is back
    rec.disk.measure_now()
    feed(rec, t, 1.0, 440.0)
    assert rec.state == "recording" and rec.status()["message"] is None
    assert len(rec.segments) == 2 and rec.segments[1].start == pytest.approx(t, abs=0.03)
    gap = rec.gaps()[-1]
    assert gap["from_utc"] < gap["to_utc"]
    rec.close()
    # the gap is in the index and survives a restart and a retention rewrite
    again = Recorder(tmp_path / "rec")
    assert [e["event"] for e in again.events] == ["stopped", "resumed"]
    assert again.gaps() == rec.gaps()
    assert again.total_seconds == pytest.approx(recorded + 1.0, abs=0.03)


def test_a_full_disk_error_stops_like_the_reserve(tmp_path):
    import errno

    rec = Recorder(tmp_path / "rec", disk_reserve=Reserve(0, 0.0), disk_usage=FakeDisk(5 * GIB))
    assert rec.disk is not None
    rec.disk.interval = 1e9
    t = feed(rec, T0, 1.0, 440.0)
    real_write = rec._write

    def no_space(pcm: bytes, at: float) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    rec._write = no_space  # type: ignore[method-assign]
    t = feed(rec, t, 0.1, 440.0)
    assert rec.state == "stopped_disk_full" and rec._fh is None
    rec._write = real_write  # type: ignore[method-assign]
    t = feed(rec, t, 0.5, 440.0)  # the measurement taken before the error does not resume it
    assert rec.state == "stopped_disk_full"
    rec.disk.measure_now()
    feed(rec, t, 0.5, 440.0)
    assert rec.state == "recording" and len(rec.segments) == 2


# -- the real server on a (small) filesystem ---------------------------------------------------------
@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """A 24 MB tmpfs in tmp_path when this process may mount one (root); else tmp_path itself."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    mounted = False
    if os.geteuid() == 0 and shutil.which("mount"):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs",
                                  str(mnt)], capture_output=True).returncode == 0
    try:
        yield mnt, mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def broadcast_of(app: web.Application) -> Any:
    from server.keys import BROADCAST

    return app[BROADCAST]


async def test_full_disk_stops_recording_and_the_server_keeps_working(small_fs):
    from server.app import Config, create_app

    mnt, mounted = small_fs
    passwords: list[str] = []
    if mounted:  # a real small filesystem: keep 4 MB for the database
        reserve = "4MB"
    else:  # the shared disk: a reserve just above its free space
        reserve = f"{shutil.disk_usage(mnt).free + GIB}B"
    config = Config(data_dir=mnt / "data", audio_source="tone:440", disk_reserve=reserve,
                    on_admin_password=passwords.append)
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    svc = broadcast_of(app)
    rec = svc.recorder
    filler = mnt / "filler.bin"
    pushed: list[dict[str, Any]] = []
    watcher = socketio.AsyncClient(reconnection=False)
    watcher.on("broadcast:status", pushed.append)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            c = ApiClient(base, http)
            await c.login("admin", passwords[0])
            cookies = http.cookie_jar.filter_cookies(URL(base))
            await watcher.connect(base, transports=["websocket"], wait_timeout=5, headers={
                "Cookie": "; ".join(f"{k}={v.value}" for k, v in cookies.items())})
            assert (await watcher.call("broadcast:watch", {}))["ok"]
            if mounted:
                assert await wait_for(lambda: rec.state == "recording", 10)
                # leave ~0.5 MB above the reserve: a few seconds of audio fill it
                free = shutil.disk_usage(mnt).free
                keep = 4 * MIB + HEADROOM_BYTES + 500_000
                with open(filler, "wb") as fh:
                    os.posix_fallocate(fh.fileno(), 0, free - keep)
            assert await wait_for(lambda: rec.state == "stopped_disk_full", 30, step=0.1), \
                rec.status()
            stopped_file = rec.segments[-1].file if rec.segments else None

            # the tablets are told, with the reason, by push and by the status endpoint
            st = await c.ok("GET", "/api/broadcast")
            assert st["recorder"]["state"] == "stopped_disk_full"
            msg = st["recorder"]["message"]
            assert msg.startswith("Đĩa gần đầy: đã dừng ghi âm để giữ chỗ cho dữ liệu hội nghị (còn ")
            assert await wait_for(lambda: any(p.get("recorder", {}).get("state") == "stopped_disk_full"
                                              for p in pushed), 5)
            if mounted:
                assert "cần giữ 4 MB" in msg
                assert shutil.disk_usage(mnt).free >= 4 * MIB  # it stopped before the reserve
                x, rate = read_wav(rec.folder / stopped_file)  # the file is whole and playable
                assert rate == SAMPLE_RATE and len(x) == rec.segments[-1].samples > SAMPLE_RATE
                probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                        "stream=codec_name", "-of", "csv=p=0",
                                        str(rec.folder / stopped_file)],
                                       capture_output=True, text=True)
                assert probe.stdout.strip() == "pcm_s16le", probe.stderr

            # every database write still works: a new login, a conference, the queue
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http2:
                c2 = ApiClient(base, http2)
                await c2.login("admin", passwords[0])
                conf = await c2.ok("POST", "/api/conferences", CONF, status=201)
                qpath = f"/api/conferences/{conf['id']}/queue/commands"
                await c2.ok("POST", qpath, cmd("register_turn", 0, display_name="Trần Thị Bé",
                                               hamlet="Bon A"))
                await c2.ok("POST", qpath, cmd("call_next", 1))
                q = await c2.ok("GET", f"/api/conferences/{conf['id']}/queue")
                assert q["state"]["current_turn_id"]
            recorded = rec.total_seconds
            await asyncio.sleep(1.5)
            assert rec.state == "stopped_disk_full" and rec.total_seconds == recorded

            # space comes back: recording resumes into a new segment, without a restart
            segments = len(rec.segments)
            if mounted:
                filler.unlink()
            else:
                rec.disk.reserve = Reserve(0, 0.0)
            assert await wait_for(lambda: rec.state == "recording" and rec.total_seconds > recorded
                                  + 0.5, 15, step=0.1), rec.status()
            assert len(rec.segments) == segments + 1
            st = await c.ok("GET", "/api/broadcast")
            assert st["recorder"]["message"] is None and st["recorder"]["gaps"][-1]["to_utc"]
            events = [json.loads(line) for line in rec.index_path.read_text().splitlines()
                      if '"event"' in line]
            assert [e["event"] for e in events] == ["stopped", "resumed"]
    finally:
        with contextlib.suppress(Exception):
            await watcher.disconnect()
        await runner.cleanup()
