"""The streaming recogniser of the live captions, in a worker process of its own.

The process is spawned (it shares no lock or thread with the server), lowers its priority
before loading the model, and reads 16 kHz mono s16 audio from a bounded channel: when the
channel is full the server drops audio rather than wait (the broadcast never waits for the
captions). It answers on a second channel: partial text as it grows, a final sentence at
each pause (an energy endpointer: the engine's own session keeps one running text), and how
many seconds of audio it has recognised so far, from which the server knows its backlog.

Messages to the process: ``("audio", pcm, seconds_sent)``, ``("partials", bool)``,
``("flush", tag)``, ``("stop",)``. From it: ``("ready", pid)``, ``("partial", text, done_s)``,
``("final", text, end_s, done_s)``, ``("progress", done_s)``, ``("flushed", tag, done_s)``,
``("error", message)``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
FRAME = 320  # 20 ms at 16 kHz, the endpointer's step
WORKER_NICENESS = 10
CHANNEL_BATCHES = 32  # audio batches (about 200 ms each) the channel holds at most
PRESET = "transcribe"


# ---- in the worker process -----------------------------------------------------------------

class Endpointer:
    """Where an utterance ends: ``silence_s`` of quiet after speech, or ``max_s`` of speech
    without such a pause. Quiet is measured against the room: the noise floor is the lowest
    20 ms level of the last ``floor_s`` (speech always dips between syllables), and a frame
    is speech when it is ``factor`` times louder than the floor and above ``min_rms``."""

    def __init__(self, silence_s: float = 0.5, max_s: float = 20.0, min_rms: float = 250.0,
                 factor: float = 3.0, floor_s: float = 2.0) -> None:
        self.silence_frames = int(silence_s * SAMPLE_RATE / FRAME)
        self.max_frames = int(max_s * SAMPLE_RATE / FRAME)
        self.min_rms = min_rms
        self.factor = factor
        self._levels: collections.deque[float] = collections.deque(
            maxlen=int(floor_s * SAMPLE_RATE / FRAME))
        self.in_speech = False
        self.quiet = 0
        self.spoken = 0

    def reset(self) -> None:
        self.in_speech, self.quiet, self.spoken = False, 0, 0

    def feed(self, samples: np.ndarray) -> int | None:
        """Frames of 20 ms; returns the index (in samples of this block) just after the end
        of an utterance, or None. At most one end per call (blocks are ~200 ms)."""
        n = len(samples) // FRAME
        if n == 0:
            return None
        frames = samples[: n * FRAME].astype(np.float32).reshape(n, FRAME)
        rms = np.sqrt(np.mean(frames * frames, axis=1))
        for i, level in enumerate(rms):
            self._levels.append(float(level))
            floor = min(self._levels)
            if level > max(self.min_rms, self.factor * floor):
                self.in_speech = True
                self.quiet = 0
                self.spoken += 1
            elif self.in_speech:
                self.quiet += 1
                self.spoken += 1
            if self.in_speech and (self.quiet >= self.silence_frames
                                   or self.spoken >= self.max_frames):
                self.reset()
                return (i + 1) * FRAME
        return None


def _text(raw: str) -> str:
    return unicodedata.normalize("NFC", " ".join(raw.split()))


def run_process(inbox: Any, outbox: Any, niceness: int = WORKER_NICENESS,
                preset: str = PRESET) -> None:
    """The worker process's main loop."""
    if niceness > 0:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    try:
        import vietasr

        os.environ.setdefault("VIETASR_LOG_LEVEL", "warn")
        pipeline = vietasr.Pipeline.preset(preset)
        session = pipeline.stream(sample_rate=SAMPLE_RATE)
    except Exception as exc:  # noqa: BLE001 - reported to the server
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        return
    outbox.put(("ready", os.getpid()))
    endpointer = Endpointer()
    partials = True
    done_s = 0.0
    last_partial = ""
    heard = 0.0  # seconds of audio in the current utterance

    def finish(end_s: float) -> None:
        nonlocal last_partial, heard
        text = _text(session.final().text)
        session.reset()
        last_partial, heard = "", 0.0
        if text:
            outbox.put(("final", text, end_s, done_s))

    while True:
        msg = inbox.get()
        kind = msg[0]
        if kind == "stop":
            return
        if kind == "partials":
            partials = bool(msg[1])
            continue
        if kind == "flush":
            endpointer.reset()
            finish(done_s)
            outbox.put(("flushed", msg[1], done_s))
            continue
        if kind != "audio":
            continue
        pcm, sent_s = msg[1], msg[2]
        samples = np.frombuffer(pcm, dtype="<i2")
        start_s = done_s
        session.accept(pcm)
        heard += len(samples) / SAMPLE_RATE
        done_s = sent_s
        cut = endpointer.feed(samples)
        if cut is not None:
            finish(start_s + cut / SAMPLE_RATE - endpointer.silence_frames * FRAME / SAMPLE_RATE)
            outbox.put(("progress", done_s))
            continue
        if partials:
            text = _text(session.partial().text)
            if text and text != last_partial:
                last_partial = text
                outbox.put(("partial", text, done_s))
                continue
        outbox.put(("progress", done_s))


# ---- in the server ---------------------------------------------------------------------------

Listener = Callable[[tuple], None]


class CaptionWorker:
    """The server's handle on the recogniser process: start, feed (never blocking), hear
    its answers on the event loop, restart it when it dies."""

    def __init__(self, on_message: Listener, niceness: int = WORKER_NICENESS) -> None:
        self._on_message = on_message
        self._niceness = niceness
        self._ctx = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._inbox: Any = None
        self._outbox: Any = None
        self._reader: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watch: asyncio.Task | None = None
        self._starting: asyncio.Future | None = None
        self.ready = asyncio.Event()
        self.error: str | None = None
        self.restarts = 0
        self.pid: int | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._spawn()
        self._watch = asyncio.create_task(self._watchdog(), name="doithoai-captions-watch")

    async def _spawn(self) -> None:
        assert self._loop is not None
        self.ready.clear()
        self._inbox = self._ctx.Queue(maxsize=CHANNEL_BATCHES)
        self._outbox = self._ctx.Queue()
        self._process = self._ctx.Process(
            target=run_process, args=(self._inbox, self._outbox, self._niceness),
            name="doithoai-captions", daemon=True)
        # starting a process is a blocking fork and exec: off the loop; stop() waits for it
        # (a stop that cancels this wait must not find a process without a pid)
        self._starting = self._loop.run_in_executor(None, self._process.start)
        await asyncio.shield(self._starting)
        self.pid = self._process.pid
        outbox = self._outbox
        self._reader = threading.Thread(target=self._read, args=(outbox,),
                                        name="doithoai-captions-reader", daemon=True)
        self._reader.start()

    def _read(self, outbox: Any) -> None:
        """A thread: hands each answer of the process to the event loop."""
        while True:
            try:
                msg = outbox.get()
            except (EOFError, OSError, ValueError):
                return
            if msg is None:
                return
            loop = self._loop
            if loop is None or loop.is_closed():
                return
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._hear, msg)

    def _hear(self, msg: tuple) -> None:
        if msg[0] == "ready":
            self.error = None
            self.ready.set()
        elif msg[0] == "error":
            self.error = msg[1]
            log.warning("captions recogniser failed to start: %s", msg[1])
        try:
            self._on_message(msg)
        except Exception:
            log.exception("captions: handling %s failed", msg[0])

    async def _watchdog(self) -> None:
        """A process that died (killed, out of memory) is started again, after a pause."""
        while True:
            await asyncio.sleep(1.0)
            if self._process is not None and not self._process.is_alive() and self.error is None:
                log.error("captions recogniser process died (exit %s); starting a new one",
                          self._process.exitcode)
                self.restarts += 1
                self._close_channels()
                try:
                    self._on_message(("died",))
                except Exception:
                    log.exception("captions: handling a dead worker failed")
                await asyncio.sleep(min(30.0, 2.0 * self.restarts))
                await self._spawn()

    def send(self, msg: tuple) -> bool:
        """Put a message in the channel without waiting; False when it is full or closed."""
        if self._inbox is None or not self.ready.is_set():
            return False
        try:
            self._inbox.put_nowait(msg)
        except (queue.Full, ValueError, OSError, AssertionError):
            return False
        return True

    def _close_channels(self) -> None:
        self.ready.clear()
        for channel in (self._inbox, self._outbox):
            if channel is not None:
                with contextlib.suppress(Exception):
                    channel.cancel_join_thread()
                    channel.close()
        if self._outbox is not None:
            with contextlib.suppress(Exception):
                self._outbox._writer.close()  # ends the reader thread's wait
        self._inbox = self._outbox = None

    async def stop(self, timeout: float = 3.0) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        if self._starting is not None and not self._starting.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._starting), timeout)
        proc = self._process
        if proc is not None and proc.pid is not None:
            if self._inbox is not None:
                with contextlib.suppress(Exception):
                    self._inbox.put_nowait(("stop",))
            with contextlib.suppress(OSError):
                os.kill(proc.pid, 18)  # SIGCONT: a stopped process must be able to end
            deadline = time.monotonic() + timeout
            while proc.is_alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if proc.is_alive():
                proc.kill()
                await asyncio.get_running_loop().run_in_executor(None, proc.join, 2.0)
        self._close_channels()
        self._process = None
        self._loop = None
