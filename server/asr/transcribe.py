"""Transcribe one audio file: decode to 16 kHz mono WAV, cut at pauses, recognise, join."""

from __future__ import annotations

import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from server.asr.audio import SAMPLE_RATE, convert_to_wav16k, read_wav, write_wav
from server.asr.chunking import MAX_CHUNK_SECONDS, detect_silences, drop_silent_chunks, plan_chunks
from server.asr.engines import Engine, get_engine
from server.asr.numbers import write_numbers


@dataclass(frozen=True)
class TranscriptResult:
    text: str
    engine: str
    audio_seconds: float
    processing_seconds: float


def join_texts(parts: list[str]) -> str:
    """Chunk texts joined by single spaces, NFC, spoken numbers of 10 or more in digits."""
    return write_numbers(unicodedata.normalize("NFC", " ".join(" ".join(parts).split())))


def transcribe_file(
    path: Path | str,
    engine: Engine | str | None = None,
    max_chunk: float = MAX_CHUNK_SECONDS,
) -> TranscriptResult:
    """Transcript of any audio file ffmpeg reads.

    Raises :class:`server.asr.audio.AudioError` when the file cannot be
    decoded and :class:`server.asr.engines.EngineError` for an unusable engine.
    """
    started = time.perf_counter()
    chosen = engine if engine is not None and not isinstance(engine, str) else get_engine(engine)
    with tempfile.TemporaryDirectory(prefix="doithoai-asr-") as tmp:
        folder = Path(tmp)
        wav = folder / "audio.wav"
        convert_to_wav16k(Path(path), wav)
        samples, rate = read_wav(wav)
        duration = len(samples) / rate
        silences = detect_silences(samples, rate)
        chunks = drop_silent_chunks(plan_chunks(silences, duration, max_chunk), silences)
        parts: list[str] = []
        if len(chunks) == 1 and chunks[0] == (0.0, duration):
            parts.append(chosen.transcribe(wav))
        else:
            for index, (start, end) in enumerate(chunks):
                piece = folder / f"chunk{index:04d}.wav"
                write_wav(piece, samples[int(start * rate) : int(end * rate)], SAMPLE_RATE)
                parts.append(chosen.transcribe(piece))
                piece.unlink()
    return TranscriptResult(
        text=join_texts(parts),
        engine=chosen.name,
        audio_seconds=duration,
        processing_seconds=time.perf_counter() - started,
    )
