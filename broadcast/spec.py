"""Audio source specification: `pyaudio[:DEVICE] | file:PATH | tone[:HZ]` (pure parsing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["pyaudio", "file", "tone"]
DEFAULT_TONE_HZ = 440.0
SPEC_HELP = "expected pyaudio[:DEVICE], file:PATH or tone[:HZ], e.g. tone:1000"


@dataclass(frozen=True)
class SourceSpec:
    kind: SourceKind
    device: str | None = None  # pyaudio: index or part of the device name; None = default
    path: str | None = None  # file
    hz: float = DEFAULT_TONE_HZ  # tone

    def describe(self) -> str:
        if self.kind == "pyaudio":
            return f"pyaudio:{self.device}" if self.device else "pyaudio"
        if self.kind == "file":
            return f"file:{self.path}"
        return f"tone:{self.hz:g}"


def parse_source_spec(spec: str) -> SourceSpec:
    """Parse an audio source spec; raise ValueError with a clear reason when it is bad."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"empty audio source spec; {SPEC_HELP}")
    text = spec.strip()
    kind, sep, arg = text.partition(":")
    kind = kind.lower()
    if kind == "pyaudio":
        device = arg.strip() if sep else ""
        if sep and not device:
            raise ValueError(f"audio source {spec!r}: device name after 'pyaudio:' is empty; {SPEC_HELP}")
        return SourceSpec("pyaudio", device=device or None)
    if kind == "file":
        if not sep or not arg.strip():
            raise ValueError(f"audio source {spec!r}: missing file path after 'file:'; {SPEC_HELP}")
        return SourceSpec("file", path=arg.strip())
    if kind == "tone":
        if not sep:
            return SourceSpec("tone")
        try:
            hz = float(arg)
        except ValueError:
            raise ValueError(f"audio source {spec!r}: tone frequency {arg!r} is not a number; {SPEC_HELP}") from None
        if not (20.0 <= hz <= 20_000.0):
            raise ValueError(f"audio source {spec!r}: tone frequency must be between 20 and 20000 Hz")
        return SourceSpec("tone", hz=hz)
    raise ValueError(f"unknown audio source {spec!r}; {SPEC_HELP}")
