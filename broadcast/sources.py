"""Capture sources producing 20 ms frames of 48 kHz mono s16le PCM on the event loop.

* `PyAudioSource`: a sound card input in callback mode; overflows are counted, never fatal;
  without a sound card it fails with a clear reason and keeps retrying in the background.
* `FileSource`: any file ffmpeg reads, decoded to PCM and paced in real time, optionally looping.
* `ToneSource`: a sine test tone.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import ffmpeg

from .audio import FRAME_BYTES, FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, to_pcm, tone_samples
from .messages import message
from .pyaudio_out import PORTAUDIO_LOCK, close_portaudio
from .spec import SourceSpec, parse_source_spec
from .supervise import Supervised, drain_stream, kill_process

FrameSink = Callable[[bytes], None]
FRAME_S = FRAME_MS / 1000.0
MAX_LAG_S = 0.25  # a pacer further behind than this skips ahead instead of bursting


class SourceError(RuntimeError):
    """A source cannot run; `code` is a stable key of messages.MESSAGES."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


class Source(Supervised):
    kind = "source"

    def __init__(self, spec: SourceSpec, sink: FrameSink, **kw: Any) -> None:
        super().__init__(spec.describe(), **kw)
        self.spec = spec
        self.sink = sink
        self.frames = 0
        self.error_code: str | None = None

    def emit(self, frame: bytes) -> None:
        self.frames += 1
        self.sink(frame)

    def on_error(self, exc: Exception) -> None:
        self.error_code = getattr(exc, "code", "source_failed")
        self.record_error(str(exc) if isinstance(exc, SourceError) else
                          message("source_failed", detail=f"{type(exc).__name__}: {exc}"))

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(spec=self.spec.describe(), type=self.spec.kind, frames=self.frames,
                  error_code=self.error_code if self.state != "running" else None)
        return st

    async def _paced(self, next_frame: Callable[[], Any]) -> None:
        """Call `await next_frame()` → bytes|None at real-time pace; None ends the loop."""
        first = await next_frame()  # pacing starts when audio is there (a decoder starts slowly)
        if first is None:
            return
        self.emit(first)
        t0 = time.monotonic()
        n = 1
        while True:
            now = time.monotonic()
            if now - (t0 + n * FRAME_S) > MAX_LAG_S:  # we were stalled: do not burst
                t0 = now - n * FRAME_S
            due = int((now - t0) / FRAME_S) + 1
            while n < due:
                frame = await next_frame()
                if frame is None:
                    return
                self.emit(frame)
                n += 1
            await asyncio.sleep(max(0.0, t0 + n * FRAME_S - time.monotonic()))


class ToneSource(Source):
    async def run_once(self) -> None:
        self.mark_running()
        pos = 0

        async def next_frame() -> bytes:
            nonlocal pos
            frame = to_pcm(tone_samples(self.spec.hz, pos, FRAME_SAMPLES))
            pos = (pos + FRAME_SAMPLES) % (SAMPLE_RATE * 1000)
            return frame

        await self._paced(next_frame)


class FileSource(Source):
    def __init__(self, spec: SourceSpec, sink: FrameSink, *, loop_file: bool = True, **kw: Any) -> None:
        super().__init__(spec, sink, **kw)
        self.loop_file = loop_file
        self.passes = 0
        self._proc: asyncio.subprocess.Process | None = None

    def command(self) -> list[str]:
        opts = {"stream_loop": -1} if self.loop_file else {}
        stream = ffmpeg.input(self.spec.path or "", **opts)
        out = stream.output("pipe:1", format="s16le", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE)
        return ffmpeg.compile(out.global_args("-hide_banner", "-nostdin", "-loglevel", "error"))

    async def run_once(self) -> None:
        path = self.spec.path or ""
        if not os.path.isfile(path):
            raise SourceError("file_missing", message("file_missing", path=path))
        while True:
            self._proc = proc = await asyncio.create_subprocess_exec(
                *self.command(), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            assert proc.stdout is not None
            errors = asyncio.create_task(drain_stream(proc.stderr))
            got_audio = False
            tail = b""

            async def next_frame(reader: asyncio.StreamReader = proc.stdout) -> bytes | None:
                nonlocal got_audio, tail
                try:
                    frame = await reader.readexactly(FRAME_BYTES)
                except asyncio.IncompleteReadError as exc:
                    tail = exc.partial
                    return None
                if not got_audio:
                    got_audio = True
                    self.mark_running()
                return frame

            await self._paced(next_frame)
            if tail:
                self.emit(tail + bytes(FRAME_BYTES - len(tail)))
            rc = await proc.wait()
            lines = await errors
            self._proc = None
            if not got_audio:
                raise SourceError("file_unreadable", message(
                    "file_unreadable", path=path, detail=(lines[-1] if lines else f"exit {rc}")))
            self.passes += 1
            if not self.loop_file:
                self.error_code = "file_finished"
                self.state = "finished"
                await asyncio.Event().wait()  # stay finished until stopped

    async def cleanup(self) -> None:
        proc, self._proc = self._proc, None
        await kill_process(proc)


class PyAudioSource(Source):
    """Sound card input in callback mode. `pyaudio_module` may be replaced in tests.

    A device that goes away while capturing (unplugged, its PulseAudio source removed) is
    noticed within half a second when its stream stops, or after `STALL_S` without audio:
    the source is then `lost` (error code `device_lost`, since `lost_since`), keeps that
    Vietnamese reason while it waits, and retries every `LOST_RETRY_S` for `LOST_FAST_S`
    (then at the usual pace) until the device is back."""

    STALL_S = 2.0
    FIRST_AUDIO_S = 5.0
    LOST_RETRY_S = 2.0
    LOST_FAST_S = 300.0
    IDLE_MAX_BACKOFF_S = 30.0

    def __init__(self, spec: SourceSpec, sink: FrameSink, *, pyaudio_module: Any = None,
                 **kw: Any) -> None:
        kw.setdefault("max_backoff", self.IDLE_MAX_BACKOFF_S)
        super().__init__(spec, sink, **kw)
        self._pyaudio_module = pyaudio_module
        self.overflows = 0
        self.device_name: str | None = None
        self.lost_since: str | None = None  # ISO time the running device went away
        self._lost_at = 0.0  # time.monotonic() of that
        self._lost_reason = ""
        self._pa: Any = None
        self._stream: Any = None
        self._last_callback = 0.0
        self._pending = bytearray()
        self.frames_since_open = 0

    def _module(self) -> Any:
        if self._pyaudio_module is None:
            try:
                import pyaudio  # noqa: PLC0415 - optional at import time
            except ImportError as exc:
                raise SourceError("pyaudio_missing", message("pyaudio_missing")) from exc
            self._pyaudio_module = pyaudio
        return self._pyaudio_module

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        """Blocking: open PortAudio and the input stream (runs in a thread)."""
        with PORTAUDIO_LOCK:
            self._open_locked(loop)

    def _open_locked(self, loop: asyncio.AbstractEventLoop) -> None:
        pa_mod = self._module()
        pa = pa_mod.PyAudio()
        self._pa = pa
        index = resolve_input_device(pa, self.spec.device)
        info = pa.get_device_info_by_index(index)
        self.device_name = str(info.get("name"))
        overflow_flag = getattr(pa_mod, "paInputOverflow", 2)
        cont = getattr(pa_mod, "paContinue", 0)

        def callback(in_data: bytes, frame_count: int, time_info: Any, status: int) -> tuple[None, int]:
            if status & overflow_flag:
                self.overflows += 1
            self._last_callback = time.monotonic()
            self.frames_since_open += 1
            loop.call_soon_threadsafe(self._on_pcm, bytes(in_data))
            return None, cont

        try:
            self._stream = pa.open(format=pa_mod.paInt16, channels=1, rate=SAMPLE_RATE, input=True,
                                   input_device_index=index, frames_per_buffer=FRAME_SAMPLES,
                                   stream_callback=callback)
        except Exception as exc:
            raise SourceError("no_sound_card", message("no_sound_card", detail=str(exc))) from exc
        self._stream.start_stream()

    def _on_pcm(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= FRAME_BYTES:
            frame = bytes(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
            self.emit(frame)

    async def run_once(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._open, loop)
        self._last_callback = time.monotonic()
        self._pending.clear()
        self.frames_since_open = 0
        self.lost_since, self._lost_reason = None, ""
        self.max_backoff = self.IDLE_MAX_BACKOFF_S
        self.mark_running()
        while True:
            await asyncio.sleep(0.5)
            if not self._stream.is_active():
                self._lost(message("stream_stopped"))
            # A device may take a while to deliver its first block (a PulseAudio source that
            # was idle sends about two seconds at once): the first one gets longer.
            limit = self.STALL_S if self.frames_since_open else self.FIRST_AUDIO_S
            if time.monotonic() - self._last_callback > limit:
                self._lost(message("no_callbacks", seconds=limit))

    def _lost(self, reason: str) -> None:
        self.lost_since = datetime.now(UTC).isoformat()
        self._lost_at, self._lost_reason = time.monotonic(), reason
        raise SourceError("device_lost", self._lost_message())

    def _lost_message(self) -> str:
        device = self.device_name or self.spec.device or "mặc định"
        return message("device_lost", device=device, detail=self._lost_reason)

    def on_error(self, exc: Exception) -> None:
        super().on_error(exc)
        if self.lost_since is None:
            return
        # Waiting for a device that went away: keep saying so (not PortAudio's reopen error),
        # and look for it often for a while.
        self.error_code = "device_lost"
        self.record_error(self._lost_message())
        fast = time.monotonic() - self._lost_at < self.LOST_FAST_S
        self.max_backoff = self.LOST_RETRY_S if fast else self.IDLE_MAX_BACKOFF_S

    async def cleanup(self) -> None:
        stream, pa = self._stream, self._pa
        self._stream = self._pa = None

        def close() -> None:
            with PORTAUDIO_LOCK:
                close_portaudio(stream, pa)

        await asyncio.get_running_loop().run_in_executor(None, close)

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(overflows=self.overflows, device=self.device_name,
                  lost_since=self.lost_since if self.state != "running" else None)
        return st


def resolve_input_device(pa: Any, device: str | None) -> int:
    """Index of the input device: default, a number, or a case-insensitive name fragment."""
    count = pa.get_device_count()
    inputs = []
    for i in range(count):
        info = pa.get_device_info_by_index(i)
        if int(info.get("maxInputChannels", 0)) > 0:
            inputs.append((i, str(info.get("name", ""))))
    if not inputs:
        raise SourceError("no_sound_card", message("no_sound_card",
                                                   detail="PortAudio thấy 0 thiết bị thu âm"))
    if device is None:
        try:
            return int(pa.get_default_input_device_info()["index"])
        except Exception:
            return inputs[0][0]
    if device.isdigit():
        idx = int(device)
        if any(i == idx for i, _ in inputs):
            return idx
        raise SourceError("device_not_found", message("device_not_found", device=device))
    for i, name in inputs:
        if device.lower() in name.lower():
            return i
    raise SourceError("device_not_found", message("device_not_found", device=device))


def make_source(spec: str | SourceSpec, sink: FrameSink, **kw: Any) -> Source:
    """Build the source for a spec string (raises ValueError for a bad spec)."""
    parsed = parse_source_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind == "tone":
        return ToneSource(parsed, sink, **kw)
    if parsed.kind == "file":
        return FileSource(parsed, sink, **kw)
    return PyAudioSource(parsed, sink, **kw)
