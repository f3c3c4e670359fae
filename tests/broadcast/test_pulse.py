"""The real sound path: PyAudio (PortAudio → ALSA's pulse plugin) against a private PulseAudio
server whose null sinks stand in for the hall's sound card. `hall` is the microphone (a tone
played into it is what the capture hears, through its monitor), `lineout` the wired output
to a transmitter (recorded back from its monitor). No mock anywhere.

Each test starts its own PulseAudio daemon (user mode, --exit-idle-time=-1, a temporary
runtime directory, anonymous local socket) and stops it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from broadcast.analysis import dominant_frequency, read_wav, tone_snr_db
from broadcast.audio import SAMPLE_RATE, to_pcm, tone_samples

from .conftest import read_stream, wait_for

PCM_ARGS = ["--raw", "--format=s16le", f"--rate={SAMPLE_RATE}", "--channels=1"]


class Pulse:
    """A PulseAudio server of this test: sinks come and go like sound cards being plugged."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {"XDG_RUNTIME_DIR": str(root), "PULSE_SERVER": f"unix:{root}/pulse/native",
                    "PULSE_COOKIE": str(root / "cookie"), "HOME": str(root)}
        self.players: list[subprocess.Popen] = []
        self.sinks: dict[str, str] = {}  # name -> module index

    def run(self, *args: str) -> str:
        return subprocess.run(args, env={**os.environ, **self.env}, check=True, timeout=10,
                              capture_output=True, text=True).stdout.strip()

    def start(self) -> None:
        self.run("pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                 "--disable-shm=yes", "--use-pid-file=yes", f"--log-target=file:{self.root}/pulse.log",
                 "--load=module-native-protocol-unix auth-anonymous=1")

    def stop(self) -> None:
        for p in self.players:
            p.kill()
            p.wait()
        with open(os.devnull, "wb") as devnull:
            subprocess.run(["pulseaudio", "--kill"], env={**os.environ, **self.env}, timeout=10,
                           stdout=devnull, stderr=devnull)

    def plug(self, name: str) -> None:
        """A sound card appears (a mono 48 kHz null sink and its monitor)."""
        self.sinks[name] = self.run("pactl", "load-module", "module-null-sink", f"sink_name={name}",
                                    f"rate={SAMPLE_RATE}", "channels=1")

    def unplug(self, name: str) -> None:
        self.run("pactl", "unload-module", self.sinks.pop(name))

    def defaults(self, sink: str, source: str) -> None:
        self.run("pactl", "set-default-sink", sink)
        self.run("pactl", "set-default-source", source)

    def play_tone(self, sink: str, hz: float, amplitude: float, seconds: float = 15.0) -> None:
        """Somebody speaks into the hall's microphone: a tone, played in real time."""
        wav = self.root / f"tone-{hz:g}.wav"
        if not wav.exists():
            with wave.open(str(wav), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(SAMPLE_RATE)
                w.writeframes(to_pcm(tone_samples(hz, 0, int(seconds * SAMPLE_RATE), amplitude)))
        self.players.append(subprocess.Popen(
            ["paplay", f"--device={sink}", "--latency-msec=200", str(wav)],
            env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def silence(self) -> None:
        for p in self.players:
            p.kill()
            p.wait()
        self.players.clear()

    async def record(self, source: str, seconds: float) -> np.ndarray:
        """What a source hears for `seconds` (e.g. `lineout.monitor`: what the line-out plays)."""
        proc = await asyncio.create_subprocess_exec(
            "parecord", f"--device={source}", "--latency-msec=20", *PCM_ARGS,
            env={**os.environ, **self.env}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        assert proc.stdout is not None
        try:
            data = await asyncio.wait_for(
                proc.stdout.readexactly(int(seconds * SAMPLE_RATE) * 2), seconds + 5)
        finally:
            proc.kill()
            await proc.wait()
        return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0


@pytest.fixture
def pulse(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pulse]:
    assert shutil.which("pulseaudio") and shutil.which("pactl"), \
        "PulseAudio is needed (Makefile APT_PACKAGES: pulseaudio pulseaudio-utils)"
    server = Pulse(tmp_path_factory.mktemp("pulse"))
    server.start()
    for key, value in server.env.items():
        if key != "HOME":
            monkeypatch.setenv(key, value)  # this process's PortAudio finds the server
    try:
        yield server
    finally:
        server.stop()


def level_near(svc, rms: float, tol: float = 1.5) -> bool:
    level = svc.status()["level"]
    return level["rms_dbfs"] is not None and abs(level["rms_dbfs"] - rms) <= tol


async def test_capture_through_pulse_reaches_the_encoder_and_the_level_meter(pulse, serve, tmp_path):
    pulse.plug("hall")
    pulse.defaults("hall", "hall.monitor")
    pulse.play_tone("hall", 700, amplitude=0.25)  # a 0.25 full-scale sine: about -15 dBFS RMS
    srv = await serve("pyaudio:pulse")
    svc = srv.svc
    assert await wait_for(lambda: svc.source.state == "running", 10), svc.status()["source"]
    await svc.set_on_air(True, chime=False)
    assert await wait_for(lambda: level_near(svc, -15.0), 5), svc.status()["level"]
    assert -13.0 < svc.status()["level"]["peak_dbfs"] < -11.0
    st = svc.status()
    assert st["live_audio"] is True and st["source"]["device"] == "pulse"
    # What the listeners get is the hall's microphone, through the encoder.
    data = await read_stream(f"{srv.url}/live.opus", 12_000)
    src = tmp_path / "live.ogg"
    src.write_bytes(data)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-ac", "1", "-ar", "48000",
                    str(tmp_path / "live.wav")], check=True)
    x, rate = read_wav(tmp_path / "live.wav")
    x = x[int(0.2 * rate):]
    assert len(x) > rate // 2
    assert abs(dominant_frequency(x, rate) - 700.0) < 3.0
    assert tone_snr_db(x, rate, 700.0) >= 25.0
    # The microphone falls silent: the meter follows.
    pulse.silence()
    assert await wait_for(lambda: (svc.status()["level"]["rms_dbfs"] or 0) < -60, 3)


async def test_line_out_plays_the_programme_on_a_second_card(pulse, serve):
    pulse.plug("hall")
    pulse.plug("lineout")
    pulse.defaults("lineout", "hall.monitor")
    pulse.play_tone("hall", 500, amplitude=0.3)
    srv = await serve("pyaudio:pulse", line_out="pulse")
    svc = srv.svc
    assert await wait_for(lambda: svc.source.state == "running"
                          and svc.line_out.state == "running", 10), svc.status()["outputs"]
    await svc.set_on_air(True, chime=False)
    await asyncio.sleep(0.5)
    played = await pulse.record("lineout.monitor", 2.0)
    played = played[-SAMPLE_RATE:]  # a monitor starts with up to a few hundred ms of silence
    assert abs(dominant_frequency(played, SAMPLE_RATE) - 500.0) < 3.0
    assert tone_snr_db(played, SAMPLE_RATE, 500.0) >= 25.0
    assert 0.25 < float(np.abs(played).max()) < 0.35  # the level passes unchanged
    # Muted, the transmitter gets silence; the recording still has the hall.
    await svc.set_muted(True)
    await asyncio.sleep(0.4)
    assert float(np.abs(await pulse.record("lineout.monitor", 0.5)).max()) < 0.01
    line = next(o for o in svc.status()["outputs"] if o["kind"] == "line_out")
    assert line["device"] == "pulse" and line["state"] == "running"


async def test_microphone_unplugged_mid_conference_then_back(pulse, serve):
    pulse.plug("hall")
    pulse.defaults("hall", "hall.monitor")
    pulse.play_tone("hall", 700, amplitude=0.25)
    srv = await serve("pyaudio:pulse")
    svc, rec = srv.svc, srv.svc.recorder
    assert await wait_for(lambda: level_near(svc, -15.0), 10), svc.status()["source"]
    await asyncio.sleep(0.5)
    pulse.silence()
    pulse.unplug("hall")  # the sound card goes away
    # The server notices, says so in Vietnamese, and the recording marks the gap.
    assert await wait_for(lambda: svc.source.state != "running"
                          and svc.source.error_code == "device_lost", 3), svc.status()["source"]
    st = svc.status()
    assert st["live_audio"] is False
    assert st["no_live_audio_reason"].startswith("Mất thiết bị thu âm “pulse”")
    assert "đang chờ thiết bị trở lại" in st["no_live_audio_reason"]
    assert st["source"]["lost_since"] is not None and st["level"]["rms_dbfs"] is None
    assert "gián đoạn" in st["recorder"]["message"]
    assert st["recorder"]["gaps"][-1]["reason"] == "device_lost"
    assert st["recorder"]["gaps"][-1]["to_utc"] is None
    await asyncio.sleep(1.0)
    # It is plugged back in: capture resumes by itself, into a new segment.
    pulse.plug("hall")
    pulse.play_tone("hall", 700, amplitude=0.25)
    assert await wait_for(lambda: svc.source.state == "running", 8), svc.status()["source"]
    assert await wait_for(lambda: level_near(svc, -15.0), 5), svc.status()["level"]
    st = svc.status()
    assert st["live_audio"] is True and st["recorder"]["message"] is None
    gap = st["recorder"]["gaps"][-1]
    assert gap["reason"] == "device_lost" and gap["to_utc"] > gap["from_utc"]
    assert len(rec.segments) == 2
    events = [json.loads(line) for line in rec.index_path.read_text().splitlines()]
    assert [(e.get("event"), e.get("reason")) for e in events if "event" in e] == [
        ("stopped", "device_lost"), ("resumed", "device_lost")]
    lost_at = next(e["at"] for e in events if e.get("event") == "stopped")
    assert lost_at == pytest.approx(rec.segments[0].end, abs=0.05)
    assert rec.segments[1].start - rec.segments[0].end > 1.5  # the gap, not filled in
    await asyncio.sleep(0.5)
    rec.flush()
    x, rate = read_wav(rec.folder / rec.segments[1].file)
    assert len(x) > rate // 2 and abs(dominant_frequency(x, rate) - 700.0) < 3.0
