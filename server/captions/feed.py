"""The hall's audio on its way to the recogniser: 20 ms frames of 48 kHz are gathered into
batches of about 200 ms and filtered down to 16 kHz (numpy, once per batch: the frame path
only appends a reference)."""

from __future__ import annotations

import numpy as np

IN_RATE = 48_000
OUT_RATE = 16_000
FACTOR = IN_RATE // OUT_RATE
BATCH_FRAMES = 10  # 10 x 20 ms = 200 ms per batch
TAPS = 63


def _lowpass(taps: int = TAPS, cutoff_hz: float = 7_000.0) -> np.ndarray:
    """A windowed-sinc low-pass filter below the new Nyquist frequency (8 kHz)."""
    n = np.arange(taps) - (taps - 1) / 2
    fc = cutoff_hz / IN_RATE
    h = 2 * fc * np.sinc(2 * fc * n) * np.hamming(taps)
    return (h / h.sum()).astype(np.float32)


class Downsampler:
    """48 kHz s16 -> 16 kHz s16, continuous across calls (the filter keeps its history)."""

    def __init__(self) -> None:
        self._h = _lowpass()
        self._history = np.zeros(TAPS - 1, dtype=np.float32)
        self._phase = 0

    def reset(self) -> None:
        self._history[:] = 0
        self._phase = 0

    def __call__(self, pcm: bytes) -> bytes:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        buf = np.concatenate([self._history, x])
        y = np.convolve(buf, self._h, mode="valid")  # one output per new input sample
        self._history = buf[len(buf) - (TAPS - 1):]
        out = y[self._phase::FACTOR]
        self._phase = (self._phase - len(y)) % FACTOR
        return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()


class Batcher:
    """Gathers frames; hands a 16 kHz batch every ``BATCH_FRAMES`` frames."""

    def __init__(self, frames: int = BATCH_FRAMES) -> None:
        self.frames = frames
        self._pending: list[bytes] = []
        self._down = Downsampler()

    def reset(self) -> None:
        self._pending.clear()
        self._down.reset()

    def push(self, frame: bytes) -> bytes | None:
        self._pending.append(frame)
        if len(self._pending) < self.frames:
            return None
        pcm = b"".join(self._pending)
        self._pending.clear()
        return self._down(pcm)
