"""Recorder: wall-clock index, gap handling, per-turn extraction with SHA-256."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from broadcast.analysis import dominant_frequency, read_wav
from broadcast.audio import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE, to_pcm, tone_samples
from broadcast.recorder import Recorder, Segment, offset_in

T0 = datetime(2026, 3, 14, 2, 0, 0, tzinfo=UTC).timestamp()


def feed(rec: Recorder, start: float, seconds: float, hz: float) -> float:
    """Write `seconds` of a tone as 20 ms frames captured from unix time `start`."""
    frames = int(seconds * 50)
    for i in range(frames):
        pcm = to_pcm(tone_samples(hz, i * FRAME_SAMPLES, FRAME_SAMPLES))
        rec.write(pcm, start + (i + 1) * FRAME_SAMPLES / SAMPLE_RATE)
    return start + frames * 0.02


def test_offset_in_pure():
    segs = [Segment("a", 100.0, 0.0, 10 * SAMPLE_RATE), Segment("b", 200.0, 10.0, 5 * SAMPLE_RATE)]
    assert offset_in([], 5.0) is None
    assert offset_in(segs, 50.0) == 0.0
    assert offset_in(segs, 104.5) == pytest.approx(4.5)
    assert offset_in(segs, 150.0) == 10.0  # in the gap: the next segment's start
    assert offset_in(segs, 202.0) == pytest.approx(12.0)
    assert offset_in(segs, 999.0) == 15.0


async def test_extract_per_turn_wav_16k_and_opus_with_sha256(tmp_path):
    rec = Recorder(tmp_path / "rec")
    t = feed(rec, T0, 3.0, 440.0)  # turn 1
    feed(rec, t, 3.0, 1000.0)  # turn 2
    start = datetime.fromtimestamp(T0 + 3.0, UTC)
    end = datetime.fromtimestamp(T0 + 5.5, UTC)
    assert rec.offset_at(start) == pytest.approx(3.0)
    assert rec.offset_at(start.replace(tzinfo=None)) == pytest.approx(3.0)  # naive = UTC
    path, digest = await rec.extract(start, end, tmp_path / "turns" / "turn2.wav")
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    x, rate = read_wav(path)
    assert rate == 16000 and len(x) == pytest.approx(2.5 * 16000, abs=2)
    assert abs(dominant_frequency(x, rate) - 1000.0) < 2.0
    ogg, digest2 = await rec.extract(start, end, tmp_path / "turns" / "turn2.ogg")
    assert len(digest2) == 64
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                            "-of", "csv=p=0", str(ogg)], capture_output=True, text=True)
    assert probe.stdout.strip() == "opus"
    assert sorted(p.name for p in (tmp_path / "turns").iterdir()) == ["turn2.ogg", "turn2.wav"]


async def test_bad_extract_requests_write_nothing(tmp_path):
    rec = Recorder(tmp_path / "rec")
    feed(rec, T0, 1.0, 440.0)
    s = datetime.fromtimestamp(T0, UTC)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="after start"):
        await rec.extract(s, s, out / "x.wav")
    with pytest.raises(ValueError, match="unsupported"):
        await rec.extract(s, s + timedelta(seconds=1), out / "x.txt")
    with pytest.raises(ValueError, match="no recorded audio"):
        await rec.extract(s + timedelta(hours=1), s + timedelta(hours=2), out / "x.wav")
    assert not out.exists() or list(out.iterdir()) == []


def test_stall_filled_with_silence_long_gap_new_segment_and_index_reload(tmp_path):
    rec = Recorder(tmp_path / "rec")
    t = feed(rec, T0, 1.0, 440.0)
    t = feed(rec, t + 1.0, 1.0, 440.0)  # a 1 s stall: filled, same segment
    assert len(rec.segments) == 1 and rec.filled_silence_s == pytest.approx(1.0, abs=0.02)
    feed(rec, t + 60.0, 1.0, 440.0)  # a minute without capture: new segment
    assert len(rec.segments) == 2
    rec.close()
    again = Recorder(tmp_path / "rec")
    assert [s.file for s in again.segments] == [s.file for s in rec.segments]
    assert again.total_seconds == pytest.approx(4.0, abs=0.02)
    assert again.offset_at(datetime.fromtimestamp(t + 60.5, UTC)) == pytest.approx(3.5, abs=0.02)
    x, _ = read_wav(tmp_path / "rec" / again.segments[0].file)
    assert len(x) == 3 * SAMPLE_RATE
    assert float(np.abs(x[int(1.2 * SAMPLE_RATE):int(1.8 * SAMPLE_RATE)]).max()) == 0.0


def test_segments_rotate(tmp_path):
    rec = Recorder(tmp_path / "rec", segment_seconds=1.0)
    feed(rec, T0, 2.5, 440.0)
    assert len(rec.segments) == 3
    assert rec.segments[1].start == pytest.approx(T0 + 1.0, abs=0.001)
    assert rec.status()["recorded_s"] == 2.5
    assert FRAME_BYTES == 1920


async def test_expired_segments_are_deleted_and_later_offsets_do_not_move(tmp_path):
    rec = Recorder(tmp_path / "rec")
    t = feed(rec, T0, 1.0, 440.0)
    t = feed(rec, t + 60.0, 1.0, 660.0)  # second segment, starts a minute later
    later = datetime.fromtimestamp(t - 0.5, UTC)
    offset_before = rec.offset_at(later)
    first = rec.segments[0].file
    gone = rec.expire_before(datetime.fromtimestamp(T0 + 30, UTC))
    assert gone == [first] and not (tmp_path / "rec" / first).exists()
    assert rec.expire_before(datetime.fromtimestamp(T0 + 30, UTC)) == []  # idempotent
    rec.close()
    again = Recorder(tmp_path / "rec")
    assert again.offset_at(later) == pytest.approx(offset_before, abs=0.001)
    # what was kept is still cut out exactly; the expired hour is gone for good
    wav, _ = await again.extract(later - timedelta(seconds=0.4), later, tmp_path / "kept.wav")
    x, rate = read_wav(wav)
    assert dominant_frequency(x, rate) == pytest.approx(660.0, abs=3)
    with pytest.raises(ValueError, match="no recorded audio"):
        await again.extract(datetime.fromtimestamp(T0 + 0.2, UTC),
                            datetime.fromtimestamp(T0 + 0.8, UTC), tmp_path / "gone.wav")
    assert not (tmp_path / "gone.wav").exists()


def test_the_segment_being_written_is_never_expired(tmp_path):
    rec = Recorder(tmp_path / "rec")
    feed(rec, T0, 1.0, 440.0)
    assert rec.expire_before(datetime.fromtimestamp(T0 + 3600, UTC)) == []
    assert (tmp_path / "rec" / rec.segments[0].file).exists()
