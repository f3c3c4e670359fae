"""The collector's pauses in the audio processes (broadcast/gc_pauses.py): once start-up
is over, a full collection no longer walks what start-up made. Each check runs in a
process of its own, so this test process keeps its own collector settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json, time
from broadcast.gc_pauses import YOUNG_THRESHOLD, quiet_collector

# what a server's start-up leaves behind: many long-lived objects the collector tracks
kept = [[i] for i in range(1_500_000)]

def full_collection_ms():
    t0 = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - t0) * 1000

before = min(full_collection_ms() for _ in range(3))
frozen = quiet_collector()
after = min(full_collection_ms() for _ in range(3))
garbage = []
garbage.append(garbage)  # a cycle made after start-up is still collected
del garbage
print(json.dumps({"before": before, "after": after, "frozen": frozen,
                  "threshold": gc.get_threshold(), "young": YOUNG_THRESHOLD,
                  "collected_later": gc.collect()}))
"""


def probe() -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_start_up_objects_leave_the_full_collection():
    got = probe()
    assert got["frozen"] >= 1_500_000
    # walking 1.5 million objects against walking the few made since: far more than noise
    assert got["after"] * 5 < got["before"], got
    assert got["threshold"][0] == got["young"]
    assert got["collected_later"] >= 1  # what the day makes is still collected

