"""How fast this machine runs Python right now: a fixed piece of work, timed in CPU time.

    python bench/machine_speed.py [--seconds 10] [--every 0.25]

A benchmark that compares two stretches of a run (the first and the last 100 commands
of a long day) compares the machine at two moments too. On a shared virtual machine the
same work can take twice the CPU time from one second to the next (other guests on the
host, the caches), and a benchmark's own figures cannot tell that from its code growing
slower. This probe runs beside it, in a process of its own: every ``--every`` seconds it
times one fixed unit of pure-Python work by the CPU time of its thread, so waiting for a
core does not count, only how fast the core runs while it has it.

Used by ``bench/long_day.py`` through ``Probe`` (a context manager); run alone, it prints
one line per unit (monotonic clock, CPU ms) and a JSON line with their spread last.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import percentile


def unit() -> int:
    """The fixed work: arithmetic, a dictionary and strings, about 1-2 ms of CPU here."""
    total = 0
    for i in range(20_000):
        total += i * i % 7
    table = {str(i): i for i in range(2_000)}
    return total + len(table)


def run(seconds: float, every: float, out: object) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        at, cpu0 = time.monotonic(), time.thread_time()
        unit()
        print(f"{at:.3f} {(time.thread_time() - cpu0) * 1000:.3f}", file=out, flush=True)
        time.sleep(every)


class Probe:
    """The probe in a subprocess for the length of a ``with`` block; ``median(t0, t1)`` is
    the median CPU ms of one unit between two instants of ``time.monotonic()`` (the clock
    is the system's, shared by every process)."""

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self._file = tempfile.NamedTemporaryFile("w+", prefix="machine-speed-", suffix=".txt")
        self._proc: subprocess.Popen | None = None
        self.samples: list[tuple[float, float]] = []

    def __enter__(self) -> Probe:
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--seconds", "86400",
             "--every", str(self.every), "--quiet"], stdout=self._file)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
        self._file.seek(0)
        for line in self._file.read().splitlines():
            parts = line.split()
            if len(parts) == 2:
                self.samples.append((float(parts[0]), float(parts[1])))
        self._file.close()

    def median(self, t0: float, t1: float) -> float | None:
        value = percentile([ms for at, ms in self.samples if t0 <= at <= t1], 50)
        return None if value is None else round(value, 2)

    def spread(self) -> dict[str, float | int | None]:
        values = [ms for _, ms in self.samples]

        def p(q: float) -> float | None:
            v = percentile(values, q)
            return None if v is None else round(v, 2)

        return {"samples": len(values), "p5_ms": p(5), "p50_ms": p(50), "p95_ms": p(95)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--every", type=float, default=0.25)
    ap.add_argument("--quiet", action="store_true", help="only the lines (for Probe)")
    args = ap.parse_args(argv)
    if args.quiet:
        run(args.seconds, args.every, sys.stdout)
        return 0
    with tempfile.TemporaryFile("w+") as fh:
        run(args.seconds, args.every, fh)
        fh.seek(0)
        lines = fh.read().splitlines()
    values = [float(line.split()[1]) for line in lines]
    for line in lines:
        print(line)
    print(json.dumps({"samples": len(values), "min_ms": min(values), "max_ms": max(values),
                      "p50_ms": round(percentile(values, 50) or 0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
