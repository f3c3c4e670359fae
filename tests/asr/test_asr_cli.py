"""`doithoai transcribe` as a user runs it (through the module's own entry point)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from server.asr import cli

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.asr.cli", "transcribe", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )


def test_one_line_per_file_and_failure_exit(real_clips, tmp_path):
    bad = tmp_path / "bad.ogg"
    bad.write_text("no audio here")
    good = [str(c.path) for c in real_clips[:2]]
    done = run_cli(good[0], str(bad), good[1])
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == good
    assert all(line.split("\t")[1].strip() for line in lines)
    assert f"{bad}\tlỗi: không đọc được âm thanh" in done.stderr
    assert "3/3" in done.stderr or "%|" in done.stderr  # progress bar on stderr


def test_all_good_files_exit_zero(real_clips):
    done = run_cli(str(real_clips[2].path), "--engine", "viet-asr")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{real_clips[2].path}\t")
    assert "%|" not in done.stderr  # no progress bar for a single file


def test_usage_errors():
    assert run_cli().returncode == 2
    done = run_cli("--engine", "nope", "x.wav")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_conference_mode_and_files_together_is_a_usage_error(capsys):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    both = parser.parse_args(["transcribe", "--conference", "7", "a.wav"])
    assert both.func(both) == 2
    assert "--conference" in capsys.readouterr().err
