"""Chunk planning and pause detection: pure functions, tested directly."""

from __future__ import annotations

import numpy as np
import pytest

from server.asr.chunking import (
    detect_silences,
    drop_silent_chunks,
    find_silences,
    frame_levels_db,
    plan_chunks,
    silence_threshold_db,
)


def lengths(chunks):
    return [round(e - s, 6) for s, e in chunks]


def test_short_audio_is_one_chunk():
    assert plan_chunks([(3.0, 3.5)], 12.0) == [(0.0, 12.0)]


def test_empty_audio_has_no_chunk():
    assert plan_chunks([], 0.0) == []


def test_cut_in_the_middle_of_a_pause():
    chunks = plan_chunks([(14.0, 15.0)], 30.0, max_chunk=20.0)
    assert chunks == [(0.0, 14.5), (14.5, 30.0)]


def test_chunks_are_contiguous_cover_everything_and_respect_the_limit():
    silences = [(t, t + 0.4) for t in np.arange(3.0, 118.0, 4.7)]
    chunks = plan_chunks(silences, 120.0, max_chunk=20.0)
    assert chunks[0][0] == 0.0 and chunks[-1][1] == 120.0
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))
    assert max(lengths(chunks)) <= 20.0
    # every cut but the end lies inside a pause
    for _, cut in chunks[:-1]:
        assert any(s <= cut <= e for s, e in silences)


def test_longest_pause_in_the_second_half_wins():
    silences = [(11.0, 11.3), (15.0, 16.2), (18.0, 18.4)]
    assert plan_chunks(silences, 40.0)[0] == (0.0, 15.6)


def test_early_pause_used_when_none_in_second_half():
    silences = [(4.0, 4.5)]
    assert plan_chunks(silences, 30.0)[0] == (0.0, 4.25)


def test_no_pause_means_a_hard_cut_at_the_limit():
    assert plan_chunks([], 45.0, max_chunk=20.0) == [(0.0, 20.0), (20.0, 40.0), (40.0, 45.0)]


def test_pause_too_close_to_chunk_start_is_not_used():
    # a pause right at the start would give an empty chunk and no progress
    chunks = plan_chunks([(0.0, 0.6)], 25.0, max_chunk=20.0, min_chunk=1.0)
    assert chunks == [(0.0, 20.0), (20.0, 25.0)]


def test_invalid_limit():
    with pytest.raises(ValueError):
        plan_chunks([], 10.0, max_chunk=0)


def test_chunks_inside_one_pause_are_dropped():
    silences = [(18.0, 45.0)]
    chunks = plan_chunks(silences, 60.0)
    kept = drop_silent_chunks(chunks, silences)
    assert len(kept) < len(chunks)
    assert all(not (18.0 <= s and e <= 45.0) for s, e in kept)


def tone(seconds: float, rate: int, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def test_detects_pauses_between_sounds():
    rate = 16000
    rng = np.random.default_rng(1)
    noise = lambda s: rng.normal(0, 20, int(s * rate)).astype(np.int16)  # noqa: E731
    samples = np.concatenate([tone(2.0, rate), noise(0.8), tone(1.0, rate), noise(0.1), tone(1.0, rate)])
    silences = detect_silences(samples, rate)
    assert len(silences) == 1  # the 0.1 s gap is shorter than a pause
    start, end = silences[0]
    assert abs(start - 2.0) <= 0.04 and abs(end - 2.8) <= 0.04


def test_flat_audio_has_no_pause():
    rate = 16000
    samples = tone(5.0, rate)
    assert detect_silences(samples, rate) == []


def test_threshold_sits_between_floor_and_speech():
    levels = np.concatenate([np.full(50, -70.0), np.full(50, -20.0)])
    threshold = silence_threshold_db(levels)
    assert -70.0 < threshold < -20.0


def test_find_silences_on_levels():
    levels = np.array([-20, -80, -80, -80, -20, -80, -20], dtype=float)
    assert find_silences(levels, 0.1, -50.0, min_silence=0.25) == [
        (pytest.approx(0.1), pytest.approx(0.4))
    ]


def test_frame_levels_of_silence_and_full_scale():
    levels = frame_levels_db(np.zeros(3200, dtype=np.int16), 16000)
    assert len(levels) == 10 and levels.max() <= -99
    loud = frame_levels_db(np.full(320, 32767, dtype=np.int16), 16000)
    assert loud[0] == pytest.approx(0.0, abs=0.01)
