"""Signal checks used by the tests and benchmarks (pure numpy): read a WAV, dominant frequency,
tone SNR, longest silence, delay by cross-correlation."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """Mono float samples in [-1, 1] and the sample rate (the header's sizes are not trusted,
    so a file still being written can be read)."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
    if width != 2:
        raise ValueError("only 16-bit WAV is supported")
    raw = Path(path).read_bytes()
    pos = raw.find(b"data")
    data = raw[pos + 8 :] if pos >= 0 else b""
    data = data[: len(data) - len(data) % (2 * channels)]
    x = np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    return x, rate


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    """Frequency of the strongest spectral peak (Hann window, parabolic interpolation)."""
    if len(x) < 16:
        return 0.0
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:])) + 1
    if 1 <= k < len(spec) - 1:
        a, b, c = np.log(spec[k - 1] + 1e-12), np.log(spec[k] + 1e-12), np.log(spec[k + 1] + 1e-12)
        denom = a - 2 * b + c
        k = k + (0.5 * (a - c) / denom if denom != 0 else 0.0)
    return float(k * rate / len(x))


def tone_snr_db(x: np.ndarray, rate: int, freq: float, block_s: float = 0.1) -> float:
    """SNR of a sine at `freq`: per block, least-squares fit of a sine (amplitude and phase free)
    and comparison of its power with the residual's."""
    n = int(block_s * rate)
    sig = noise = 0.0
    for start in range(0, len(x) - n + 1, n):
        seg = x[start : start + n]
        t = np.arange(n) / rate
        basis = np.column_stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t),
                                 np.ones(n)])
        coef, *_ = np.linalg.lstsq(basis, seg, rcond=None)
        fit = basis @ coef
        sig += float(np.sum((fit - coef[2]) ** 2))
        noise += float(np.sum((seg - fit) ** 2))
    if noise <= 0:
        return 200.0
    return float(10 * np.log10(sig / noise))


def silent_runs(x: np.ndarray, rate: int, threshold: float = 0.01, min_s: float = 0.0) -> list[tuple[float, float]]:
    """(start_s, length_s) of runs where |x| stays below threshold for at least `min_s`
    (a sine crosses zero often, so runs are measured on a 2 ms max envelope)."""
    hop = max(1, int(rate * 0.002))
    m = len(x) // hop
    if m == 0:
        return []
    env = np.abs(x[: m * hop]).reshape(m, hop).max(axis=1)
    quiet = env < threshold
    runs: list[tuple[float, float]] = []
    i = 0
    while i < m:
        if quiet[i]:
            j = i
            while j < m and quiet[j]:
                j += 1
            length = (j - i) * hop / rate
            if length >= min_s:
                runs.append((i * hop / rate, length))
            i = j
        else:
            i += 1
    return runs


def longest_gap_s(x: np.ndarray, rate: int, threshold: float = 0.01) -> float:
    runs = silent_runs(x, rate, threshold)
    return max((length for _, length in runs), default=0.0)


def first_sound_s(x: np.ndarray, rate: int, threshold: float = 0.01) -> float | None:
    idx = np.flatnonzero(np.abs(x) >= threshold)
    return None if len(idx) == 0 else float(idx[0] / rate)


def delay_by_xcorr(reference: np.ndarray, received: np.ndarray, rate: int, max_delay_s: float) -> float:
    """Delay (s) of `received` against `reference` (same start time, same rate), found as the
    peak of their cross-correlation within [0, max_delay_s]."""
    n = len(reference) + len(received)
    size = 1 << (n - 1).bit_length()
    fr = np.fft.rfft(reference, size)
    fx = np.fft.rfft(received, size)
    corr = np.fft.irfft(fx * np.conj(fr), size)
    max_lag = min(int(max_delay_s * rate), len(received) - 1)
    lag = int(np.argmax(corr[: max_lag + 1]))
    return lag / rate
