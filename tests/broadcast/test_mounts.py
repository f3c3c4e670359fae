"""The server's own mounts: late joiners get decodable headers, MP3 starts on a frame,
a slow listener is dropped without hurting the others, RTP reaches a relay."""

from __future__ import annotations

import asyncio
import socket
import subprocess

import aiohttp
import pytest

from broadcast.analysis import dominant_frequency, read_wav, tone_snr_db
from broadcast.containers import OggPageSplitter, mp3_frame_length
from broadcast.cpuload import cpu_hogs

from .conftest import free_even_udp_port, read_stream, wait_for


def decode_to_wav(data: bytes, fmt: str, tmp_path) -> tuple:
    src = tmp_path / f"in.{fmt}"
    src.write_bytes(data)
    out = tmp_path / f"out-{fmt}.wav"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", fmt, "-i", str(src),
                    "-ac", "1", "-ar", "48000", str(out)], check=True)
    return read_wav(out)


async def test_late_joiner_gets_opus_headers_then_decodable_audio(serve, tmp_path):
    srv = await serve("tone:700")
    await srv.svc.set_on_air(True, chime=False)
    await asyncio.sleep(2.0)  # join well after the stream began
    data = await read_stream(f"{srv.url}/live.opus", 12_000)
    pages = OggPageSplitter().feed(data)
    assert pages[0].bos and pages[0].body.startswith(b"OpusHead")
    assert pages[1].body.startswith(b"OpusTags")
    assert all(p.granule > 0 for p in pages[2:-1])
    x, rate = decode_to_wav(data, "ogg", tmp_path)
    assert len(x) > rate  # more than a second decoded
    x = x[int(0.1 * rate):]
    assert abs(dominant_frequency(x, rate) - 700.0) < 3.0
    assert tone_snr_db(x, rate, 700.0) >= 30.0


async def test_mp3_late_joiner_starts_on_a_frame_and_decodes(serve, tmp_path):
    srv = await serve("tone:500")
    await srv.svc.set_on_air(True, chime=False)
    await asyncio.sleep(1.0)
    data = await read_stream(f"{srv.url}/live.mp3", 16_000)
    assert mp3_frame_length(data[:4]) is not None
    x, rate = decode_to_wav(data, "mp3", tmp_path)
    x = x[int(0.2 * rate):]
    assert abs(dominant_frequency(x, rate) - 500.0) < 3.0


async def test_off_air_and_muted_send_silence_but_the_recording_keeps_the_tone(serve, tmp_path):
    srv = await serve("tone:800")
    svc = srv.svc
    await asyncio.sleep(0.5)
    assert svc.on_air is False
    data = await read_stream(f"{srv.url}/live.opus", 4000)
    x, rate = decode_to_wav(data, "ogg", tmp_path)
    assert float(abs(x).max()) < 0.01
    await svc.set_on_air(True)  # with the chime
    assert svc.status()["chime_playing"] is True
    assert await wait_for(lambda: not svc.chime_playing, 3)
    await svc.set_muted(True)
    await asyncio.sleep(0.3)  # let the frames already inside the encoder out
    data = await read_stream(f"{srv.url}/live.opus", 4000)
    x, rate = decode_to_wav(data, "ogg", tmp_path)
    assert float(abs(x).max()) < 0.01
    level = svc.status()["level"]
    assert -12 < level["rms_dbfs"] < -6 and -9 < level["peak_dbfs"] <= -5.9  # 0.5 FS sine
    svc.recorder.flush()
    seg = svc.recorder.segments[0]
    r, rrate = read_wav(svc.recorder.folder / seg.file)
    assert abs(dominant_frequency(r[-rrate:], rrate) - 800.0) < 2.0


async def test_slow_listener_is_dropped_and_the_others_keep_receiving(serve):
    srv = await serve("tone:1000")
    mount = srv.svc.mp3
    mount.max_buffer_bytes = 4096
    mount.sndbuf = 4096
    await asyncio.sleep(0.5)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", srv.port))
    slow.sendall(b"GET /live.mp3 HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read
    received = 0
    async with aiohttp.ClientSession() as http, http.get(f"{srv.url}/live.mp3") as resp:
        assert await wait_for(lambda: mount.status()["listeners"] == 2, 5)
        loop = asyncio.get_running_loop()
        end = loop.time() + 20
        while loop.time() < end and mount.dropped_slow == 0:
            received += len(await resp.content.read(4096))
        assert mount.dropped_slow == 1
        before = received
        for _ in range(5):
            received += len(await resp.content.read(4096))
        assert received > before
        assert mount.status()["listeners"] == 1
    slow.close()


async def relay_settles(svc, *, quiet_s: float = 2.5, least_s: float = 3.0,
                        timeout: float = 15.0) -> dict:
    """Wait until the relay has played for `least_s` and reported no new underrun for
    `quiet_s` (it raised its buffer after the stalls it met); its last report."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    seen, since = None, start
    while loop.time() - start < timeout:
        row = svc.status()["relays"][0]
        if row["underruns"] != seen:
            seen, since = row["underruns"], loop.time()
        elif loop.time() - since >= quiet_s and loop.time() - start >= least_s:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"the relay kept under-running: {svc.status()['relays'][0]}")


@pytest.mark.parametrize("busy_loops", [0, 2], ids=["idle", "two-busy-loops"])
async def test_rtp_to_relay_on_loopback_with_served_sdp(serve, relay, busy_loops):
    """Also with two busy-loop processes beside it (both cores of the test machine busy): the
    relay's buffer learns from the first stalls, then the tone comes through clean."""
    with cpu_hogs(busy_loops):
        port = free_even_udp_port()
        srv = await serve("tone:1000", rtp_targets=[f"127.0.0.1:{port}"])
        svc = srv.svc
        await svc.set_on_air(True, chime=False)
        assert await wait_for(lambda: svc.rtp[0].state == "running", 10)
        async with aiohttp.ClientSession() as http, http.get(f"{srv.url}/live.sdp") as resp:
            assert resp.status == 200
            sdp = await resp.text()
        assert f"m=audio {port} RTP/AVP" in sdp and "opus/48000" in sdp
        rp = await relay(srv.url, "--source", "rtp")
        assert await wait_for(lambda: any(r["connected"] for r in svc.status()["relays"]), 15)
        report = await relay_settles(svc)
        err = await rp.stop()
    # The relay's last report, sent as it stopped, has its final counters.
    last = svc.status()["relays"][0]
    assert last["connected"] is False and last["health"] == "red", (last, err)
    assert last["underruns"] == report["underruns"], "an underrun in the measured window"
    x, rate = read_wav(rp.wav)
    x = x[-int(2.0 * rate) : -int(0.1 * rate)]
    assert abs(dominant_frequency(x, rate) - 1000.0) < 2.0
    assert tone_snr_db(x, rate, 1000.0) >= 30.0, report
    assert svc.status()["outputs"][0]["kind"] == "rtp"
    # The health report says what the stalls cost: how often, the buffer it now keeps.
    assert report["target_ms"] <= 400 and report["health"] == "green"
    if report["underruns_1min"]:
        assert "ngắt tiếng" in report["health_reason"]
