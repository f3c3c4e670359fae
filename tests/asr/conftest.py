"""Fixtures for speech-recognition tests: espeak-ng speech, the shared real voices, long audio."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from server.asr.audio import SAMPLE_RATE, convert_to_wav16k, read_wav, write_wav

REPO_ROOT = Path(__file__).resolve().parents[2]
# Real voices live outside the repository (their licence forbids committing them):
# /work/shared here, a copy of shared/ beside the clone on CI.
SPEECH_DIR = (REPO_ROOT / ".." / "shared" / "testdata" / "speech-vi").resolve()


@dataclass(frozen=True)
class Clip:
    path: Path
    text: str


def load_clips(folder: Path) -> list[Clip]:
    clips = []
    for line in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, text = line.split("\t", 1)
            clips.append(Clip(folder / name, text.strip()))
    return clips


@pytest.fixture(scope="session")
def real_clips() -> list[Clip]:
    if not (SPEECH_DIR / "transcripts.tsv").is_file():
        pytest.fail(
            f"real Vietnamese speech not found at {SPEECH_DIR}: put a copy of shared/ "
            "beside the repository (see docs/asr.md)"
        )
    clips = load_clips(SPEECH_DIR)
    assert len(clips) >= 3, "speech-vi should hold several clips"
    return clips


@dataclass(frozen=True)
class LongAudio:
    path: Path
    text: str
    duration: float
    pauses: list[tuple[float, float]]  # where the inserted pauses are, in seconds


def join_with_pauses(clips: list[Clip], target: Path, pauses: list[float], workdir: Path) -> LongAudio:
    """Decode clips to 16 kHz and join them with pauses of faint noise (-66 dBFS) between them."""
    rng = np.random.default_rng(7)
    pieces: list[np.ndarray] = []
    spans: list[tuple[float, float]] = []
    position = 0
    for index, clip in enumerate(clips):
        wav = workdir / f"clip{index}.wav"
        convert_to_wav16k(clip.path, wav)
        samples, _ = read_wav(wav)
        pieces.append(samples)
        position += len(samples)
        if index < len(clips) - 1:
            gap = int(pauses[index % len(pauses)] * SAMPLE_RATE)
            pieces.append(rng.normal(0, 16, gap).astype(np.int16))
            spans.append((position / SAMPLE_RATE, (position + gap) / SAMPLE_RATE))
            position += gap
    write_wav(target, np.concatenate(pieces))
    return LongAudio(target, " ".join(c.text for c in clips), position / SAMPLE_RATE, spans)


@pytest.fixture(scope="session")
def long_real_audio(real_clips: list[Clip], tmp_path_factory: pytest.TempPathFactory) -> LongAudio:
    """About 55 s: every real clip twice, in a different order, with 0.6-1.2 s pauses."""
    workdir = tmp_path_factory.mktemp("long")
    order = real_clips + real_clips[::-1]
    return join_with_pauses(order, workdir / "long.wav", [0.8, 1.2, 0.6, 1.0], workdir)


def espeak(text: str, target: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(target), text], check=True, capture_output=True)
    return target


@pytest.fixture(scope="session")
def espeak_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("espeak")
    return espeak("Xin chào bà con, hôm nay chúng ta họp bàn về con đường của thôn ba.", folder / "speech.wav")
