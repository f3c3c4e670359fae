"""File and tone sources through the real service (ffmpeg decodes the file)."""

from __future__ import annotations

import asyncio
import subprocess

from broadcast.analysis import dominant_frequency, read_wav

from .conftest import wait_for


async def test_file_source_is_decoded_paced_and_looped(serve, tmp_path):
    src = tmp_path / "speech.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=300:d=0.6:r=44100",
                    "-ac", "2", str(src)], check=True)
    srv = await serve(f"file:{src}")
    svc = srv.svc
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await wait_for(lambda: svc.source.state == "running", 5)
    await asyncio.sleep(2.0)
    elapsed = loop.time() - t0
    frames = svc.source.frames
    assert abs(frames * 0.02 - elapsed) < 0.5  # real time, not as fast as ffmpeg can decode
    assert frames * 0.02 > 3 * 0.6  # the 0.6 s file looped
    svc.recorder.flush()
    x, rate = read_wav(svc.recorder.folder / svc.recorder.segments[0].file)
    assert abs(dominant_frequency(x[:int(0.5 * rate)], rate) - 300.0) < 3.0


async def test_missing_or_unreadable_file_is_reported(serve, tmp_path):
    srv = await serve(f"file:{tmp_path / 'nope.wav'}")
    assert await wait_for(lambda: srv.svc.source.last_error is not None, 5)
    assert "Không tìm thấy tệp" in srv.svc.status()["no_live_audio_reason"]
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio" * 100)
    srv2 = await serve(f"file:{junk}")
    assert await wait_for(lambda: srv2.svc.source.last_error is not None, 5)
    assert srv2.svc.status()["source"]["error_code"] == "file_unreadable"
