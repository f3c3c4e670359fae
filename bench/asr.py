"""Speech-recognition benchmark: word error rate and real-time factor per engine.

    python bench/asr.py [--data DIR] [--engine NAME|all]

DIR holds WAV (or any ffmpeg-readable) recordings and ``transcripts.tsv``
(file, tab, reference text). Each recording is transcribed on its own, then
all of them joined with pauses (sox) into one long file, whose WER checks
the cutting at pauses. WER: jiwer, NFC, lower-cased, punctuation removed.
RTF: processing time / audio time, the model already loaded, measured
through ``transcribe_file`` (decoding, cutting and recognition).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from common import load_transcripts  # noqa: E402

from server.asr.engines import engine_names, get_engine  # noqa: E402
from server.asr.metrics import word_error_rate  # noqa: E402
from server.asr.transcribe import transcribe_file  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "testdata" / "speech-vi"
PAUSES = [0.8, 1.2, 0.6, 1.0]
WER_GOAL = 0.10
RTF_GOAL = 0.3


def make_long_file(rows: list[tuple[Path, str]], workdir: Path) -> tuple[Path, str]:
    """Every recording, then all again in reverse order, joined by 0.6-1.2 s pauses with sox."""
    order = rows + rows[::-1]
    pieces = []
    for index, (path, _) in enumerate(order):
        piece = workdir / f"piece{index:03d}.wav"
        pause = PAUSES[index % len(PAUSES)] if index < len(order) - 1 else 0.0
        wav = workdir / f"src{index:03d}.wav"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(path),
             "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(wav)],
            check=True,
        )
        subprocess.run(["sox", str(wav), str(piece), "pad", "0", str(pause)], check=True)
        pieces.append(str(piece))
    target = workdir / "long.wav"
    subprocess.run(["sox", *pieces, str(target)], check=True)
    return target, " ".join(text for _, text in order)


def bench_engine(name: str, rows: list[tuple[Path, str]], long_file: tuple[Path, str]) -> dict:
    engine = get_engine(name)
    started = time.perf_counter()
    transcribe_file(rows[0][0], engine)  # loads the model
    load_seconds = time.perf_counter() - started
    hyps, refs = [], []
    audio = processing = 0.0
    for path, reference in rows:
        result = transcribe_file(path, engine)
        hyps.append(result.text)
        refs.append(reference)
        audio += result.audio_seconds
        processing += result.processing_seconds
        wer_one = word_error_rate([reference], [result.text])
        print(f"[{name}] {path.name}: wer={wer_one:.3f} rtf="
              f"{result.processing_seconds / result.audio_seconds:.3f} | {result.text}", file=sys.stderr)
    long_path, long_reference = long_file
    long_result = transcribe_file(long_path, engine)
    wer_long = word_error_rate([long_reference], [long_result.text])
    print(f"[{name}] long ({long_result.audio_seconds:.1f} s): wer={wer_long:.3f} rtf="
          f"{long_result.processing_seconds / long_result.audio_seconds:.3f}", file=sys.stderr)
    total_audio = audio + long_result.audio_seconds
    total_processing = processing + long_result.processing_seconds
    return {
        "engine": name,
        "wer": round(word_error_rate(refs, hyps), 4),
        "wer_long": round(wer_long, 4),
        "rtf": round(total_processing / total_audio, 4),
        "rtf_clips": round(processing / audio, 4),
        "rtf_long": round(long_result.processing_seconds / long_result.audio_seconds, 4),
        "audio_seconds": round(total_audio, 2),
        "load_seconds": round(load_seconds, 2),
        "clips": len(rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with transcripts.tsv")
    parser.add_argument("--engine", default=None, help=f"{', '.join(engine_names())} or all")
    args = parser.parse_args(argv)
    if not (args.data / "transcripts.tsv").is_file():
        raise SystemExit(f"{args.data}: no transcripts.tsv (file<TAB>text per line)")
    rows = load_transcripts(args.data)
    names = engine_names() if args.engine == "all" else [get_engine(args.engine).name]
    with tempfile.TemporaryDirectory(prefix="bench-asr-") as tmp:
        long_file = make_long_file(rows, Path(tmp))
        figures = {name: bench_engine(name, rows, long_file) for name in names}
    common = {"cpus": os.cpu_count(), "wer_goal": WER_GOAL, "rtf_goal": RTF_GOAL, "data": str(args.data)}
    if len(names) == 1:
        out = figures[names[0]] | common
    else:
        out = {"engine": "all", "engines": figures} | common
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
