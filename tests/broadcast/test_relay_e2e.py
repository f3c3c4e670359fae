"""A generated tone goes through a real aiohttp server running BroadcastService to a real relay
process writing a WAV file (no sound card anywhere)."""

from __future__ import annotations

import asyncio
import os
import signal

from broadcast.analysis import (
    dominant_frequency,
    first_sound_s,
    longest_gap_s,
    read_wav,
    tone_snr_db,
)

from .conftest import wait_for


def steady_part(path, skip_s: float = 0.5):
    x, rate = read_wav(path)
    start = first_sound_s(x, rate)
    assert start is not None, "the relay wrote only silence"
    return x[int((start + skip_s) * rate) : len(x) - int(0.1 * rate)], rate


async def test_tone_reaches_relay_wav_with_frequency_snr_and_no_gap(serve, relay):
    srv = await serve("tone:1000")
    await srv.svc.set_on_air(True, chime=False)
    rp = await relay(srv.url)
    assert await wait_for(lambda: any(r["health"] == "green" for r in srv.svc.status()["relays"]), 15)
    await asyncio.sleep(4.0)
    status = srv.svc.status()
    await rp.stop()
    x, rate = steady_part(rp.wav)
    assert len(x) > 3 * rate
    assert abs(dominant_frequency(x, rate) - 1000.0) < 2.0
    assert tone_snr_db(x, rate, 1000.0) >= 30.0
    assert longest_gap_s(x, rate) <= 0.1
    relay_row = status["relays"][0]
    assert relay_row["name"] == "Cụm loa thôn 3"
    assert relay_row["connected"] is True and relay_row["health"] == "green"
    assert status["listeners"]["/live.opus"] == 1


async def test_encoder_killed_is_restarted_relay_recovers_recording_has_no_gap(serve, relay):
    srv = await serve("tone:1000")
    svc = srv.svc
    await svc.set_on_air(True, chime=False)
    rp = await relay(srv.url)
    assert await wait_for(lambda: svc.status()["relays"] and svc.status()["relays"][0]["connected"], 15)
    await asyncio.sleep(1.0)
    old_pid = svc.encoder.pid
    assert old_pid is not None
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    os.kill(old_pid, signal.SIGKILL)
    assert await wait_for(lambda: svc.encoder.pid not in (None, old_pid)
                          and svc.encoder.state == "running", 10)
    restart_s = loop.time() - killed_at
    assert svc.encoder.restarts == 1
    assert await wait_for(lambda: svc.status()["relays"][0]["connected"], 10)
    await asyncio.sleep(3.0)
    await rp.stop()
    # The relay recovered: the end of its file is the clean tone again.
    x, rate = read_wav(rp.wav)
    tail = x[-int(1.1 * rate) : -int(0.1 * rate)]
    assert abs(dominant_frequency(tail, rate) - 1000.0) < 2.0
    assert tone_snr_db(tail, rate, 1000.0) >= 30.0
    # Its one interruption is no longer than the restart plus the relay's buffer refill.
    steady, _ = steady_part(rp.wav)
    assert longest_gap_s(steady, rate) <= restart_s + 0.5
    # The recording never stopped: no gap at all, whatever the encoder did.
    svc.recorder.flush()
    rec = svc.recorder
    assert len(rec.segments) == 1
    r, rrate = read_wav(rec.folder / rec.segments[0].file)
    assert longest_gap_s(r[int(0.1 * rrate):], rrate) < min(restart_s, 0.1)
