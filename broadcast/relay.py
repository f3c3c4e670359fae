"""The loudspeaker relay: pulls the live stream, plays it (sound card or WAV file) through a
jitter buffer that learns from stalls (broadcast/jitter.py), reconnects by itself after any
failure and reports its health, underruns included, to the conference server every few seconds.

Stream sources: `http` (the server's own mount, default `{server}/live.opus`), `icecast`
(any http(s) Icecast mount URL) and `rtp` (the SDP at `{server}/live.sdp` or a given URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import ffmpeg

from .audio import SAMPLE_RATE, SAMPLE_WIDTH
from .jitter import JitterBuffer
from .pyaudio_out import PyAudioPlayer
from .recorder import wav_header
from .supervise import Supervised, cancel_and_wait, drain_stream, kill_process

log = logging.getLogger(__name__)
SOURCE_KINDS = ("http", "icecast", "rtp")
# Jitter buffer target per transport (ms). RTP on the hall's LAN arrives packet by packet with
# little jitter; HTTP (often over 3G/4G, behind NAT) and Icecast get more room. Measured figures
# are in docs/benchmarks.md.
DEFAULT_JITTER_MS = {"rtp": 30, "http": 60, "icecast": 60}
# How far underruns may raise the buffer (a busy or stalling machine, a poor link): a stall up to
# about this long is ridden out after the first one. Beyond it, one gap per stall.
DEFAULT_MAX_JITTER_MS = 400
OVERFLOW_MARGIN_MS = 200  # more than the largest target plus this queued: cut back
READ_BYTES = 65536  # after a stall, everything ffmpeg has decoded is taken at once (680 ms)
UDP_BUFFER_BYTES = 1 << 20  # the RTP socket holds several seconds while the relay is stalled


def default_stream_url(server: str, kind: str) -> str:
    base = server.rstrip("/")
    if kind == "rtp":
        return f"{base}/live.sdp"
    if kind == "http":
        return f"{base}/live.opus"
    raise ValueError("an Icecast source needs its URL, e.g. --source icecast http://host:8000/hoinghi.opus")


def pull_command(kind: str, url: str) -> list[str]:
    """ffmpeg with low-delay input flags, decoding the stream to 48 kHz mono s16le on stdout.
    Not `-fflags nobuffer`: with the tiny probe size it makes ffmpeg 5.1 hold one packet (20 ms)
    until the next one arrives."""
    in_opts: dict[str, Any] = {"flags": "low_delay", "probesize": 32, "analyzeduration": 0}
    if kind == "rtp":
        in_opts.update(protocol_whitelist="file,udp,rtp", reorder_queue_size=0,
                       buffer_size=UDP_BUFFER_BYTES)
    else:
        in_opts.update(rw_timeout=5_000_000)
    inp = ffmpeg.input(url, **in_opts)
    out = inp.output("pipe:1", format="s16le", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE,
                     flush_packets=1)
    return ffmpeg.compile(out.global_args("-hide_banner", "-nostdin", "-nostats",
                                          "-loglevel", "error"))


class Puller(Supervised):
    kind = "pull"

    def __init__(self, relay: Relay) -> None:
        super().__init__(relay.stream_url, initial_backoff=0.2, max_backoff=5.0, healthy_after=5.0)
        self.relay = relay
        self.proc: asyncio.subprocess.Process | None = None
        self._sdp_dir: str | None = None

    async def _input_url(self) -> str:
        if self.relay.kind != "rtp" or not self.relay.stream_url.startswith(("http://", "https://")):
            return self.relay.stream_url
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as http, \
                http.get(self.relay.stream_url) as resp:
            if resp.status != 200:
                raise RuntimeError(f"SDP {self.relay.stream_url}: HTTP {resp.status}")
            sdp = await resp.text()
        if self._sdp_dir is None:
            self._sdp_dir = tempfile.mkdtemp(prefix="doithoai-relay-")
        path = os.path.join(self._sdp_dir, "live.sdp")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(sdp)
        return path

    async def run_once(self) -> None:
        url = await self._input_url()
        self.proc = proc = await asyncio.create_subprocess_exec(
            *pull_command(self.relay.kind, url), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        stderr_task = asyncio.create_task(drain_stream(proc.stderr))
        try:
            while True:
                if self._stopping:  # a stop whose cancellation was lost (see Supervised.stop)
                    return
                try:
                    chunk = await asyncio.wait_for(proc.stdout.read(READ_BYTES),
                                                   self.relay.stall_timeout)
                except TimeoutError:
                    raise RuntimeError(f"no audio for {self.relay.stall_timeout:g} s") from None
                if not chunk:
                    break
                if self.state != "running":
                    self.mark_running()
                self.relay.on_pcm(chunk)
            rc = await proc.wait()
            lines = await asyncio.wait_for(stderr_task, 1.0)
            raise RuntimeError(f"stream ended (ffmpeg exit {rc})" + (f": {lines[-1]}" if lines else ""))
        finally:
            stderr_task.cancel()

    async def cleanup(self) -> None:
        proc, self.proc = self.proc, None
        await kill_process(proc)

    def on_error(self, exc: Exception) -> None:
        super().on_error(exc)
        self.relay.add_error(f"{self.relay.stream_url}: {exc}")


class WavPlayer:
    """Writes what a sound card would play: the jitter buffer is pulled at the real-time rate,
    silence included, so the file is a faithful timeline. `FILE.wav.json` holds the wall-clock
    time (unix seconds) of the file's first sample."""

    def __init__(self, path: Path, buffer: JitterBuffer) -> None:
        self.path = Path(path)
        self.buffer = buffer
        self.samples = 0
        self.started_at: float | None = None

    async def run(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "wb")  # noqa: SIM115
        try:
            fh.write(wav_header(0))
            t0 = time.monotonic()
            self.started_at = time.time() - (time.monotonic() - t0)
            Path(f"{self.path}.json").write_text(json.dumps({"started_at": self.started_at,
                                                             "sample_rate": SAMPLE_RATE}))
            last_header = t0
            while True:
                await asyncio.sleep(0.005)
                now = time.monotonic()
                due = int((now - t0) * SAMPLE_RATE) - self.samples
                if due > 0:
                    fh.write(self.buffer.pull(due * SAMPLE_WIDTH))
                    self.samples += due
                if now - last_header > 1.0:
                    self._header(fh)
                    last_header = now
        finally:
            self._header(fh)
            fh.close()

    def _header(self, fh: Any) -> None:
        pos = fh.tell()
        fh.seek(0)
        fh.write(wav_header(self.samples * SAMPLE_WIDTH))
        fh.seek(pos)
        fh.flush()


class DevicePlayer(Supervised):
    kind = "player"

    def __init__(self, relay: Relay, device: str | None) -> None:
        super().__init__(f"device:{device or 'default'}", initial_backoff=2.0, max_backoff=30.0)
        self.relay = relay
        self.player = PyAudioPlayer(relay.buffer, device, relay.pyaudio_module)

    async def run_once(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.player.open)
        self.mark_running()
        while self.player.is_active():
            await asyncio.sleep(0.5)
        raise RuntimeError("sound card output stopped")

    async def cleanup(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.player.close)

    def on_error(self, exc: Exception) -> None:
        super().on_error(exc)
        self.relay.add_error(str(exc))


class Relay:
    def __init__(self, server: str, token: str, name: str, *, source: str = "http",
                 source_url: str | None = None, output: str | None = None, jitter_ms: int | None = None,
                 max_jitter_ms: int | None = None, report_interval: float = 3.0,
                 stall_timeout: float = 2.0, pyaudio_module: Any = None) -> None:
        if not server.startswith(("http://", "https://")):
            raise ValueError(f"--server {server!r} must be an http:// or https:// URL")
        if source not in SOURCE_KINDS:
            raise ValueError(f"--source must be one of {', '.join(SOURCE_KINDS)}")
        if not name.strip():
            raise ValueError("--name must not be empty")
        self.server = server.rstrip("/")
        self.token = token
        self.name = name.strip()
        self.kind = source
        self.stream_url = source_url or default_stream_url(self.server, source)
        self.output = output
        self.report_interval = report_interval
        self.stall_timeout = stall_timeout
        self.pyaudio_module = pyaudio_module
        self.jitter_ms = DEFAULT_JITTER_MS[source] if jitter_ms is None else jitter_ms
        if self.jitter_ms < 0:
            raise ValueError("--jitter-ms must be >= 0")
        self.max_jitter_ms = max(self.jitter_ms, DEFAULT_MAX_JITTER_MS if max_jitter_ms is None
                                 else max_jitter_ms)
        self.buffer = JitterBuffer(target_ms=self.jitter_ms, max_target_ms=self.max_jitter_ms,
                                   max_ms=self.max_jitter_ms + max(OVERFLOW_MARGIN_MS, self.jitter_ms))
        self._underruns_logged = 0
        self.last_audio_at: datetime | None = None
        self.errors: deque[str] = deque(maxlen=10)
        self.reports_sent = 0
        self.report_failures = 0
        self.puller = Puller(self)
        self.wav: WavPlayer | None = None
        self.device: DevicePlayer | None = None
        if output is not None and output.lower().endswith(".wav"):
            self.wav = WavPlayer(Path(output), self.buffer)
        else:
            self.device = DevicePlayer(self, output)

    def on_pcm(self, pcm: bytes) -> None:
        self.buffer.push(pcm)
        self.last_audio_at = datetime.now(UTC)

    def add_error(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%SZ")
        self.errors.append(f"{stamp} {text}")

    @property
    def connected(self) -> bool:
        return (self.puller.state == "running" and self.last_audio_at is not None
                and (datetime.now(UTC) - self.last_audio_at).total_seconds() < self.stall_timeout)

    def report(self) -> dict[str, Any]:
        """The health report: connection, buffer (level, current target), underruns (total, in
        the last minute, the last one's time), silence played and audio dropped to resync."""
        buf = self.buffer.status()
        last_underrun = buf.pop("last_underrun_at")
        return {
            "name": self.name,
            "connected": self.connected,
            "last_audio_at": self.last_audio_at.isoformat() if self.last_audio_at else None,
            "errors": list(self.errors),
            "url": self.stream_url,
            **buf,
            "last_underrun_at": (datetime.fromtimestamp(last_underrun, UTC).isoformat()
                                 if last_underrun is not None else None),
            "restarts": self.puller.restarts,
        }

    def _log_underruns(self) -> None:
        n = self.buffer.underruns
        if n > self._underruns_logged:
            log.warning("underrun: %d new (%d in all, %d in the last minute); the buffer now "
                        "aims at %d ms", n - self._underruns_logged, n,
                        self.buffer.recent_underruns(), self.buffer.target_ms)
            self._underruns_logged = n

    async def _post_report(self, http: aiohttp.ClientSession, report: dict[str, Any]) -> None:
        url = f"{self.server}/api/relays/report"
        self._log_underruns()
        try:
            async with http.post(url, json=report,
                                 headers={"Authorization": f"Bearer {self.token}"}) as resp:
                if resp.status != 200:
                    body = await resp.text()
                    raise RuntimeError(f"HTTP {resp.status} {body[:200]}")
            self.reports_sent += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.report_failures += 1
            self.add_error(f"report to {url}: {type(exc).__name__}: {exc}")

    async def _report_loop(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                await self._post_report(http, self.report())
                await asyncio.sleep(self.report_interval)

    async def _last_report(self) -> None:
        """On the way out: the final counters, and `connected: false`, so the moderator sees
        at once that this relay stopped (not 15 s later)."""
        failures = self.report_failures
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            await self._post_report(http, {**self.report(), "connected": False})
        if self.report_failures > failures:
            log.warning("last report not delivered: %s", self.errors[-1])

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until `stop` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        self.puller.start()
        if self.device is not None:
            self.device.start()
        if self.wav is not None:
            tasks.append(asyncio.create_task(self.wav.run()))
        tasks.append(asyncio.create_task(self._report_loop()))
        try:
            await stop.wait()
        finally:
            # Playback ends first: the WAV file (like the loudspeaker) ends with what was
            # playing when the stop came, not with the silence of the stream being torn down.
            for t in tasks:
                await cancel_and_wait(t)
            if self.device is not None:
                await self.device.stop()
            await self.puller.stop()
            with contextlib.suppress(Exception):
                await self._last_report()
            if self.puller._sdp_dir:
                with contextlib.suppress(OSError):
                    for f in os.listdir(self.puller._sdp_dir):
                        os.unlink(os.path.join(self.puller._sdp_dir, f))
                    os.rmdir(self.puller._sdp_dir)
