"""The captions never delay the audio: when the recogniser cannot keep up (here its process
is stopped, as a starved CPU would), the captions drop to finals only, then pause, and say
so on the tablet, while the broadcast's frames keep coming at their pace; when it catches up
they come back, and a recogniser that dies is started again."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

from server.keys import BROADCAST, CAPTIONS
from tests.captions.conftest import open_hall, staff_listener, wait_for


def modes(states: list[dict]) -> list[str]:
    out: list[str] = []
    for s in states:
        if not out or out[-1] != s["mode"]:
            out.append(s["mode"])
    return out


async def test_starved_recogniser_degrades_then_recovers_without_delaying_audio(hall, admin):
    base, app = hall
    h = await open_hall(admin)
    staff = await staff_listener(base, admin, h.cid)
    captions = app[CAPTIONS]
    # the rule's own bounds (tests/domain/test_captions_rules.py) with shorter waits to come
    # back, so the test does not sit out the default 5 s pause and 3 s of calm
    captions.thresholds = replace(captions.thresholds, paused_at_least=2.0, calm_for=1.0)
    frames: list[float] = []
    untap = app[BROADCAST].add_tap(lambda _f: frames.append(time.monotonic()))
    try:
        await h.on_air()
        await h.start()
        assert await wait_for(lambda: staff.lines, 15), "no captions before the test"
        pid = captions.worker.pid
        os.kill(pid, signal.SIGSTOP)  # the recogniser gets no CPU at all
        stopped = time.monotonic()
        try:
            assert await wait_for(lambda: "paused" in modes(staff.states), 12), staff.states
            paused = next(s for s in staff.states if s["mode"] == "paused")
            assert paused["message"] == ("Máy đang quá tải: phụ đề tạm dừng, sẽ tự chạy lại "
                                         "khi máy rảnh.")
            assert paused["public"] is True  # the state is public; there are just no lines
        finally:
            os.kill(pid, signal.SIGCONT)
        went = time.monotonic() - stopped
        # the broadcast's capture went on at its pace: 50 frames a second, none held back
        during = [t for t in frames if stopped <= t <= stopped + went]
        assert len(during) >= 45 * went, (len(during), went)
        gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
        assert max(gaps) < 0.5, max(gaps)  # (a loaded machine, not the captions, may lag)
        assert captions.status()["dropped_s"] > 0  # audio was let go, not queued
        # it catches up: finals only, then live again
        assert await wait_for(lambda: modes(staff.states)[-1] == "live", 25), modes(staff.states)
        seen = modes(staff.states)
        down = seen.index("paused")
        assert "finals_only" in seen[:down], seen  # live -> finals only -> paused
        assert seen[down + 1] == "finals_only" and seen[-1] == "live", seen  # and back
        # while finals only, no partial words went out
        fo = [s["heard_at"] for s in staff.states if s["mode"] == "finals_only"]
        back = [s["heard_at"] for s in staff.states if s["mode"] == "live"][-1]
        late = [line for line in staff.lines if fo[-1] + 0.5 < line["heard_at"] < back - 0.1]
        assert all(line["final"] for line in late), late
        # a recogniser that dies is started again, and the captions come back
        old = captions.worker.pid
        os.kill(old, signal.SIGKILL)
        assert await wait_for(lambda: captions.worker.pid != old
                              and captions.worker.ready.is_set(), 25)
        count = len(staff.lines)
        assert await wait_for(lambda: len(staff.lines) > count, 25)
    finally:
        untap()
        await staff.sio.disconnect()
