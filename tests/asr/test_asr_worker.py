"""The background worker runs recognition off the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from server.asr.audio import AudioError
from server.asr.engines import EngineError, get_engine
from server.asr.transcribe import TranscriptResult
from server.asr.worker import TranscriptionWorker, _process_priority


async def test_job_runs_off_the_loop_while_the_loop_keeps_ticking(long_real_audio):
    worker = TranscriptionWorker("viet-asr")
    await worker.start()
    finished = asyncio.Event()
    outcomes: dict[str, TranscriptResult | Exception] = {}

    async def callback(job_id, outcome):
        outcomes[job_id] = outcome
        finished.set()

    worker.submit("turn-1", long_real_audio.path, callback)
    assert worker.backlog() == 1
    lags: list[float] = []
    seen_running = False
    while not finished.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - before - 0.01)
        if worker.status()["current"] == "turn-1":
            seen_running = True
    await worker.stop()

    result = outcomes["turn-1"]
    assert isinstance(result, TranscriptResult), result
    assert result.text
    assert seen_running
    # the loop ticked all along: a blocked loop would show one lag as long as the job
    assert result.processing_seconds > 1.0
    assert len(lags) > result.processing_seconds / 0.05
    assert max(lags) < 0.25, max(lags)
    status = worker.status()
    assert status == {
        "running": False, "engine": "viet-asr", "backlog": 0, "current": None, "done": 1, "failed": 0
    }


async def test_jobs_run_in_order_failures_are_reported_and_sync_callbacks_work(
    real_clips, tmp_path
):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    worker = TranscriptionWorker()
    order: list[str] = []
    outcomes: dict[str, object] = {}

    def callback(job_id: str, outcome: object) -> None:
        order.append(job_id)
        outcomes[job_id] = outcome

    def broken_callback(job_id: str, outcome: object) -> None:
        order.append(job_id)
        raise RuntimeError("a failing callback must not stop the worker")

    worker.submit("a", real_clips[0].path, callback)
    worker.submit("b", bad, callback)
    worker.submit("c", Path(tmp_path / "missing.wav"), broken_callback)
    worker.submit("d", real_clips[1].path, callback)
    assert worker.backlog() == 4  # queued before start: nothing is lost
    await worker.start()
    await asyncio.wait_for(worker.join(), 60)
    await worker.stop()

    assert order == ["a", "b", "c", "d"]
    assert isinstance(outcomes["a"], TranscriptResult) and outcomes["a"].text
    assert isinstance(outcomes["b"], AudioError)
    assert isinstance(outcomes["d"], TranscriptResult) and outcomes["d"].text
    assert worker.status()["done"] == 2 and worker.status()["failed"] == 2
    assert worker.backlog() == 0


async def test_stop_keeps_waiting_jobs_in_the_backlog(real_clips):
    worker = TranscriptionWorker()
    results: list[str] = []
    worker.submit("x", real_clips[0].path, lambda j, o: results.append(j))
    worker.submit("y", real_clips[1].path, lambda j, o: results.append(j))
    await worker.start()
    while worker.status()["current"] != "x":
        await asyncio.sleep(0.005)
    await worker.stop()
    # the running job finished and was delivered; the waiting one stays queued
    assert results == ["x"]
    assert worker.backlog() == 1
    assert worker.status()["running"] is False


def test_unknown_engine_fails_at_construction():
    with pytest.raises(EngineError, match="unknown engine"):
        TranscriptionWorker("nope")


async def test_recognition_runs_in_its_own_process_at_lower_priority(real_clips):
    """By name, the engine runs in a process of its own (no interpreter lock shared with
    the server), niced; an engine object runs in a niced thread."""
    worker = TranscriptionWorker(niceness=7)
    await worker.start()
    assert worker._executor is not None
    pid, nice = worker._executor.submit(_process_priority).result()
    await worker.stop()
    assert pid != os.getpid()
    assert nice == os.getpriority(os.PRIO_PROCESS, 0) + 7

    threaded = TranscriptionWorker(get_engine("viet-asr"), niceness=7)
    await threaded.start()
    tid = threaded._executor.submit(threading.get_native_id).result()
    nice = int(Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    await threaded.stop()
    assert nice == os.getpriority(os.PRIO_PROCESS, 0) + 7


async def test_a_dead_recognition_process_is_replaced(real_clips):
    worker = TranscriptionWorker()
    outcomes: dict[str, object] = {}
    await worker.start()
    pid, _ = worker._executor.submit(_process_priority).result()
    os.kill(pid, 9)
    worker.submit("a", real_clips[0].path, lambda j, o: outcomes.setdefault(j, o))
    worker.submit("b", real_clips[0].path, lambda j, o: outcomes.setdefault(j, o))
    await asyncio.wait_for(worker.join(), 60)
    await worker.stop()
    # the job that met the dead process failed and was reported; the next one ran
    assert isinstance(outcomes["b"], TranscriptResult) and outcomes["b"].text
