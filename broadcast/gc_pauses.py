"""Keep the garbage collector's pauses short in a process that moves live audio.

CPython's full (generation 2) collection walks every object the process holds, with the
event loop and every other thread stopped. In a server process without this setting
(aiohttp, socket.io, SQLAlchemy and numpy imported, the mappers built), one took 135 ms
on a 2-core machine: the loop stood still, no audio went to the loudspeaker relays, and
a relay's 60 ms buffer ran dry (docs/benchmarks.md, "Live captions"). The objects made while starting (modules, classes, mappers, routes)
live as long as the process, so once start-up is over they are collected once and moved
out of the collector's sight (``gc.freeze``), and young objects are collected less often;
what is made afterwards is still collected.
"""

from __future__ import annotations

import gc

# Young objects are collected after this many allocations (CPython's default: 700), so a
# burst of socket.io fan-out is not interrupted again and again by collections.
YOUNG_THRESHOLD = 50_000


def quiet_collector() -> int:
    """Call once start-up is over: collect, freeze what survives, collect young objects
    less often. Returns how many objects are now out of the collector's sight."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)
    return gc.get_freeze_count()
