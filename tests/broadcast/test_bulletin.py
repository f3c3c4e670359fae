"""Recorded bulletins played through the broadcast: heard by a real relay process, the live
source off the programme meanwhile but still recorded, the previous state back afterwards."""

from __future__ import annotations

import asyncio
import subprocess

import numpy as np

from broadcast.analysis import dominant_frequency, read_wav, silent_runs, tone_snr_db

from .conftest import wait_for


def make_tone_file(path, hz: float, seconds: float) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=f={hz}:d={seconds}:r=44100", "-af", "volume=4", "-ac", "2",  # lavfi sine is 1/8 FS: 0.5 FS
                    "-b:a", "128k", str(path)], check=True)


def segments_by_frequency(x: np.ndarray, rate: int, hz: float, block_s: float = 0.1) -> list[int]:
    """Indices of blocks whose dominant frequency is hz (±5 Hz) and that are not silent."""
    n = int(block_s * rate)
    return [i for i in range(len(x) // n)
            if np.abs(x[i * n:(i + 1) * n]).max() > 0.05
            and abs(dominant_frequency(x[i * n:(i + 1) * n], rate) - hz) < 15]


async def test_bulletin_replaces_the_live_programme_then_the_live_state_comes_back(serve, relay, tmp_path):
    bulletin = tmp_path / "ban-tin.mp3"  # any format ffmpeg reads: here MP3, stereo, 44.1 kHz
    make_tone_file(bulletin, 440, 2.0)
    srv = await serve("tone:1000")
    svc = srv.svc
    await svc.set_on_air(True, chime=False)
    await svc.set_muted(True)  # the moderator had muted the hall: the bulletin plays anyway
    rp = await relay(srv.url)
    assert await wait_for(lambda: any(r["connected"] for r in svc.status()["relays"]), 15)
    await asyncio.sleep(1.0)
    task = asyncio.create_task(svc.play_file(bulletin, title="Bản tin trả lời kiến nghị", chime=False))
    assert await wait_for(lambda: (svc.status()["bulletin"] or {}).get("position_s", 0) > 0.5, 5)
    st = svc.status()
    assert st["on_air"] is True and st["muted"] is False
    assert st["bulletin"]["title"] == "Bản tin trả lời kiến nghị"
    assert 0 < st["bulletin"]["progress"] < 1 and abs(st["bulletin"]["duration_s"] - 2.0) < 0.1
    await svc.set_muted(False)  # pressed during the bulletin: applies after it
    assert svc.status()["muted"] is False
    result = await asyncio.wait_for(task, 10)
    assert result["state"] == "played" and result["error"] is None
    st = svc.status()
    assert st["bulletin"] is None and st["last_bulletin"]["state"] == "played"
    assert st["on_air"] is True and st["muted"] is False  # the change made during the bulletin
    await asyncio.sleep(1.5)
    await rp.stop()
    x, rate = read_wav(rp.wav)
    bulletin_blocks = segments_by_frequency(x, rate, 440)
    # 2 s of it, in 0.1 s blocks: from its first block to its last it lasts 2 s (the edge
    # blocks straddle; a relay that stalled a moment on a busy machine stretches it a little)
    span = bulletin_blocks[-1] - bulletin_blocks[0] + 1
    assert 18 <= span <= 24, bulletin_blocks
    assert len(bulletin_blocks) >= 15, bulletin_blocks  # and it is the bulletin throughout
    live = segments_by_frequency(x, rate, 1000)
    assert not [i for i in live if bulletin_blocks[0] < i < bulletin_blocks[-1]]  # not the hall
    run = x[(bulletin_blocks[0] + 2) * rate // 10:(bulletin_blocks[-1] - 1) * rate // 10]
    assert abs(dominant_frequency(run, rate) - 440.0) < 2.0
    assert tone_snr_db(run, rate, 440.0) >= 30.0  # no live tone mixed in
    after = x[(bulletin_blocks[-1] + 5) * rate // 10:]
    assert abs(dominant_frequency(after, rate) - 1000.0) < 2.0  # the unmuted hall is back
    # The recorder kept the hall: 1000 Hz throughout, the bulletin is not in it.
    svc.recorder.flush()
    r, rrate = read_wav(svc.recorder.folder / svc.recorder.segments[0].file)
    assert not segments_by_frequency(r, rrate, 440)
    assert not [s for s in silent_runs(r[int(0.1 * rrate):], rrate) if s[1] > 0.1]


async def test_bulletins_queue_play_without_a_live_source_and_fail_or_stop_cleanly(serve, tmp_path):
    first, second = tmp_path / "a.wav", tmp_path / "b.ogg"
    make_tone_file(first, 500, 1.0)
    make_tone_file(second, 700, 1.0)
    junk = tmp_path / "khong-phai-am-thanh.mp3"
    junk.write_text("đây không phải âm thanh")
    srv = await serve(f"file:{tmp_path / 'missing.wav'}")  # no live audio at all
    svc = srv.svc
    assert svc.status()["live_audio"] is False
    seen: list[float] = []

    async def listen() -> None:
        import aiohttp

        from broadcast.containers import OggPageSplitter
        sp = OggPageSplitter()
        async with aiohttp.ClientSession() as http, http.get(f"{srv.url}/live.opus") as resp:
            async for chunk in resp.content.iter_any():
                seen.extend(p.granule for p in sp.feed(chunk))

    results = await asyncio.gather(svc.play_file(first, chime=True), svc.play_file(second),
                                   svc.play_file(junk), listen_for(listen, 5.5))
    assert [r["state"] for r in results[:3]] == ["played", "played", "failed"]
    assert "Không đọc được âm thanh" in results[2]["error"]
    assert results[0]["title"] == "a.wav"
    assert max(seen) > 48000 * 2.5  # chime + 2 s of bulletins went out on the mount
    assert svc.on_air is False  # back off air
    # Going off air during a bulletin stops it.
    task = asyncio.create_task(svc.play_file(first, chime=False))
    assert await wait_for(lambda: svc.bulletin is not None and svc.bulletin.position_s > 0.2, 5)
    await svc.set_on_air(False)
    result = await asyncio.wait_for(task, 3)
    assert result["state"] == "stopped" and svc.on_air is False and svc.bulletin is None


async def listen_for(fn, seconds: float) -> None:
    try:
        await asyncio.wait_for(fn(), seconds)
    except TimeoutError:
        pass
