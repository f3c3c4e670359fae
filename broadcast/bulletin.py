"""Recorded bulletins played through the broadcast (Decree 49/2024: the commune radio carries
the authorities' answers): any file ffmpeg reads is decoded to 48 kHz mono PCM and handed out
as 20 ms programme frames at the real-time rate.

`BulletinPlayback` is one playing item: progress for the status, a `stop()`, and `run(sink)`
which returns when the file has been played (or stopped, or failed). The service decides what
happens around it (on air, chime, back to the previous state).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ffmpeg

from .audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE
from .supervise import drain_stream, kill_process

FRAME_S = FRAME_MS / 1000.0
MAX_LAG_S = 0.25  # after a stall the clock restarts (no burst, no audio skipped)


def decode_command(path: str) -> list[str]:
    out = ffmpeg.input(path).output("pipe:1", format="s16le", acodec="pcm_s16le", ac=1,
                                    ar=SAMPLE_RATE)
    return ffmpeg.compile(out.global_args("-hide_banner", "-nostdin", "-loglevel", "error",
                                          "-vn", "-sn", "-dn"))


async def probe_duration(path: str) -> float | None:
    """The file's duration in seconds according to ffprobe, or None."""
    try:
        proc = await asyncio.create_subprocess_exec(
            "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", path,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        value = float(json.loads(out or b"{}").get("format", {}).get("duration", "nan"))
    except (OSError, TimeoutError, ValueError, TypeError):
        return None
    return value if value == value and value > 0 else None


class BulletinPlayback:
    def __init__(self, path: Path | str, title: str | None = None) -> None:
        self.path = Path(path)
        self.title = title or self.path.name
        self.state = "queued"  # queued | playing | played | stopped | failed
        self.error: str | None = None
        self.duration_s: float | None = None
        self.position_s = 0.0
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self._stop = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def status(self) -> dict[str, Any]:
        progress = None
        if self.duration_s:
            progress = round(min(1.0, self.position_s / self.duration_s), 3)
        return {
            "title": self.title, "file": self.path.name, "state": self.state,
            "position_s": round(self.position_s, 1),
            "duration_s": round(self.duration_s, 1) if self.duration_s else None,
            "progress": progress, "error": self.error,
            "started_at": self.started_at.isoformat() if self.started_at else None,
        }

    async def run(self, sink: Callable[[bytes], None], lead_in: bytes = b"",
                  on_first_frame: Callable[[], None] | None = None) -> str:
        """Play `lead_in` (e.g. the chime) then the file, one frame per 20 ms, into `sink`;
        `on_first_frame` is called just before the first frame (the decoder is running by then,
        so the programme switches over without a hole). Returns the final state: played,
        stopped or failed (with `error`)."""
        self.state = "playing"
        self.started_at = datetime.now(UTC)
        if not self.path.is_file():
            return self._end("failed", f"Không tìm thấy tệp {self.path.name}")
        self.duration_s = await probe_duration(str(self.path))
        try:
            self._proc = proc = await asyncio.create_subprocess_exec(
                *decode_command(str(self.path)), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            return self._end("failed", f"Không chạy được ffmpeg: {exc}")
        assert proc.stdout is not None
        errors = asyncio.create_task(drain_stream(proc.stderr))
        lead = [lead_in[i:i + FRAME_BYTES] for i in range(0, len(lead_in), FRAME_BYTES)]
        frames_of_file = 0
        try:
            first: bytes | None = None
            if not lead:  # wait for the decoder before taking the programme over
                first = await self._read(proc.stdout)
                if first is None:
                    return await self._failed(proc, errors)
            if on_first_frame is not None:
                on_first_frame()
            t0 = time.monotonic()  # the clock starts with the first frame: no catch-up burst
            n = 0
            while not self._stop.is_set():
                if lead:
                    frame = lead.pop(0)
                else:
                    if first is not None:
                        frame, first = first, None
                    else:
                        got = await self._read(proc.stdout)
                        if got is None:
                            break
                        frame = got
                    frames_of_file += 1
                    self.position_s = frames_of_file * FRAME_S
                now = time.monotonic()
                if now - (t0 + n * FRAME_S) > MAX_LAG_S:
                    t0 = now - n * FRAME_S
                wait = t0 + n * FRAME_S - now
                if wait > 0:
                    await asyncio.sleep(wait)
                    if self._stop.is_set():
                        break
                sink(frame)
                n += 1
            if self._stop.is_set():
                return self._end("stopped", None)
            if frames_of_file == 0:
                return await self._failed(proc, errors)
            return self._end("played", None)
        finally:
            errors.cancel()
            await kill_process(self._proc)
            self._proc = None

    @staticmethod
    async def _read(stdout: asyncio.StreamReader) -> bytes | None:
        try:
            return await stdout.readexactly(FRAME_BYTES)
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                return None
            return exc.partial + bytes(FRAME_BYTES - len(exc.partial))

    async def _failed(self, proc: asyncio.subprocess.Process, errors: asyncio.Task[list[str]]) -> str:
        rc = await proc.wait()
        lines = await asyncio.wait_for(errors, 5)
        detail = lines[-1] if lines else f"ffmpeg thoát với mã {rc}"
        return self._end("failed", f"Không đọc được âm thanh trong tệp: {detail}")

    def _end(self, state: str, error: str | None) -> str:
        self.state = state
        self.error = error
        self.ended_at = datetime.now(UTC)
        return state
