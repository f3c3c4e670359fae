"""The audio on its way to the recogniser: 48 kHz -> 16 kHz filtering in batches, and the
endpointer that closes a sentence at a pause."""

from __future__ import annotations

import numpy as np

from server.captions.feed import BATCH_FRAMES, Batcher, Downsampler
from server.captions.worker import SAMPLE_RATE, Endpointer


def tone(hz: float, seconds: float, rate: int = 48_000, amp: float = 10_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * hz * t)).astype("<i2")


def level(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_downsampler_keeps_speech_band_and_removes_what_would_alias():
    speech = np.frombuffer(Downsampler()(tone(1000, 1.0).tobytes()), "<i2")
    assert len(speech) == 16_000
    assert abs(level(speech[200:]) - 10_000 / np.sqrt(2)) < 300
    peak = np.argmax(np.abs(np.fft.rfft(speech[200:])))
    assert abs(peak * 16_000 / len(speech[200:]) - 1000) < 5
    high = np.frombuffer(Downsampler()(tone(12_000, 1.0).tobytes()), "<i2")
    assert level(high[200:]) < 0.02 * 10_000


def test_batches_are_continuous_whatever_the_cut():
    x = tone(440, 1.0)
    whole = np.frombuffer(Downsampler()(x.tobytes()), "<i2")
    batcher = Batcher()
    out = []
    for i in range(0, len(x), 960):  # 20 ms frames
        got = batcher.push(x[i:i + 960].tobytes())
        if got is not None:
            out.append(got)
    assert len(out) == 50 // BATCH_FRAMES
    joined = np.frombuffer(b"".join(out), "<i2")
    assert np.array_equal(joined, whole)


def noise(seconds: float, amp: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(0, amp, int(seconds * SAMPLE_RATE))).astype("<i2")


def speech(seconds: float, amp: float = 3000, seed: int = 2) -> np.ndarray:
    """Noise with four syllables a second: loud, then a dip between them."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    return (rng.normal(0, amp, len(t)) * envelope).astype("<i2")


def feed(ep: Endpointer, x: np.ndarray, block: int = 3200) -> list[int]:
    ends = []
    for i in range(0, len(x), block):
        cut = ep.feed(x[i:i + block])
        if cut is not None:
            ends.append(i + cut)
    return ends


def test_a_sentence_ends_after_half_a_second_of_quiet():
    ep = Endpointer()
    x = np.concatenate([noise(0.5, 15), speech(2.0), noise(1.5, 15)])
    ends = feed(ep, x)
    assert len(ends) == 1
    assert 2.5 + 0.45 <= ends[0] / SAMPLE_RATE <= 2.5 + 0.6


def test_no_end_inside_continuous_speech_with_short_gaps_but_a_cut_at_the_limit():
    ep = Endpointer(max_s=20.0)
    parts = []
    for _ in range(10):
        parts += [speech(1.0), noise(0.2, 15)]  # 0.2 s breaths: same sentence
    assert feed(ep, np.concatenate(parts)) == []
    ep = Endpointer(max_s=3.0)
    assert len(feed(ep, speech(7.0))) == 2


def test_the_noise_floor_follows_a_noisy_room():
    ep = Endpointer()
    room = noise(3.0, 400)  # a hall's hum above the absolute minimum
    talk = speech(1.5, 4000)
    ends = feed(ep, np.concatenate([room, talk, noise(1.5, 400, seed=3)]))
    assert len(ends) == 1 and 4.9 <= ends[0] / SAMPLE_RATE <= 5.2, ends
