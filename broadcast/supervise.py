"""Run a task forever, restarting it with exponential backoff, and expose its state.

Used for the encoder, every output and the relay's pull loop: a failure is recorded
(`last_error`, `restarts`), waits `backoff` seconds and tries again, and never
propagates to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)
STOP_RETRY_S = 0.5  # stop() cancels a job again after this long


def next_backoff(current: float, *, initial: float, maximum: float) -> float:
    """Double the backoff, starting at `initial`, never above `maximum`."""
    if current <= 0:
        return initial
    return min(maximum, current * 2.0)


class Supervised:
    """A named job restarted with backoff. Subclasses implement `run_once()`.

    `run_once()` should call `self.mark_running()` once it is really working; a run that
    lasted `healthy_after` seconds resets the backoff.
    """

    kind = "job"

    def __init__(self, name: str, *, initial_backoff: float = 0.25, max_backoff: float = 10.0,
                 healthy_after: float = 10.0,
                 on_change: Callable[[], None] | None = None) -> None:
        self.name = name
        self.state = "stopped"  # stopped | starting | running | backoff | failed
        self.last_error: str | None = None
        self.last_error_at: str | None = None
        self.restarts = 0
        self.running_since: str | None = None
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after
        self._backoff = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._on_change = on_change

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name=f"supervised:{self.name}")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        with contextlib.suppress(Exception):
            await self.cleanup()
        self._set_state("stopped")

    async def run_once(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def cleanup(self) -> None:
        """Release what run_once() left behind (processes, streams)."""

    # -- state ------------------------------------------------------------------------------
    def mark_running(self) -> None:
        self.running_since = datetime.now(UTC).isoformat()
        self._set_state("running")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self._on_change is not None:
                with contextlib.suppress(Exception):
                    self._on_change()

    def record_error(self, message: str) -> None:
        self.last_error = message
        self.last_error_at = datetime.now(UTC).isoformat()

    def on_error(self, exc: Exception) -> None:
        self.record_error(f"{type(exc).__name__}: {exc}")

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "restarts": self.restarts,
            "running_since": self.running_since if self.state == "running" else None,
            "retry_in_s": round(self._backoff, 2) if self.state == "backoff" else None,
        }

    async def _loop(self) -> None:
        while not self._stopping:
            self._set_state("starting")
            started = time.monotonic()
            try:
                await self.run_once()
                if not self._stopping:
                    self.record_error(f"{self.kind} {self.name} ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed job never escapes its supervisor
                self.on_error(exc)
                log.warning("%s %s failed: %s", self.kind, self.name, exc)
            finally:
                with contextlib.suppress(Exception):
                    await self.cleanup()
            if self._stopping:
                break
            if time.monotonic() - started >= self.healthy_after:
                self._backoff = 0.0
            self._backoff = next_backoff(self._backoff, initial=self.initial_backoff,
                                         maximum=self.max_backoff)
            self.restarts += 1
            self._set_state("backoff")
            await asyncio.sleep(self._backoff)


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait until it has ended, cancelling again every STOP_RETRY_S.

    Python 3.11's asyncio.wait_for loses a cancellation that arrives as its inner read
    completes (a stream delivering every 20 ms makes that likely on a busy machine): the task
    would run on and a plain `cancel(); await task` wait for ever."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_RETRY_S)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def drain_stream(stream: asyncio.StreamReader | None, sink: Callable[[str], None] | None = None,
                       keep: int = 20) -> list[str]:
    """Read a process's stderr until EOF so its pipe never fills; keep the last lines."""
    lines: list[str] = []
    if stream is None:
        return lines
    while True:
        line = await stream.readline()
        if not line:
            return lines
        text = line.decode("utf-8", "replace").rstrip()
        if text:
            lines.append(text)
            del lines[:-keep]
            if sink is not None:
                sink(text)



async def kill_process(proc: asyncio.subprocess.Process | None, timeout: float = 5.0) -> None:
    """Kill a child and reap it. Its output pipes are read to the end meanwhile: asyncio only
    reports the exit once every pipe is closed, and a paused full pipe never closes."""
    if proc is None:
        return
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()

    async def drain(stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        with contextlib.suppress(Exception):
            while await stream.read(65536):
                pass

    try:
        await asyncio.wait_for(asyncio.gather(drain(proc.stdout), drain(proc.stderr), proc.wait()),
                               timeout)
    except TimeoutError:
        log.warning("child %s did not go away after kill", proc.pid)
