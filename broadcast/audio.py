"""PCM format constants and pure signal helpers: level meter, tone, chime.

Everything inside the broadcast chain is 48 kHz mono signed 16-bit little-endian PCM,
cut into 20 ms frames of 960 samples.
"""

from __future__ import annotations

import math

import numpy as np

SAMPLE_RATE = 48_000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes, s16le
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 960
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH  # 1920
SILENCE_FRAME = bytes(FRAME_BYTES)
FLOOR_DBFS = -120.0


def dbfs(value: float) -> float:
    """Amplitude ratio (1.0 = full scale) to dBFS, floored at -120."""
    if value <= 0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 20.0 * math.log10(value))


def levels(pcm: bytes) -> tuple[float, float]:
    """RMS and peak of s16le PCM, in dBFS (a full-scale sine has RMS -3 dBFS)."""
    if not pcm:
        return FLOOR_DBFS, FLOOR_DBFS
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(x * x)))
    peak = float(np.max(np.abs(x)))
    return round(dbfs(rms), 1), round(dbfs(peak), 1)


def tone_samples(freq_hz: float, start_sample: int, count: int, amplitude: float = 0.5) -> np.ndarray:
    """`count` samples of a sine, continuing a tone that began at sample 0."""
    n = np.arange(start_sample, start_sample + count, dtype=np.float64)
    return amplitude * np.sin(2.0 * math.pi * freq_hz * n / SAMPLE_RATE)


def to_pcm(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to s16le bytes (clipped)."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def chime_pcm(amplitude: float = 0.35) -> bytes:
    """A short two-note chime (about 0.7 s) played before going on air; frame-aligned."""
    notes = [(880.0, 0.22), (1318.5, 0.38)]  # A5 then E6
    parts = []
    for freq, dur in notes:
        n = int(SAMPLE_RATE * dur)
        t = np.arange(n) / SAMPLE_RATE
        envelope = np.minimum(1.0, t / 0.01) * np.exp(-t * 6.0)
        parts.append(amplitude * envelope * np.sin(2 * math.pi * freq * t))
    parts.append(np.zeros(int(SAMPLE_RATE * 0.1)))
    pcm = to_pcm(np.concatenate(parts))
    pad = (-len(pcm)) % FRAME_BYTES
    return pcm + bytes(pad)
