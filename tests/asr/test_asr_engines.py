"""Engine selection and the two real engines."""

from __future__ import annotations

import os

import pytest

from server.asr import engines
from server.asr.engines import (
    DEFAULT_ENGINE,
    Engine,
    EngineError,
    FasterWhisperEngine,
    get_engine,
    prepare_whisper_model,
)
from server.asr.metrics import word_error_rate


def test_default_engine_and_a_named_one(monkeypatch):
    monkeypatch.setenv(engines.ENV_ENGINE, "faster-whisper")  # only the command line reads it
    assert get_engine().name == DEFAULT_ENGINE == "viet-asr"
    assert get_engine("faster-whisper").name == "faster-whisper"


def test_engines_are_shared_and_satisfy_the_protocol():
    engine = get_engine("viet-asr")
    assert engine is get_engine("viet-asr")
    assert isinstance(engine, Engine)


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(EngineError, match="unknown engine 'kaldi'.*viet-asr"):
        get_engine("kaldi")


def test_engines_refuse_non_wav_input(tmp_path):
    mp3 = tmp_path / "x.mp3"
    mp3.write_bytes(b"ID3\x03\x00" + b"\x00" * 100)
    with pytest.raises(EngineError, match="not a WAV"):
        get_engine("viet-asr").transcribe(mp3)


def test_whisper_model_is_assembled_once_and_repaired(tmp_path):
    model_dir = prepare_whisper_model(tmp_path)
    model = model_dir / "model.bin"
    names = sorted(p.name for p in model_dir.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    size = model.stat().st_size
    assert size > 100_000_000
    stamp = model.stat().st_mtime_ns
    prepare_whisper_model(tmp_path)
    assert model.stat().st_mtime_ns == stamp  # not rebuilt
    model.write_bytes(b"truncated")  # an interrupted copy from an older version
    prepare_whisper_model(tmp_path)
    assert model.stat().st_size == size


def test_whisper_cache_follows_the_data_dir(tmp_path):
    engines.use_data_dir(tmp_path / "data")
    try:
        assert engines.cache_root() == tmp_path / "data" / "cache"
    finally:
        engines.use_data_dir(None)
    assert engines.cache_root() == engines.Path.home() / ".cache" / "doithoai"


def test_faster_whisper_recognises_a_real_clip(real_clips, tmp_path):
    engine = FasterWhisperEngine(model_root=tmp_path)
    clip = real_clips[0]
    from server.asr.transcribe import transcribe_file

    result = transcribe_file(clip.path, engine)
    assert result.engine == "faster-whisper"
    assert word_error_rate([clip.text], [result.text]) <= 0.5, result.text
    assert os.path.isfile(tmp_path / "whisper-base" / "model.bin")
