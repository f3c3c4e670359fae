"""Background speech recognition for the server.

Jobs are queued on the event loop and run one at a time in a worker process of
their own (spawned, so it shares no lock or thread with the server), so neither
the loop (the speaking queue, the audio) nor Python's interpreter lock is held
by recognition. The process lowers its scheduling priority before loading a
model, and the engines' native thread pools inherit it: on a busy machine the
server and the audio go first, recognition takes what is left. An engine given
as an object rather than by name runs in a thread instead (it may not cross a
process boundary).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import multiprocessing
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.asr import engines
from server.asr.engines import Engine, get_engine
from server.asr.transcribe import TranscriptResult, transcribe_file

log = logging.getLogger(__name__)

Callback = Callable[[str, TranscriptResult | Exception], Awaitable[None] | None]

WORKER_NICENESS = 10


@dataclass
class _Job:
    job_id: str
    wav_path: Path
    callback: Callback


def _lower_priority(niceness: int) -> None:
    """Lower the calling thread's priority (Linux: per thread); ignore where unsupported."""
    if niceness <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass


# The worker process's engine, loaded once there (see _process_init).
_PROCESS_ENGINE: Engine | None = None


def _process_init(engine_name: str, niceness: int, cache_dir: Path | None) -> None:
    """In the worker process: lower its priority, keep models where the server keeps
    them, name its engine (loaded on first use)."""
    global _PROCESS_ENGINE
    engines._cache_dir = cache_dir
    if niceness > 0:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    _PROCESS_ENGINE = get_engine(engine_name)


def _process_recognise(wav_path: Path) -> TranscriptResult:
    assert _PROCESS_ENGINE is not None
    return transcribe_file(wav_path, _PROCESS_ENGINE)


def _process_priority() -> tuple[int, int]:
    """(pid, niceness) of the worker process, for checks."""
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)


class TranscriptionWorker:
    """Runs speech recognition jobs off the event loop, one at a time, in submission order."""

    def __init__(self, engine: Engine | str | None = None, niceness: int = WORKER_NICENESS) -> None:
        # Resolved now (no model is loaded yet) so a wrong name fails at start-up, not per job.
        self._engine: Engine = engine if engine is not None and not isinstance(engine, str) else get_engine(engine)
        # by name: recognised in a process of its own; an object: in a thread
        self._by_name = engine is None or isinstance(engine, str)
        self._niceness = niceness
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._executor: Executor | None = None
        self._runner: asyncio.Task[None] | None = None
        self._current: str | None = None
        self._done = 0
        self._failed = 0

    # -- public interface ------------------------------------------------

    def submit(self, job_id: str, wav_path: Path, callback: Callback) -> None:
        """Queue a job; ``callback(job_id, result_or_exception)`` runs on the loop when it ends."""
        self._queue.put_nowait(_Job(job_id, Path(wav_path), callback))

    def backlog(self) -> int:
        """Jobs not finished yet: waiting plus the one running."""
        return self._queue.qsize() + (1 if self._current is not None else 0)

    def status(self) -> dict[str, Any]:
        return {
            "running": self._runner is not None and not self._runner.done(),
            "engine": self._engine.name,
            "backlog": self.backlog(),
            "current": self._current,
            "done": self._done,
            "failed": self._failed,
        }

    async def start(self) -> None:
        if self._runner is not None and not self._runner.done():
            return
        if self._by_name:
            self._executor = self._new_process()
            # start the process now, off the loop (starting it is a blocking fork and exec)
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: self._executor.submit(_process_priority).result())
        else:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="doithoai-asr")
            self._executor.submit(_lower_priority, self._niceness).result()
        self._runner = asyncio.create_task(self._run(), name="doithoai-asr-worker")

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs; wait up to ``timeout`` s for the running one, then let it go.

        Jobs still queued stay queued (``backlog()`` shows them); the
        ``--conference`` command completes them after the conference.
        """
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(runner), timeout)
            except TimeoutError:
                runner.cancel()  # give up on the running job: its result is dropped
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
            except asyncio.CancelledError:
                pass
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def join(self) -> None:
        """Wait until every job submitted so far has finished."""
        await self._queue.join()

    # -- internals -------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self._engine

    def _new_process(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_process_init,
            initargs=(self._engine.name, self._niceness, engines._cache_dir))

    def _recognise(self, wav_path: Path) -> TranscriptResult:
        return transcribe_file(wav_path, self._engine)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = await self._queue.get()
            self._current = job.job_id
            outcome: TranscriptResult | Exception
            try:
                assert self._executor is not None
                work = _process_recognise if self._by_name else self._recognise
                future = loop.run_in_executor(self._executor, work, job.wav_path)
                try:
                    outcome = await asyncio.shield(future)
                except asyncio.CancelledError:
                    # Stopping: let the running recognition finish (bounded by stop's timeout)
                    # and still deliver its result, so a finished draft is not thrown away.
                    try:
                        outcome = await future
                    except Exception as exc:  # noqa: BLE001 - reported to the callback
                        outcome = exc
                    await self._deliver(job, outcome)
                    raise
                except Exception as exc:  # noqa: BLE001 - reported to the callback
                    outcome = exc
                    if isinstance(exc, BrokenProcessPool):  # the process died: a new one
                        log.error("speech recognition process died; starting a new one")
                        self._executor.shutdown(wait=False, cancel_futures=True)
                        self._executor = self._new_process()
                        await loop.run_in_executor(
                            None, lambda: self._executor.submit(_process_priority).result())
                await self._deliver(job, outcome)
            finally:
                self._current = None
                self._queue.task_done()

    async def _deliver(self, job: _Job, outcome: TranscriptResult | Exception) -> None:
        if isinstance(outcome, Exception):
            self._failed += 1
            log.warning("transcription of %s failed: %s", job.job_id, outcome)
        else:
            self._done += 1
        try:
            returned = job.callback(job.job_id, outcome)
            if inspect.isawaitable(returned):
                await returned
        except Exception:
            log.exception("callback for transcription job %s failed", job.job_id)
