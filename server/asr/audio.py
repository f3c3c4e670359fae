"""Audio preparation for speech recognition: anything ffmpeg reads -> 16 kHz mono WAV.

ffmpeg-python only builds the command line; the process is run here with its
stderr read to the end, so the pipe never fills.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import ffmpeg
import numpy as np

SAMPLE_RATE = 16000


class AudioError(Exception):
    """The file is missing or ffmpeg cannot decode audio from it."""


def convert_to_wav16k(source: Path, target: Path, timeout: float = 600.0) -> None:
    """Decode ``source`` (any format ffmpeg reads) into 16 kHz mono s16 WAV at ``target``."""
    source = Path(source)
    if not source.is_file():
        raise AudioError(f"file not found: {source}")
    command = ffmpeg.compile(
        ffmpeg.input(str(source)).output(
            str(target), vn=None, ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", f="wav"
        ),
        overwrite_output=True,
    )
    command[1:1] = ["-nostdin", "-hide_banner", "-loglevel", "error"]
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise AudioError("ffmpeg is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        Path(target).unlink(missing_ok=True)
        raise AudioError(f"ffmpeg took longer than {timeout:.0f} s on {source}") from exc
    if done.returncode != 0:
        Path(target).unlink(missing_ok=True)
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"ffmpeg exit code {done.returncode}"
        raise AudioError(f"cannot decode audio from {source.name}: {detail}")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """int16 mono samples and sample rate of a PCM WAV file (first channel if several)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise AudioError(f"{path.name}: only 16-bit PCM WAV is read here")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels > 1:
        data = data[: len(data) // channels * channels].reshape(-1, channels)[:, 0]
    return data.astype(np.int16, copy=False), rate


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write int16 mono ``samples`` as a PCM WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.asarray(samples, dtype="<i2").tobytes())
