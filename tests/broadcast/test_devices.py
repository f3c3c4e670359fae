"""Sound card handling. The real PyAudio here sees no device: the service must start anyway
and say why. A fake PyAudio module (the only mock: for the sound card) checks the capture path."""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import numpy as np

from broadcast.audio import FRAME_SAMPLES, SAMPLE_RATE
from broadcast.service import BroadcastService

from .conftest import TOKEN, wait_for


async def test_no_sound_card_start_succeeds_and_status_says_why(serve):
    srv = await serve("pyaudio", line_out="default")
    svc = srv.svc
    svc.opus.ready_wait_s = 0.2
    assert await wait_for(lambda: svc.source.last_error is not None, 10)
    st = svc.status()
    assert st["live_audio"] is False
    assert "card âm thanh" in st["no_live_audio_reason"]
    assert st["source"]["error_code"] == "no_sound_card"
    assert st["source"]["state"] in ("backoff", "starting")
    assert await wait_for(lambda: svc.line_out.last_error is not None, 10)
    line = next(o for o in svc.status()["outputs"] if o["kind"] == "line_out")
    assert line["state"] in ("backoff", "starting") and "card âm thanh" in line["last_error"]
    async with aiohttp.ClientSession() as http, http.get(f"{srv.url}/live.opus") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["error"] == "no_live_audio" and "card âm thanh" in body["message"]


async def test_named_device_missing_is_reported(tmp_path):
    svc = BroadcastService("pyaudio:USB Mic", tmp_path, pyaudio_module=FakePyAudioModule())
    await svc.start()
    try:
        assert await wait_for(lambda: svc.source.last_error is not None, 5)
        assert "USB Mic" in svc.status()["no_live_audio_reason"]
    finally:
        await svc.stop()


class FakeStream:
    def __init__(self, callback, mod) -> None:
        self.callback, self.mod = callback, mod
        self.active = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start_stream(self) -> None:
        self.active = True
        self._thread.start()

    def _run(self) -> None:
        n = 0
        t0 = time.monotonic()
        while self.active:
            t = np.arange(n, n + FRAME_SAMPLES)
            pcm = (0.25 * 32767 * np.sin(2 * np.pi * 440 * t / SAMPLE_RATE)).astype("<i2").tobytes()
            flags = self.mod.paInputOverflow if (n // FRAME_SAMPLES) % 25 == 3 else 0
            self.callback(pcm, FRAME_SAMPLES, {}, flags)
            n += FRAME_SAMPLES
            time.sleep(max(0.0, t0 + n / SAMPLE_RATE - time.monotonic()))

    def is_active(self) -> bool:
        return self.active

    def stop_stream(self) -> None:
        self.active = False

    def close(self) -> None:
        self.active = False


class FakePyAudioModule:
    """Stands in for the `pyaudio` module: one input device called "Fake USB Audio"."""

    paInt16 = 8
    paContinue = 0
    paInputOverflow = 2

    def __init__(self) -> None:
        self.opened: list[dict] = []
        mod = self

        class PyAudio:
            def get_device_count(self) -> int:
                return 1

            def get_device_info_by_index(self, i: int) -> dict:
                return {"index": 0, "name": "Fake USB Audio", "maxInputChannels": 1,
                        "maxOutputChannels": 0}

            def get_default_input_device_info(self) -> dict:
                return self.get_device_info_by_index(0)

            def open(self, **kw):
                mod.opened.append(kw)
                return FakeStream(kw["stream_callback"], mod)

            def terminate(self) -> None:
                pass

        self.PyAudio = PyAudio


async def test_fake_sound_card_capture_counts_overflows_and_records(serve):
    fake = FakePyAudioModule()
    srv = await serve("pyaudio:fake usb", pyaudio_module=fake)
    svc = srv.svc
    assert await wait_for(lambda: svc.source.state == "running", 5)
    await asyncio.sleep(1.5)
    opened = fake.opened[0]
    assert opened["rate"] == 48000 and opened["channels"] == 1
    assert opened["frames_per_buffer"] == 960 and opened["input"] is True
    st = svc.status()
    assert st["source"]["device"] == "Fake USB Audio"
    assert st["source"]["overflows"] >= 1  # counted, never fatal
    assert st["source"]["state"] == "running" and st["live_audio"] is True
    assert st["recorder"]["recorded_s"] > 1.0
    assert -16 < st["level"]["rms_dbfs"] < -12  # a 0.25 full-scale sine is about -15 dBFS


async def test_relay_report_endpoint_checks_the_token_and_input(serve):
    """Refusals come in the API's one shape, {"error": {"code", "message"}}, with the status of
    the error's kind (server/api/errors.py) and a Vietnamese message; nothing is recorded."""
    srv = await serve("tone")
    url = f"{srv.url}/api/relays/report"
    good = {"name": "Cụm loa thôn 3", "connected": True, "buffer_ms": 60,
            "last_audio_at": "2026-01-01T00:00:00Z", "errors": [], "url": "http://x/live.opus"}
    auth = {"Authorization": f"Bearer {TOKEN}"}

    async def refused(status: int, code: str, **kw) -> dict:
        async with http.post(url, **kw) as r:
            body = await r.json()
            assert r.status == status, body
            assert set(body) == {"error"} and body["error"]["code"] == code, body
            assert body["error"]["message"] and body["error"]["message"].isascii() is False
            if status == 401:
                assert r.headers["WWW-Authenticate"] == "Bearer"
            return body["error"]

    async with aiohttp.ClientSession() as http:
        await refused(401, "device_token_missing", json=good)
        await refused(403, "device_token_invalid", json=good, headers={"Authorization": "Bearer sai"})
        await refused(415, "unsupported_media_type", data=b"{}", headers=auth)
        await refused(400, "malformed_json", data=b"{not json",
                      headers={**auth, "Content-Type": "application/json"})
        err = await refused(422, "bad_report", json={**good, "connected": "yes"}, headers=auth)
        assert err["fields"][0]["field"] == "connected" and "đúng/sai" in err["message"]
        err = await refused(422, "bad_report", json={**good, "underruns": -1}, headers=auth)
        assert err["fields"][0]["field"] == "underruns"
        assert srv.svc.status()["relays"] == []  # nothing partial recorded
        async with http.post(url, json={**good, "underruns": 4, "underruns_1min": 2,
                                        "target_ms": 90}, headers=auth) as r:
            assert r.status == 200 and await r.json() == {"ok": True}
    relays = srv.svc.status()["relays"]
    assert len(relays) == 1 and relays[0]["name"] == "Cụm loa thôn 3"
    assert relays[0]["health"] == "red"  # its last audio is old
    assert relays[0]["underruns"] == 4 and relays[0]["target_ms"] == 90
