"""Busy-loop processes that keep CPU cores busy, for the tests and benchmarks that check the
relay and the capture on a loaded machine (`bench/audio_latency.py --cpu-hogs N`).

The processes are started with the "spawn" method: a fresh interpreter that imports only this
module, so they hold none of the caller's sockets, pipes or threads. They end by themselves
when their parent is gone, even if it was killed."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator


def busy_loop(parent: int) -> None:  # pragma: no cover - runs in the child
    """Spin until the parent process is gone (so a killed test or benchmark leaves none)."""
    while os.getppid() == parent:
        x = 0
        for _ in range(200_000):  # some tens of milliseconds between looks
            x = (x + 1) & 0xFFFF


@contextlib.contextmanager
def cpu_hogs(n: int) -> Iterator[list[int]]:
    """Run `n` busy-loop processes for the duration of the block; yields their pids. They are
    killed (SIGKILL) and reaped on the way out, whatever happens inside."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=busy_loop, args=(os.getpid(),), name=f"cpu-hog-{i}", daemon=True)
             for i in range(n)]
    try:
        for p in procs:
            p.start()
        yield [p.pid for p in procs if p.pid is not None]
    finally:
        for p in procs:
            if p.pid is not None and p.is_alive():
                p.kill()
        for p in procs:
            if p.pid is not None:
                p.join(5)


def load_average() -> float:
    """The 1-minute load average (0.0 where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return 0.0
