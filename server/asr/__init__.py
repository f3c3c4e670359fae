"""Offline Vietnamese speech recognition: engines, audio chunking, background worker, CLI."""

from server.asr.audio import AudioError
from server.asr.engines import DEFAULT_ENGINE, Engine, EngineError, get_engine
from server.asr.transcribe import TranscriptResult, transcribe_file

__all__ = [
    "DEFAULT_ENGINE",
    "AudioError",
    "Engine",
    "EngineError",
    "TranscriptResult",
    "get_engine",
    "transcribe_file",
]
