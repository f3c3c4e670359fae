"""A small jitter buffer for PCM playback (thread-safe: a PortAudio callback may pull).

It holds playback until `target_ms` of audio is queued, plays silence on an underrun (and
re-buffers), and keeps the delay down: when more than `max_ms` piles up the oldest audio is
dropped at once, and when the buffer never went below target + `slack_ms` during a whole
`trim_window_s` (a burst at connection time leaves a standing backlog, since audio then comes
in exactly as fast as it is played) the standing excess is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from .audio import SAMPLE_RATE, SAMPLE_WIDTH

BYTES_PER_MS = SAMPLE_RATE * SAMPLE_WIDTH // 1000


QUIET_PEAK = 328  # -40 dBFS


def _quiet(pcm: bytearray) -> bool:
    x = np.frombuffer(bytes(pcm), dtype="<i2")
    return len(x) == 0 or int(np.abs(x.astype(np.int32)).max()) <= QUIET_PEAK


class JitterBuffer:
    def __init__(self, target_ms: int = 60, max_ms: int = 300, *, slack_ms: int = 20,
                 trim_window_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if target_ms < 0 or max_ms <= target_ms:
            raise ValueError("jitter buffer: need 0 <= target_ms < max_ms")
        self.target_bytes = target_ms * BYTES_PER_MS
        self.max_bytes = max_ms * BYTES_PER_MS
        self.slack_bytes = slack_ms * BYTES_PER_MS
        self.trim_window_s = trim_window_s
        self._clock = clock
        self._window_start = clock()
        self._window_min: int | None = None
        self.trimmed_ms = 0.0
        self._buf = bytearray()
        self._lock = threading.Lock()
        self.playing = False
        self.underruns = 0
        self.dropped_ms = 0.0
        self.silence_ms = 0.0

    @property
    def level_ms(self) -> float:
        return len(self._buf) / BYTES_PER_MS

    def push(self, pcm: bytes) -> None:
        with self._lock:
            self._buf += pcm
            if len(self._buf) > self.max_bytes:
                excess = len(self._buf) - self.target_bytes
                excess -= excess % SAMPLE_WIDTH
                del self._buf[:excess]
                self.dropped_ms += excess / BYTES_PER_MS

    def pull(self, nbytes: int) -> bytes:
        """Exactly nbytes of PCM: queued audio, or silence while buffering/underrun."""
        with self._lock:
            if not self.playing:
                if len(self._buf) >= max(self.target_bytes, 1):
                    self.playing = True
                else:
                    self.silence_ms += nbytes / BYTES_PER_MS
                    return bytes(nbytes)
            if len(self._buf) >= nbytes:
                out = bytes(self._buf[:nbytes])
                del self._buf[:nbytes]
                self._track_standing_delay()
                return out
            out = bytes(self._buf) + bytes(nbytes - len(self._buf))
            self.silence_ms += (nbytes - len(self._buf)) / BYTES_PER_MS
            self._buf.clear()
            self.playing = False
            self.underruns += 1
            return out

    def _track_standing_delay(self) -> None:
        level = len(self._buf)
        self._window_min = level if self._window_min is None else min(self._window_min, level)
        now = self._clock()
        if now - self._window_start < self.trim_window_s:
            return
        if self._window_min > self.target_bytes + self.slack_bytes:
            excess = self._window_min - self.target_bytes
            excess -= excess % SAMPLE_WIDTH
            if not _quiet(self._buf[:excess]):
                return  # cut only in a pause (no click in speech); try again on the next pull
            del self._buf[:excess]
            self.trimmed_ms += excess / BYTES_PER_MS
        self._window_start, self._window_min = now, None

    def clear(self) -> None:
        with self._lock:
            self._buf.clear()
            self.playing = False
            self._window_min = None
