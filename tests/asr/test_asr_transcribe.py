"""transcribe_file end to end with real ffmpeg and the real default engine (viet-asr)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from server.asr.audio import AudioError, convert_to_wav16k, read_wav
from server.asr.chunking import MAX_CHUNK_SECONDS, detect_silences, plan_chunks
from server.asr.metrics import word_error_rate
from server.asr.transcribe import transcribe_file


def encode(source: Path, target: Path, *codec: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source), *codec, str(target)],
        check=True,
    )
    return target


@pytest.mark.parametrize("suffix,codec", [(".mp3", ["-c:a", "libmp3lame"]), (".ogg", ["-c:a", "libopus"])])
def test_espeak_speech_in_compressed_formats_gives_text(espeak_wav, tmp_path, suffix, codec):
    source = encode(espeak_wav, tmp_path / f"speech{suffix}", *codec)
    result = transcribe_file(source, "viet-asr")
    assert result.engine == "viet-asr"
    assert len(result.text.split()) >= 3, result.text
    convert_to_wav16k(espeak_wav, tmp_path / "ref.wav")
    samples, rate = read_wav(tmp_path / "ref.wav")
    assert result.audio_seconds == pytest.approx(len(samples) / rate, abs=0.1)
    assert result.processing_seconds > 0


def test_real_clip_is_recognised(real_clips):
    clip = real_clips[0]
    result = transcribe_file(clip.path)
    assert word_error_rate([clip.text], [result.text]) <= 0.35, result.text


def test_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "not-audio.mp3"
    bad.write_text("this is not audio")
    with pytest.raises(AudioError, match="not-audio.mp3"):
        transcribe_file(bad)
    with pytest.raises(AudioError, match="not found"):
        transcribe_file(tmp_path / "missing.wav")


def test_silence_gives_empty_text(tmp_path):
    silent = tmp_path / "silence.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
         "-t", "3", str(silent)],
        check=True,
    )
    result = transcribe_file(silent)
    assert result.text == ""
    assert result.audio_seconds == pytest.approx(3.0, abs=0.05)


def test_long_real_audio_is_cut_at_the_pauses(long_real_audio):
    samples, rate = read_wav(long_real_audio.path)
    chunks = plan_chunks(detect_silences(samples, rate), len(samples) / rate)
    assert len(chunks) >= 3
    assert all(end - start <= MAX_CHUNK_SECONDS for start, end in chunks)
    for _, cut in chunks[:-1]:
        assert any(s - 0.3 <= cut <= e + 0.3 for s, e in long_real_audio.pauses), cut


def test_long_real_audio_keeps_every_sentence(long_real_audio):
    result = transcribe_file(long_real_audio.path)
    assert result.audio_seconds == pytest.approx(long_real_audio.duration, abs=0.05)
    # unchunked, this engine returns only the last sentences (WER about 0.5)
    assert word_error_rate([long_real_audio.text], [result.text]) <= 0.2, result.text
