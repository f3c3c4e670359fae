"""The jitter buffer between a stream and a sound card (thread-safe: a PortAudio callback may
pull while the event loop pushes).

- **Start and refill.** Playback starts once `target_ms` of audio is queued. When the queue
  runs dry (an *underrun*: the network or the machine stalled longer than the buffer), what is
  left fades out, silence plays, and once the buffer holds what it held before, playback fades
  back in: one clean gap instead of a stutter of 20 ms scraps.
- **It learns from underruns.** The audio that comes back after an underrun says how much
  longer than the buffer the stall lasted; the target grows by that much, and by half at least
  (up to `max_target_ms`), so the next stall of the same size is ridden out. After `relax_s`
  without an underrun the target steps back down towards the configured one.
- **Below the target, it builds back up without a gap**: a stall that drained the buffer
  without emptying it (or a raised target) is made up by adding silence in a pause, or by
  playing one period of the sound twice (at most 20 ms every 0.2 s, crossfaded).
- **Resync, not drift.** Audio that arrives in a burst after a stall would otherwise stay as
  extra delay: when playback resumes after an underrun, anything beyond the target is dropped
  (the loudspeakers of different hamlets stay together). A standing backlog while playing (the
  burst at connection time, a target that stepped down) is removed when it has stood for
  `trim_window_s`: at once in a pause; in sound, by splicing at a point where the waveform
  repeats (pitch period, crossfaded), which keeps a tone or a voice continuous. More than
  `max_ms` queued is cut back to the target the same way.

Counters for the health report: `underruns`, `silence_ms` (played as silence because of
underruns), `dropped_ms` (skipped to resync or on overflow), `trimmed_ms` (standing backlog
removed), `stretched_ms` (added to build the buffer up), `last_underrun_at` (unix time) and
`recent_underruns()`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from .audio import SAMPLE_RATE, SAMPLE_WIDTH

BYTES_PER_MS = SAMPLE_RATE * SAMPLE_WIDTH // 1000
SAMPLES_PER_MS = SAMPLE_RATE // 1000

QUIET_PEAK = 328  # -40 dBFS
FADE_SAMPLES = 2 * SAMPLES_PER_MS + SAMPLES_PER_MS // 2  # 2.5 ms fade at a gap's edges
SPLICE_OVERLAP = 5 * SAMPLES_PER_MS  # crossfade length of a splice
SPLICE_SEARCH = 20 * SAMPLES_PER_MS  # a splice point is sought over one long pitch period
TARGET_STEP_MS = 10  # targets are whole multiples of this
GROWTH = 1.5  # an underrun raises the target by the stall's excess, and by half at least
REFILL_CHECK_S = 0.2  # below the target: look this often whether to build the buffer back up
REFILL_STEP_MS = 20  # at most this much repeated sound per look (a 10 % slower pace at most)
REFILL_QUIET_MS = 60  # or this much silence added in a pause
REFILL_MIN_MS = 10  # smaller deficits are left alone (a repeat needs a whole period to choose from)
MIN_SPLICE = 5 * SAMPLES_PER_MS // 2  # 2.5 ms: the shortest repeat
RECENT_S = 60.0  # recent_underruns() counts this far back


def _quiet(pcm: bytes | bytearray) -> bool:
    x = np.frombuffer(bytes(pcm), dtype="<i2")
    return len(x) == 0 or int(np.abs(x.astype(np.int32)).max()) <= QUIET_PEAK


def _round_up(ms: float) -> int:
    return int(-(-ms // TARGET_STEP_MS) * TARGET_STEP_MS)


def _best_lag(xf: np.ndarray, lo: int, hi: int, overlap: int) -> int:
    """The lag L in [lo, hi] where xf[L:L+overlap] best matches xf[0:overlap] (normalised
    cross-correlation; for a tone or a voiced sound, a whole number of periods). Among
    near-equal matches the longest, which moves the delay furthest."""
    head = xf[:overlap]
    windows = np.lib.stride_tricks.sliding_window_view(xf[lo : hi + overlap], overlap)
    dots = windows @ head
    norms = np.sqrt(np.einsum("ij,ij->i", windows, windows) * float(head @ head)) + 1e-9
    score = dots / norms
    return lo + int(np.flatnonzero(score >= score.max() - 1e-3)[-1])


def _as_input_type(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    if np.issubdtype(like.dtype, np.integer):
        info = np.iinfo(like.dtype)
        return np.clip(np.round(out), info.min, info.max).astype(like.dtype)
    return out


def splice_cut(x: np.ndarray, amount: int, *, search: int = SPLICE_SEARCH,
               overlap: int = SPLICE_OVERLAP) -> tuple[np.ndarray, int]:
    """Remove about `amount` samples from the start of `x` (float or int samples) so that what
    follows stays continuous with what was played just before x[0].

    The cut length L is chosen in [amount - search, amount] where x[L:L+overlap] best matches
    x[0:overlap], and x[0:overlap] crossfades into x[L:L+overlap]. Returns (samples, L); L is
    0 when x is too short. Pure."""
    amount = min(amount, len(x) - overlap)
    if amount <= 0:
        return x, 0
    xf = x.astype(np.float64)
    cut = _best_lag(xf, max(1, amount - search), amount, overlap)
    ramp = np.linspace(0.0, 1.0, overlap, endpoint=False)
    joined = xf[:overlap] * (1.0 - ramp) + xf[cut : cut + overlap] * ramp
    return _as_input_type(np.concatenate([joined, xf[cut + overlap :]]), x), cut


def splice_insert(x: np.ndarray, amount: int, *, search: int = SPLICE_SEARCH,
                  overlap: int = SPLICE_OVERLAP) -> tuple[np.ndarray, int]:
    """Lengthen `x` by about `amount` samples at its start, by playing x[0:L] twice (L chosen
    like splice_cut's, so the repetition is a whole number of periods) with a crossfade from
    x[L:L+overlap] back into x[0:overlap]. Returns (samples, L); L is 0 when x is too short.
    Pure."""
    amount = min(amount, len(x) - overlap)
    if amount < MIN_SPLICE + search // 2:  # too little room to find a period (below 12.5 ms)
        return x, 0
    xf = x.astype(np.float64)
    rep = _best_lag(xf, max(MIN_SPLICE, amount - search), amount, overlap)
    ramp = np.linspace(0.0, 1.0, overlap, endpoint=False)
    joined = xf[rep : rep + overlap] * (1.0 - ramp) + xf[:overlap] * ramp
    return _as_input_type(np.concatenate([xf[:rep], joined, xf[overlap:]]), x), rep


class JitterBuffer:
    def __init__(self, target_ms: int = 60, max_ms: int = 300, *, max_target_ms: int | None = None,
                 slack_ms: int = 20, trim_window_s: float = 1.0, relax_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        """`target_ms`: the configured (lowest) target; `max_target_ms`: how far underruns may
        raise it (default: no adaptation); `max_ms`: more queued than this is cut back."""
        max_target_ms = target_ms if max_target_ms is None else max_target_ms
        if target_ms < 0 or max_target_ms < target_ms or max_ms <= max_target_ms:
            raise ValueError("jitter buffer: need 0 <= target_ms <= max_target_ms < max_ms")
        self.base_ms = target_ms
        self.max_target_ms = max_target_ms
        self.target_ms = target_ms
        self.max_bytes = max_ms * BYTES_PER_MS
        self.slack_bytes = slack_ms * BYTES_PER_MS
        self.trim_window_s = trim_window_s
        self.relax_s = relax_s
        self._clock = clock
        self._wall = wall_clock
        self._window_start = clock()
        self._window_min: int | None = None
        self._low_start = clock()
        self._low_min: int | None = None
        self._buf = bytearray()
        self._lock = threading.Lock()
        self.playing = False
        self._fade_in = False
        self._starved_since: float | None = None
        self._deficit_ms = 0.0  # silence the underrun's own pull had to play
        self._resume_ms = target_ms  # playback (re)starts once this much is queued
        self._stable_since = clock()
        self._recent: deque[float] = deque()  # clock() of each underrun, last RECENT_S
        self.underruns = 0
        self.last_underrun_at: float | None = None
        self.silence_ms = 0.0
        self.dropped_ms = 0.0
        self.trimmed_ms = 0.0
        self.stretched_ms = 0.0

    @property
    def target_bytes(self) -> int:
        return self.target_ms * BYTES_PER_MS

    @property
    def level_ms(self) -> float:
        return len(self._buf) / BYTES_PER_MS

    def recent_underruns(self, window_s: float = RECENT_S) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for t in self._recent if now - t <= window_s)

    # -- in ---------------------------------------------------------------------------------------
    def push(self, pcm: bytes) -> None:
        with self._lock:
            now = self._clock()
            if self._starved_since is not None:
                # The stall outlasted the buffer by this much: next time, hold that much more.
                late_ms = self._deficit_ms + (now - self._starved_since) * 1000.0
                grown = max(self.target_ms + late_ms, self.target_ms * GROWTH)
                self.target_ms = min(self.max_target_ms, _round_up(grown))
                self._starved_since = None
            self._buf += pcm
            if len(self._buf) > self.max_bytes:
                if self.playing:
                    self._splice_to(self.target_bytes, overflow=True)
                else:
                    self._drop_oldest(len(self._buf) - self.target_bytes)

    # -- out --------------------------------------------------------------------------------------
    def pull(self, nbytes: int) -> bytes:
        """Exactly nbytes of PCM: queued audio, or silence while buffering/underrun."""
        nbytes -= nbytes % SAMPLE_WIDTH
        with self._lock:
            now = self._clock()
            if not self.playing:
                if len(self._buf) >= max(min(self.target_ms, self._resume_ms) * BYTES_PER_MS, 1):
                    self._resume()
                else:
                    if self.underruns:  # not the wait before the very first sound
                        self.silence_ms += nbytes / BYTES_PER_MS
                    self._relax(now)
                    return bytes(nbytes)
            if len(self._buf) >= nbytes:
                out = bytes(self._buf[:nbytes])
                del self._buf[:nbytes]
                if self._fade_in:
                    out = _fade(out, rising=True)
                    self._fade_in = False
                self._relax(now)
                self._track_standing_delay(now)
                self._track_low_level(now)
                return out
            # Underrun: play what is left (fading out), then silence until refilled.
            have = len(self._buf) - len(self._buf) % SAMPLE_WIDTH
            tail = _fade(bytes(self._buf[:have]), rising=False) if have else b""
            self.silence_ms += (nbytes - have) / BYTES_PER_MS
            self._buf.clear()
            self.playing = False
            self.underruns += 1
            self.last_underrun_at = self._wall()
            self._starved_since = now
            self._resume_ms = self.target_ms  # plays again at this; the raise is built up
            self._deficit_ms = (nbytes - have) / BYTES_PER_MS
            self._stable_since = now
            self._recent.append(now)
            while self._recent and now - self._recent[0] > RECENT_S:
                self._recent.popleft()
            return tail + bytes(nbytes - have)

    def _resume(self) -> None:
        """Start (or restart after an underrun) at the target: late audio beyond it is dropped,
        so the delay comes back to the target instead of growing with every stall."""
        if len(self._buf) > self.target_bytes + self.slack_bytes:
            self._drop_oldest(len(self._buf) - self.target_bytes)
        self.playing = True
        self._fade_in = self.underruns > 0
        self._window_start, self._window_min = self._clock(), None
        self._low_start, self._low_min = self._clock(), None

    def _relax(self, now: float) -> None:
        """A long time without an underrun: step the target back towards the configured one."""
        if self.target_ms > self.base_ms and now - self._stable_since >= self.relax_s:
            self.target_ms = max(self.base_ms, _round_up(self.target_ms * 0.8) - TARGET_STEP_MS)
            self._stable_since = now

    def _track_standing_delay(self, now: float) -> None:
        level = len(self._buf)
        self._window_min = level if self._window_min is None else min(self._window_min, level)
        if now - self._window_start < self.trim_window_s:
            return
        if self._window_min > self.target_bytes + self.slack_bytes:
            excess = self._window_min - self.target_bytes
            excess -= excess % SAMPLE_WIDTH
            if _quiet(self._buf[:excess]):
                del self._buf[:excess]  # in a pause: nothing to hear
                self.trimmed_ms += excess / BYTES_PER_MS
            else:
                before = len(self._buf)
                self._splice_to(before - excess, overflow=False)
        self._window_start, self._window_min = now, None

    def _track_low_level(self, now: float) -> None:
        """Playing below the target (a stall drained the buffer without emptying it, so the
        next one would): build it back up without a gap, a little at a time: silence added in
        a pause, a repeated period in sound (at most REFILL_STEP_MS per REFILL_CHECK_S)."""
        level = len(self._buf)
        self._low_min = level if self._low_min is None else min(self._low_min, level)
        if now - self._low_start < REFILL_CHECK_S:
            return
        deficit = (self.target_bytes - self.slack_bytes - self._low_min) // SAMPLE_WIDTH
        self._low_start, self._low_min = now, None
        if deficit < REFILL_MIN_MS * SAMPLES_PER_MS:
            return
        head = bytes(self._buf[: REFILL_STEP_MS * BYTES_PER_MS])
        if len(head) == REFILL_STEP_MS * BYTES_PER_MS and _quiet(head):
            add = min(deficit, REFILL_QUIET_MS * SAMPLES_PER_MS)
            self._buf[:0] = bytes(add * SAMPLE_WIDTH)
            self.stretched_ms += add / SAMPLES_PER_MS
            return
        x = np.frombuffer(bytes(self._buf), dtype="<i2")
        y, added = splice_insert(x, REFILL_STEP_MS * SAMPLES_PER_MS)
        if added:
            self._buf[:] = y.astype("<i2").tobytes()
            self.stretched_ms += added / SAMPLES_PER_MS

    def _splice_to(self, keep_bytes: int, *, overflow: bool) -> None:
        """Shorten the queue to about keep_bytes by splicing at its head (see splice_cut)."""
        amount = (len(self._buf) - keep_bytes) // SAMPLE_WIDTH
        if amount <= 0:
            return
        x = np.frombuffer(bytes(self._buf), dtype="<i2")
        y, cut = splice_cut(x, amount)
        if cut == 0:
            self._drop_oldest(amount * SAMPLE_WIDTH)
            return
        self._buf[:] = y.astype("<i2").tobytes()
        if overflow:
            self.dropped_ms += cut / SAMPLES_PER_MS
        else:
            self.trimmed_ms += cut / SAMPLES_PER_MS

    def _drop_oldest(self, nbytes: int) -> None:
        nbytes -= nbytes % SAMPLE_WIDTH
        if nbytes > 0:
            del self._buf[:nbytes]
            self.dropped_ms += nbytes / BYTES_PER_MS

    def clear(self) -> None:
        with self._lock:
            self._buf.clear()
            self.playing = False
            self._starved_since = None
            self._resume_ms = self.target_ms
            self._window_min = None

    def status(self) -> dict[str, float | int | None]:
        """The buffer's health, for the relay's report and the line-out's status."""
        return {
            "buffer_ms": round(self.level_ms, 1),
            "target_ms": self.target_ms,
            "underruns": self.underruns,
            "underruns_1min": self.recent_underruns(),
            "last_underrun_at": self.last_underrun_at,
            "silence_ms": round(self.silence_ms),
            "dropped_ms": round(self.dropped_ms),
            "trimmed_ms": round(self.trimmed_ms),
            "stretched_ms": round(self.stretched_ms),
        }


def _fade(pcm: bytes, *, rising: bool) -> bytes:
    """A short linear fade at the edge of a gap (no click)."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    n = min(len(x), FADE_SAMPLES)
    if n == 0:
        return pcm
    ramp = np.linspace(0.0, 1.0, n, endpoint=False) if rising else np.linspace(1.0, 0.0, n)
    if rising:
        x[:n] *= ramp
    else:
        x[-n:] *= ramp
    return np.round(x).astype("<i2").tobytes()
