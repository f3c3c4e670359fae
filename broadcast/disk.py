"""The disk reserve: the recording stops before it takes the space the database needs.

The conference recording is the one thing that grows without bound (about 340 MB an hour).
When the free space of its filesystem would fall below the reserve, the recorder closes its
file and waits; it resumes into a new segment once the free space is back above the reserve
plus a margin (hysteresis, so that it does not stop and start on every measurement).

Pure: `Reserve`, `parse_reserve`, `decide`, `resume_margin`, `format_size`,
`disk_full_message`. `DiskWatch` measures the filesystem (``shutil.disk_usage``) at most once
per interval in a daemon thread, so neither the event loop nor the capture path ever waits
for the disk; between two measurements the bytes written since are subtracted.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

MIB = 1024 * 1024
DEFAULT_MIN_BYTES = 200 * MIB
DEFAULT_PERCENT = 2.0
MIN_RESUME_MARGIN = 4 * MIB
HEADROOM_BYTES = 256 * 1024  # what may still be written before the next decision lands
CHECK_INTERVAL_S = 1.0

Decision = Literal["record", "stop", "resume", "wait"]
RESERVE_HELP = "a size (200MB, 1.5GB, 0) or a share of the filesystem (2%)"
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": MIB, "mb": MIB, "mib": MIB,
          "g": 1024 * MIB, "gb": 1024 * MIB, "gib": 1024 * MIB,
          "t": 1024**2 * MIB, "tb": 1024**2 * MIB, "tib": 1024**2 * MIB}
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z]*|%)\s*$")


@dataclass(frozen=True)
class Reserve:
    """Keep free the larger of ``min_bytes`` and ``percent`` % of the filesystem."""

    min_bytes: int = DEFAULT_MIN_BYTES
    percent: float = DEFAULT_PERCENT

    def bytes_for(self, total: int) -> int:
        return max(self.min_bytes, int(total * self.percent / 100))

    def __str__(self) -> str:
        parts = ([format_size(self.min_bytes)] if self.min_bytes or not self.percent else []) + \
            ([f"{self.percent:g}%"] if self.percent else [])
        return " / ".join(parts)


def parse_reserve(text: str | None) -> Reserve:
    """``None``/"" → the default (the larger of 200 MB and 2 %); "200MB", "1.5GB", "0" → a size
    (MB = 1024² bytes); "2%" → a share of the filesystem. ValueError with the reason otherwise."""
    if text is None or not text.strip() or text.strip().lower() in ("auto", "default"):
        return Reserve()
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"disk reserve {text!r}: expected {RESERVE_HELP}")
    value = float(m.group(1).replace(",", "."))
    unit = m.group(2).lower()
    if unit == "%":
        if value >= 90:
            raise ValueError(f"disk reserve {text!r}: a share must be below 90%")
        return Reserve(min_bytes=0, percent=value)
    if unit not in _UNITS:
        raise ValueError(f"disk reserve {text!r}: unknown unit {m.group(2)!r}; expected {RESERVE_HELP}")
    return Reserve(min_bytes=int(value * _UNITS[unit]), percent=0.0)


def resume_margin(reserve_bytes: int) -> int:
    """How far above the reserve the free space must climb before recording resumes."""
    return max(MIN_RESUME_MARGIN, reserve_bytes // 20)


def decide(free: int, total: int, reserve: Reserve, *, recording: bool,
           headroom: int = HEADROOM_BYTES) -> Decision:
    """What the recorder does with ``free`` of ``total`` bytes available. (Pure.)

    Recording: "record" while ``free - headroom`` stays above the reserve, else "stop".
    Stopped: "resume" once ``free`` is above reserve + headroom + `resume_margin`, else "wait".
    """
    need = reserve.bytes_for(total)
    if recording:
        return "record" if free - headroom > need else "stop"
    return "resume" if free >= need + headroom + resume_margin(need) else "wait"


def format_size(n: int) -> str:
    """Vietnamese size: "180 MB", "4,5 MB", "4 MB", "1,5 GB"."""
    value, unit = (n / (1024 * MIB), "GB") if n >= 1024 * MIB else (n / MIB, "MB")
    text = f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} {unit}"


def disk_full_message(free: int, reserve_bytes: int) -> str:
    return ("Đĩa gần đầy: đã dừng ghi âm để giữ chỗ cho dữ liệu hội nghị "
            f"(còn {format_size(max(0, free))}, cần giữ {format_size(reserve_bytes)}). "
            "Ghi âm tự tiếp tục khi có thêm chỗ trống.")


class Sample(NamedTuple):
    free: int
    total: int
    asked_at: float  # time.monotonic() when the measurement was asked for
    written_mark: int  # DiskWatch.written at that moment


class DiskWatch:
    """Free space of the filesystem holding ``path``, measured off the caller's thread."""

    def __init__(self, path: Path, reserve: Reserve, *, interval: float = CHECK_INTERVAL_S,
                 usage: Callable[[str], tuple[int, int, int]] | None = None) -> None:
        self.path = Path(path)
        self.reserve = reserve
        self.interval = interval
        self._usage = usage or shutil.disk_usage
        self.written = 0  # bytes written by the recorder; only ever grows
        self.sample: Sample | None = None
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None
        self._asked = float("-inf")

    def _existing(self) -> Path:
        p = self.path
        while not p.exists() and p.parent != p:
            p = p.parent
        return p

    def _measure(self, asked_at: float, mark: int) -> None:
        try:
            total, _used, free = self._usage(str(self._existing()))
        except OSError as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            return
        self.last_error = None
        self.sample = Sample(int(free), int(total), asked_at, mark)

    def measure_now(self) -> None:
        """Measure synchronously (at start-up, before audio flows)."""
        self._asked = time.monotonic()
        self._measure(self._asked, self.written)

    def poll(self) -> None:
        """Ask for a new measurement if the last one is older than the interval (cheap: called
        for every frame; at most one measurement in flight, in a daemon thread, so a hung
        filesystem holds that thread and nothing else, not even the process's exit)."""
        now = time.monotonic()
        if now - self._asked < self.interval or (self._thread is not None
                                                 and self._thread.is_alive()):
            return
        self._asked = now
        self._thread = threading.Thread(target=self._measure, args=(now, self.written),
                                        name="disk-watch", daemon=True)
        self._thread.start()

    def estimate(self) -> Sample | None:
        """The last measurement less what was written since it was asked for."""
        s = self.sample
        if s is None:
            return None
        return s._replace(free=s.free - (self.written - s.written_mark))
