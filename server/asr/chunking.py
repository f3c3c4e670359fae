"""Pure rules for cutting speech at pauses (no I/O).

Some engines only keep the last few segments of a long file, so audio is cut
into chunks of at most ``max_chunk`` seconds. A cut is placed in the middle
of a pause whenever a pause exists in the window, so no word is cut in two.

Times are seconds (floats) from the start of the audio. Silences are sorted,
non-overlapping ``(start, end)`` intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Interval = tuple[float, float]

MAX_CHUNK_SECONDS = 20.0
MIN_SILENCE_SECONDS = 0.25
FRAME_SECONDS = 0.02


def frame_levels_db(samples: np.ndarray, rate: int, frame_seconds: float = FRAME_SECONDS) -> np.ndarray:
    """Level (dBFS, floor -100) of each consecutive frame of int16 mono ``samples``."""
    frame = max(1, int(round(rate * frame_seconds)))
    count = len(samples) // frame
    if count == 0:
        return np.zeros(0, dtype=np.float64)
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame) / 32768.0
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-5))


def silence_threshold_db(levels_db: np.ndarray) -> float:
    """Level under which a frame counts as a pause, relative to this recording.

    The noise floor is a low percentile of the frame levels, the speech level a
    high one; the threshold sits a third of the way up from the floor, but
    never more than 30 dB under the speech level nor less than 6 dB over the
    floor, so it works both for clean studio audio and a noisy hall.
    """
    if len(levels_db) == 0:
        return -100.0
    floor = float(np.percentile(levels_db, 5))
    speech = float(np.percentile(levels_db, 95))
    threshold = floor + (speech - floor) / 3.0
    threshold = max(threshold, speech - 30.0)
    threshold = max(threshold, floor + 6.0)
    # Audio with no dynamics (all speech or all noise) has no pause at all.
    return min(threshold, speech - 3.0)


def find_silences(
    levels_db: np.ndarray,
    frame_seconds: float,
    threshold_db: float,
    min_silence: float = MIN_SILENCE_SECONDS,
) -> list[Interval]:
    """Runs of frames under ``threshold_db`` lasting at least ``min_silence`` seconds."""
    quiet = np.asarray(levels_db) < threshold_db
    silences: list[Interval] = []
    start: int | None = None
    for index, is_quiet in enumerate(np.append(quiet, False)):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            if (index - start) * frame_seconds >= min_silence:
                silences.append((start * frame_seconds, index * frame_seconds))
            start = None
    return silences


def detect_silences(
    samples: np.ndarray, rate: int, min_silence: float = MIN_SILENCE_SECONDS
) -> list[Interval]:
    """Pauses in int16 mono PCM, by frame energy."""
    levels = frame_levels_db(samples, rate)
    return find_silences(levels, FRAME_SECONDS, silence_threshold_db(levels), min_silence)


def plan_chunks(
    silences: Sequence[Interval],
    duration: float,
    max_chunk: float = MAX_CHUNK_SECONDS,
    min_chunk: float = 1.0,
) -> list[Interval]:
    """Cut ``[0, duration]`` into consecutive chunks no longer than ``max_chunk``.

    Each cut is the middle of a pause inside the window ``(start + min_chunk,
    start + max_chunk]``. Pauses in the second half of the window are
    preferred (fewer, longer chunks keep more context); among those the
    longest pause wins (most likely a sentence end), then the latest. Only
    when the window holds no pause at all is the audio cut hard at
    ``start + max_chunk``.
    """
    if max_chunk <= 0:
        raise ValueError("max_chunk must be positive")
    if duration <= 0:
        return []
    min_chunk = min(min_chunk, max_chunk / 2)
    chunks: list[Interval] = []
    start = 0.0
    while duration - start > max_chunk:
        window_end = start + max_chunk
        candidates = [
            (s, e, (s + e) / 2)
            for s, e in silences
            if start + min_chunk < (s + e) / 2 <= window_end
        ]
        late = [c for c in candidates if c[2] >= start + max_chunk / 2]
        pool = late or candidates
        if pool:
            s, e, cut = max(pool, key=lambda c: (round(c[1] - c[0], 3), c[2]))
        else:
            cut = window_end
        chunks.append((start, cut))
        start = cut
    chunks.append((start, duration))
    return chunks


def drop_silent_chunks(chunks: Sequence[Interval], silences: Sequence[Interval]) -> list[Interval]:
    """Chunks that hold some sound: a chunk lying wholly inside one pause is dropped."""
    eps = 1e-6
    return [
        (cs, ce)
        for cs, ce in chunks
        if not any(s <= cs + eps and ce <= e + eps for s, e in silences)
    ]
