"""The key that signs phone cookies: one per install, even when processes start at once."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

from server.queue.phones import SECRET_FILE, load_secret


def _load(args: tuple[str, object]) -> bytes:
    folder, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    return load_secret(Path(folder))


def test_processes_starting_at_once_end_with_one_key(tmp_path: Path) -> None:
    n = 8
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(n)
        with multiprocessing.get_context("fork").Pool(n) as pool:
            keys = pool.map(_load, [(str(tmp_path), barrier)] * n)
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert (tmp_path / SECRET_FILE).read_bytes() == keys[0]
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary file left
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600


def test_a_kept_key_is_read_and_a_damaged_one_replaced(tmp_path: Path) -> None:
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first
    (tmp_path / SECRET_FILE).write_bytes(b"short")
    fresh = load_secret(tmp_path)
    assert len(fresh) == 32 and fresh != first and load_secret(tmp_path) == fresh
