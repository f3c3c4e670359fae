"""`doithoai transcribe`: transcripts of audio files, or of a whole conference's turns."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from server.asr.audio import AudioError
from server.asr.engines import ENV_ENGINE, EngineError, engine_names, get_engine
from server.asr.transcribe import transcribe_file

MESSAGES = {
    "help": "In bản ghi nhận dạng giọng nói của từng tệp âm thanh (mỗi tệp một dòng).",
    "files": "tệp âm thanh (mọi định dạng ffmpeg đọc được)",
    "engine": f"bộ nhận dạng: {', '.join(engine_names())} (mặc định: biến {ENV_ENGINE} hoặc viet-asr)",
    "conference": "nhận dạng lại hoặc bổ sung bản nháp cho mọi lượt phát biểu của hội nghị ID",
    "redo_all": "với --conference: nhận dạng lại mọi lượt (mặc định chỉ các lượt chưa có bản nháp)",
    "db": "với --conference: địa chỉ cơ sở dữ liệu (mặc định: tệp SQLite trong thư mục dữ liệu)",
    "data_dir": "với --conference: thư mục dữ liệu của máy chủ (mặc định: ./data)",
    "no_input": "lỗi: hãy chỉ ra ít nhất một tệp âm thanh hoặc --conference ID",
    "both": "lỗi: không dùng cùng lúc tệp âm thanh và --conference",
    "engine_error": "lỗi bộ nhận dạng: {detail}",
    "audio_error": "{file}\tlỗi: không đọc được âm thanh ({detail})",
    "failed": "lỗi: nhận dạng thất bại ({detail})",
    "unit": "tệp",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("transcribe", help=MESSAGES["help"], description=MESSAGES["help"])
    parser.add_argument("files", nargs="*", metavar="FILE", help=MESSAGES["files"])
    parser.add_argument("--engine", choices=engine_names(), default=os.environ.get(ENV_ENGINE) or None, help=MESSAGES["engine"])
    parser.add_argument("--conference", metavar="ID", default=None, help=MESSAGES["conference"])
    parser.add_argument("--all", dest="redo_all", action="store_true", help=MESSAGES["redo_all"])
    parser.add_argument("--db", default=os.environ.get("DOITHOAI_DB"), help=MESSAGES["db"])
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DOITHOAI_DATA", "data")),
                        help=MESSAGES["data_dir"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.conference is not None:
        if args.files:
            print(MESSAGES["both"], file=sys.stderr)
            return 2
        from server.asr.conference import transcribe_conference  # needs the database

        return int(transcribe_conference(args))
    if not args.files:
        print(MESSAGES["no_input"], file=sys.stderr)
        return 2
    return transcribe_files(args.files, args.engine)


def transcribe_files(files: list[str], engine_name: str | None = None) -> int:
    """Print ``<file>\\t<text>`` per file on stdout; errors on stderr; 1 if any file failed."""
    try:
        engine = get_engine(engine_name)
    except EngineError as exc:
        print(MESSAGES["engine_error"].format(detail=exc), file=sys.stderr)
        return 2
    failed = 0
    with tqdm(
        total=len(files), file=sys.stderr, disable=len(files) < 2, unit=MESSAGES["unit"], leave=False
    ) as progress:
        for name in files:
            try:
                result = transcribe_file(name, engine)
            except AudioError as exc:
                failed += 1
                tqdm.write(MESSAGES["audio_error"].format(file=name, detail=exc), file=sys.stderr)
            except EngineError as exc:
                failed += 1
                tqdm.write(f"{name}\t" + MESSAGES["failed"].format(detail=exc), file=sys.stderr)
            else:
                tqdm.write(f"{name}\t{result.text}", file=sys.stdout)
                sys.stdout.flush()
            progress.update(1)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run the sub-command alone: ``python -m server.asr.cli transcribe FILE...``."""
    parser = argparse.ArgumentParser(prog="doithoai")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
