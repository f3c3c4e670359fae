"""Continuous recording of the captured audio, independent of every output.

Layout under the recording folder: WAV segments (48 kHz mono s16le, a new one every
`segment_seconds` or after a capture gap) and `index.jsonl`, one line per segment with its
first sample's wall-clock UTC time. Inside a segment, short capture stalls are filled with
silence so that sample positions stay aligned with wall-clock time.

When the filesystem's free space would fall below the disk reserve (broadcast/disk.py), the
current segment is closed (a valid WAV) and the state becomes "stopped_disk_full"; recording
resumes in a new segment once space is back. When the capture device goes away
(`capture_lost`), the segment is closed the same way until it is back (`capture_resumed`).
Such stops and resumptions are lines of the index too (`{"event": "stopped" | "resumed",
"reason": "disk_full" | "device_lost", "at": ...}`), so the gap is on record.

Offsets (`offset_at`) are seconds of recorded audio from the start of the first segment, the
segments laid end to end. `extract()` cuts [start, end) into a per-turn file: WAV 16 kHz mono
(for speech recognition), Ogg/Opus or MP3 (for browser playback), by the file suffix.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import ffmpeg

from server.domain.local_time import LOCAL_TZ

from .audio import FRAME_SAMPLES, SAMPLE_RATE, SAMPLE_WIDTH
from .disk import HEADROOM_BYTES, DiskWatch, Reserve, decide, disk_full_message, resume_margin
from .messages import message as recording_message

log = logging.getLogger(__name__)
BYTES_PER_S = SAMPLE_RATE * SAMPLE_WIDTH
FILL_GAP_MAX_S = 5.0  # stalls up to this long are filled with silence, longer ones start a segment
LAG_TOLERANCE_S = 0.3
DISK_FULL = "stopped_disk_full"


def recording_gap_message(since: str) -> str:
    return recording_message("recording_gap", time=since)


def wav_header(data_bytes: int, *, rate: int = SAMPLE_RATE, channels: int = 1, width: int = 2) -> bytes:
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1,
                       channels, rate, rate * channels * width, channels * width, width * 8,
                       b"data", data_bytes)


def as_utc(t: datetime) -> datetime:
    """Aware datetime in UTC; a naive datetime is taken to be UTC already."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass
class Segment:
    file: str
    start: float  # unix time of the first sample
    offset: float  # seconds of audio recorded before this segment
    samples: int = 0

    @property
    def duration(self) -> float:
        return self.samples / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.start + self.duration


def offset_in(segments: list[Segment], t: float) -> float | None:
    """Audio offset (s) of unix time t: inside a segment exact; in a gap, the next segment's start;
    clamped to the recording's ends. None when nothing is recorded. (Pure.)"""
    if not segments:
        return None
    for seg in segments:
        if t < seg.start:
            return seg.offset
        if t <= seg.end:
            return seg.offset + (t - seg.start)
    last = segments[-1]
    return last.offset + last.duration


class Recorder:
    def __init__(self, folder: Path, *, segment_seconds: float = 600.0,
                 disk_reserve: Reserve | None = None,
                 disk_usage: Callable[[str], tuple[int, int, int]] | None = None) -> None:
        """``disk_reserve``: stop before the free space falls below it (None: never check)."""
        self.folder = Path(folder)
        self.segment_seconds = segment_seconds
        self.index_path = self.folder / "index.jsonl"
        self.segments: list[Segment] = []
        self.state = "idle"
        self.last_error: str | None = None
        self.filled_silence_s = 0.0
        self._fh: BinaryIO | None = None
        self._last_header_update = 0.0
        self._next_retry = 0.0
        self.events: list[dict[str, Any]] = []  # stopped / resumed lines of the index
        self._stopped_at = 0.0  # time.monotonic() of the last disk-full stop
        self.capture_gap: dict[str, Any] | None = None  # the capture device is gone (reason, at)
        self.disk: DiskWatch | None = None
        if disk_reserve is not None:
            self.disk = DiskWatch(self.folder, disk_reserve, usage=disk_usage)
            self.disk.measure_now()
        self._load_index()

    # -- index ------------------------------------------------------------------------------------
    def _load_index(self) -> None:
        if not self.index_path.exists():
            return
        offset = 0.0
        for line in self.index_path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if "event" in rec:
                self.events.append(rec)
                continue
            path = self.folder / rec["file"]
            if path.exists():
                samples = max(0, path.stat().st_size - 44) // SAMPLE_WIDTH
            else:  # expired: its length stays in the index so later offsets do not move
                samples = int(rec.get("samples", 0))
            seg = Segment(rec["file"], float(rec["start"]), offset, samples)
            self.segments.append(seg)
            offset += seg.duration

    @property
    def total_seconds(self) -> float:
        return sum(s.duration for s in self.segments)

    # -- writing ------------------------------------------------------------------------------------
    def _open_segment(self, start: float) -> None:
        self._close_segment()
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.fromtimestamp(start, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"seg-{stamp}.wav"
        fh = open(self.folder / name, "wb")  # noqa: SIM115 - kept open while recording
        fh.write(wav_header(0))
        offset = self.total_seconds
        seg = Segment(name, start, offset)
        with open(self.index_path, "a", encoding="utf-8") as idx:
            idx.write(json.dumps({"file": name, "start": start,
                                  "start_utc": datetime.fromtimestamp(start, UTC).isoformat(),
                                  "sample_rate": SAMPLE_RATE}) + "\n")
        self.segments.append(seg)
        self._fh = fh
        self.state = "recording"

    def expire_before(self, cutoff: datetime) -> list[str]:
        """Delete the closed segments that ended before ``cutoff`` (the retention period).

        Their lengths stay in the index, so the offsets of what is kept do not change.
        Returns the names of the deleted files."""
        limit = as_utc(cutoff).timestamp()
        current = self.segments[-1] if self._fh is not None and self.segments else None
        gone = []
        for seg in self.segments:
            path = self.folder / seg.file
            if seg is not current and seg.end < limit and path.exists():
                path.unlink()
                gone.append(seg.file)
        if gone:
            timed: list[tuple[float, str]] = []
            for seg in self.segments:
                rec = {"file": seg.file, "start": seg.start,
                       "start_utc": datetime.fromtimestamp(seg.start, UTC).isoformat(),
                       "sample_rate": SAMPLE_RATE}
                if not (self.folder / seg.file).exists():
                    rec.update(samples=seg.samples, expired=True)
                timed.append((seg.start, json.dumps(rec) + "\n"))
            timed += [(float(ev.get("at", 0.0)), json.dumps(ev) + "\n") for ev in self.events]
            lines = [line for _, line in sorted(timed, key=lambda x: x[0])]
            tmp = self.index_path.with_name(".index.jsonl.part")
            tmp.write_text("".join(lines), encoding="utf-8")
            os.replace(tmp, self.index_path)
        return gone

    def _update_header(self) -> None:
        if self._fh is None or not self.segments:
            return
        data = self.segments[-1].samples * SAMPLE_WIDTH
        pos = self._fh.tell()
        self._fh.seek(0)
        self._fh.write(wav_header(data))
        self._fh.seek(pos)
        self._fh.flush()
        self._last_header_update = time.monotonic()

    def _close_segment(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._update_header()
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None

    def write(self, pcm: bytes, at: float | None = None) -> None:
        """Append captured PCM whose last sample was captured at unix time `at` (default now).
        Never raises: a disk error is recorded in the state and retried a few seconds later;
        near the disk reserve nothing is written until space is back (see module doc)."""
        now = time.time() if at is None else at
        if self.capture_gap is not None:  # audio again: the first frame ends the gap
            self.capture_resumed(now - len(pcm) / BYTES_PER_S)
        if self.disk is not None and not self._disk_allows(now - len(pcm) / BYTES_PER_S):
            return
        if self.state == "error" and time.monotonic() < self._next_retry:
            return
        try:
            self._write(pcm, now)
        except OSError as exc:
            self._close_segment()
            if exc.errno == errno.ENOSPC and self.disk is not None:
                self._stop_for_disk(now, reason="enospc")
                return
            self.state = "error"
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._next_retry = time.monotonic() + 5.0

    # -- the disk reserve ---------------------------------------------------------------------------
    def _disk_allows(self, start: float) -> bool:
        """Stop or resume by the latest free-space estimate; True when this frame may be written.
        Cheap: no system call here, the measurement runs in DiskWatch's thread."""
        assert self.disk is not None
        self.disk.poll()
        est = self.disk.estimate()
        stopped = self.state == DISK_FULL
        if est is None:  # never measured (the filesystem cannot be asked): write, ENOSPC stops
            return not stopped
        choice = decide(est.free, est.total, self.disk.reserve, recording=not stopped)
        if choice == "stop":
            self._stop_for_disk(start)
            return False
        if choice == "wait" or (choice == "resume" and est.asked_at <= self._stopped_at):
            return False  # resume only on a measurement asked for after the stop
        if choice == "resume":
            self._log_event({"event": "resumed", "reason": "disk_full", "at": start,
                             "free_bytes": est.free})
            log.warning("recording resumed: %d MB free", est.free // 2**20)
            self.state, self.last_error = "idle", None  # the next frame opens a new segment
        return True

    def _stop_for_disk(self, at: float, *, reason: str = "reserve") -> None:
        seg = self.segments[-1] if (self.segments and self._fh is not None) else None
        self._close_segment()
        self.state = DISK_FULL
        self._stopped_at = time.monotonic()
        est = self.disk.estimate() if self.disk is not None else None
        free = est.free if est is not None else 0
        need = self.disk.reserve.bytes_for(est.total) if (self.disk and est) else 0
        self.last_error = disk_full_message(free, need)
        self._log_event({"event": "stopped", "reason": "disk_full", "detail": reason,
                         "at": seg.end if seg is not None else at,
                         "free_bytes": free, "reserve_bytes": need})
        log.warning("recording stopped: %d MB free, reserve %d MB (%s)",
                    free // 2**20, need // 2**20, reason)

    def _log_event(self, event: dict[str, Any]) -> None:
        event["at_utc"] = datetime.fromtimestamp(event["at"], UTC).isoformat()
        self.events.append(event)
        with contextlib.suppress(OSError):  # the reserve leaves room for a line
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.index_path, "a", encoding="utf-8") as idx:
                idx.write(json.dumps(event) + "\n")

    def gaps(self) -> list[dict[str, Any]]:
        """Periods not recorded (the disk (nearly) full, the capture device gone): reason,
        from, to (None: still)."""
        out: list[dict[str, Any]] = []
        for ev in self.events:
            if ev.get("event") == "stopped":
                out.append({"reason": ev.get("reason"), "from_utc": ev.get("at_utc"),
                            "to_utc": None})
            elif ev.get("event") == "resumed":
                gap = next((g for g in reversed(out) if g["to_utc"] is None
                            and g["reason"] == ev.get("reason")), None)
                if gap is not None:
                    gap["to_utc"] = ev.get("at_utc")
        return out

    # -- capture gaps -------------------------------------------------------------------------------
    def capture_lost(self, reason: str, detail: str | None = None) -> None:
        """The capture stopped (its device went away): the current segment is closed, so the
        audio that follows starts a new one, and the gap is a line of the index from the last
        sample recorded. Idempotent while the gap lasts."""
        if self.capture_gap is not None:
            return
        seg = self.segments[-1] if (self.segments and self._fh is not None) else None
        self._close_segment()
        if self.state == "recording":
            self.state = "idle"
        at = seg.end if seg is not None else time.time()
        self.capture_gap = {"reason": reason, "at": at}
        self._log_event({"event": "stopped", "reason": reason, "at": at,
                         **({"detail": detail} if detail else {})})

    def capture_resumed(self, at: float | None = None) -> None:
        """The capture is back: the gap ends (at its first frame; the frame opens a segment)."""
        gap, self.capture_gap = self.capture_gap, None
        if gap is not None:
            self._log_event({"event": "resumed", "reason": gap["reason"],
                             "at": time.time() if at is None else at})

    def _write(self, pcm: bytes, end_time: float) -> None:
        n = len(pcm) // SAMPLE_WIDTH
        start_time = end_time - n / SAMPLE_RATE
        seg = self.segments[-1] if (self.segments and self._fh is not None) else None
        fill_bytes = 0
        if seg is not None:
            lag = start_time - seg.end
            if lag > FILL_GAP_MAX_S or lag < -FILL_GAP_MAX_S or seg.duration >= self.segment_seconds:
                seg = None
            elif lag > LAG_TOLERANCE_S:  # the capture stalled: keep wall-clock alignment
                fill = int(lag * SAMPLE_RATE) // FRAME_SAMPLES * FRAME_SAMPLES
                assert self._fh is not None
                self._fh.write(bytes(fill * SAMPLE_WIDTH))
                fill_bytes = fill * SAMPLE_WIDTH
                seg.samples += fill
                self.filled_silence_s += fill / SAMPLE_RATE
        if seg is None:
            self._open_segment(start_time)
            seg = self.segments[-1]
        assert self._fh is not None
        self._fh.write(pcm)
        seg.samples += n
        if self.disk is not None:
            self.disk.written += len(pcm) + fill_bytes
        if time.monotonic() - self._last_header_update > 1.0:
            self._update_header()

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self._update_header()

    def close(self) -> None:
        self._close_segment()
        if self.state == "recording":
            self.state = "idle"

    # -- reading ------------------------------------------------------------------------------------
    def offset_at(self, t: datetime) -> float | None:
        """Seconds into the recording of instant t (see module doc); None if nothing recorded."""
        off = offset_in(self.segments, as_utc(t).timestamp())
        return None if off is None else round(off, 3)

    def read_window(self, start: float, end: float) -> bytes:
        """48 kHz PCM for unix times [start, end); gaps between segments become silence."""
        total = int(round((end - start) * SAMPLE_RATE))
        out = bytearray(total * SAMPLE_WIDTH)
        covered = 0
        for seg in self.segments:
            lo, hi = max(start, seg.start), min(end, seg.end)
            if hi <= lo:
                continue
            first = int(round((lo - seg.start) * SAMPLE_RATE))
            count = min(int(round((hi - lo) * SAMPLE_RATE)), seg.samples - first)
            dest = int(round((lo - start) * SAMPLE_RATE))
            count = min(count, total - dest)
            if count <= 0 or not (self.folder / seg.file).exists():  # expired audio is gone
                continue
            with open(self.folder / seg.file, "rb") as fh:
                fh.seek(44 + first * SAMPLE_WIDTH)
                data = fh.read(count * SAMPLE_WIDTH)
            out[dest * SAMPLE_WIDTH : dest * SAMPLE_WIDTH + len(data)] = data
            covered += len(data)
        if covered == 0:
            raise ValueError("no recorded audio between "
                             f"{datetime.fromtimestamp(start, UTC).isoformat()} and "
                             f"{datetime.fromtimestamp(end, UTC).isoformat()}")
        return bytes(out)

    async def extract(self, start_utc: datetime, end_utc: datetime,
                      dest_path: Path | str) -> tuple[Path, str]:
        """Cut [start_utc, end_utc) into dest_path (.wav → 16 kHz mono PCM; .ogg/.opus → Opus;
        .mp3 → MP3). Written to a temporary file then renamed: nothing partial is left.
        Returns (path, sha256 hex of the file)."""
        dest = Path(dest_path)
        start, end = as_utc(start_utc).timestamp(), as_utc(end_utc).timestamp()
        if end <= start:
            raise ValueError("extract: end must be after start")
        suffix = dest.suffix.lower()
        if suffix not in (".wav", ".ogg", ".opus", ".mp3"):
            raise ValueError(f"extract: unsupported file type {suffix!r} (use .wav, .ogg, .opus or .mp3)")
        if self._fh is not None:
            self.flush()
        pcm = await asyncio.get_running_loop().run_in_executor(None, self.read_window, start, end)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        inp = ffmpeg.input("pipe:0", format="s16le", ar=SAMPLE_RATE, ac=1)
        if suffix == ".wav":
            out = inp.output(str(tmp), format="wav", acodec="pcm_s16le", ar=16000, ac=1)
        elif suffix == ".mp3":
            out = inp.output(str(tmp), format="mp3", acodec="libmp3lame", audio_bitrate="64k")
        else:
            out = inp.output(str(tmp), format="ogg", acodec="libopus", audio_bitrate="32k",
                             application="voip")
        cmd = ffmpeg.compile(out.global_args("-hide_banner", "-nostdin", "-loglevel", "error", "-y"))
        proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate(pcm)
        if proc.returncode != 0:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise RuntimeError(f"ffmpeg could not write {dest.name}: {err.decode(errors='replace').strip()}")
        os.replace(tmp, dest)
        digest = hashlib.sha256()
        with open(dest, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return dest, digest.hexdigest()

    def disk_status(self) -> dict[str, Any] | None:
        est = self.disk.estimate() if self.disk is not None else None
        if self.disk is None or est is None:
            return None
        need = self.disk.reserve.bytes_for(est.total)
        return {"free_bytes": est.free, "total_bytes": est.total, "reserve_bytes": need,
                "resume_above_bytes": need + HEADROOM_BYTES + resume_margin(need), "reserve": str(self.disk.reserve)}

    def status(self) -> dict[str, Any]:
        """``state``: idle, recording, error (``last_error``) or stopped_disk_full (``message``,
        Vietnamese, for the tablets); ``disk``: free space and reserve; ``gaps``: the last ones."""
        seg = self.segments[-1] if self.segments else None
        disk = self.disk_status()
        message = None
        if self.state == DISK_FULL:
            message = (disk_full_message(disk["free_bytes"], disk["reserve_bytes"])
                       if disk is not None else self.last_error)
        elif self.capture_gap is not None:
            since = datetime.fromtimestamp(self.capture_gap["at"], LOCAL_TZ).strftime("%H:%M:%S")
            message = recording_gap_message(since)
        return {
            "state": self.state,
            "message": message,
            "disk": disk,
            "gaps": self.gaps()[-5:],
            "folder": str(self.folder),
            "segments": len(self.segments),
            "recorded_s": round(self.total_seconds, 1),
            "current_file": seg.file if (seg and self._fh is not None) else None,
            "filled_silence_s": round(self.filled_silence_s, 2),
            "last_error": self.last_error,
        }
