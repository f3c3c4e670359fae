"""A server that stops while the recogniser process is still being started (a test's app
closing right after the first turn, an operator's Ctrl-C) waits for the start and ends the
process, instead of failing on a process that has no pid yet."""

from __future__ import annotations

import asyncio

from server.captions.worker import CaptionWorker


async def test_stop_while_the_process_is_being_started_ends_it_cleanly():
    worker = CaptionWorker(lambda _msg: None)
    starting = asyncio.create_task(worker.start())
    for _ in range(3):  # into the executor's fork and exec, not yet back
        await asyncio.sleep(0)
    assert worker._process is not None and not starting.done()
    starting.cancel()
    await worker.stop()  # used to raise TypeError: the process had no pid yet
    proc = worker._starting
    assert proc is not None and proc.done()
    assert worker._process is None and not worker.alive


async def test_stop_after_a_start_ends_the_process():
    worker = CaptionWorker(lambda _msg: None)
    await worker.start()
    pid = worker.pid
    assert pid is not None and worker.alive
    await worker.stop()
    assert not worker.alive
    assert _state(pid) in {None, "Z", "X"}  # gone, or a zombie at most


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None
