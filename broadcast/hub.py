"""The server's own mounts (`/live.opus`, `/live.mp3`): fan-out of encoded audio to listeners.

A late joiner first gets the Ogg/Opus stream headers (OpusHead, OpusTags pages) then live
pages; MP3 listeners start on a frame boundary. Each listener's unsent bytes are bounded:
a listener that falls behind is dropped instead of slowing the others. Writes go straight to
each connection's transport (one call per page per listener, no task switch), which is what
lets one process serve about a thousand listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .containers import Mp3FrameSplitter, OggPageSplitter, OggSplicer

log = logging.getLogger(__name__)
DEFAULT_MAX_BUFFER = 32 * 1024  # unsent bytes kept in user space per listener (~5 s at 48 kbps)
DEFAULT_SNDBUF = 32 * 1024  # kernel send buffer per listener socket
READY_WAIT_S = 5.0


@dataclass(eq=False)
class Listener:
    transport: asyncio.Transport
    chunked: bool
    peer: str
    connected_at: float = field(default_factory=time.time)
    bytes_sent: int = 0
    done: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def finish(self, reason: str) -> None:
        if not self.done.done():
            self.done.set_result(reason)


@dataclass(eq=False)
class Sink:
    """An in-process subscriber (an output such as Icecast or RTP); returns False to leave."""

    name: str
    callback: Callable[[bytes], bool]


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


class Mount:
    def __init__(self, path: str, content_type: str, kind: str, *,
                 max_buffer_bytes: int = DEFAULT_MAX_BUFFER, sndbuf: int = DEFAULT_SNDBUF,
                 unavailable_reason: Callable[[], str | None] | None = None) -> None:
        if kind not in ("ogg", "mp3"):
            raise ValueError(f"unknown mount kind {kind!r}")
        self.path = path
        self.content_type = content_type
        self.kind = kind
        self.max_buffer_bytes = max_buffer_bytes
        self.sndbuf = sndbuf
        self.unavailable_reason = unavailable_reason
        self.ready_wait_s = READY_WAIT_S
        self.listeners: set[Listener] = set()
        self.sinks: list[Sink] = []
        self.peak_listeners = 0
        self.served_total = 0
        self.dropped_slow = 0
        self.units_published = 0
        self.last_unit_at: float | None = None
        self._ogg = OggPageSplitter() if kind == "ogg" else None
        self._splicer = OggSplicer() if kind == "ogg" else None
        self._mp3 = Mp3FrameSplitter() if kind == "mp3" else None
        self._ready = asyncio.Event()

    # -- input from the encoder ----------------------------------------------------------------
    @property
    def headers(self) -> list[bytes]:
        return list(self._splicer.headers) if self._splicer is not None else []

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    def feed(self, data: bytes) -> None:
        """Raw encoder output: split into pages/frames and publish each."""
        if self._ogg is not None and self._splicer is not None:
            for page in self._ogg.feed(data):
                out = self._splicer.push(page)
                if out is not None:
                    self._ready.set()
                    self.publish(out)
        elif self._mp3 is not None:
            for frame in self._mp3.feed(data):
                self._ready.set()
                self.publish(frame)

    def publish(self, unit: bytes) -> None:
        self.units_published += 1
        self.last_unit_at = time.time()
        chunked = _chunk(unit)
        limit = self.max_buffer_bytes
        gone: list[tuple[Listener, str]] = []
        for lst in self.listeners:
            tr = lst.transport
            if tr.is_closing():
                gone.append((lst, "closed"))
            elif tr.get_write_buffer_size() > limit:
                gone.append((lst, "slow"))
            else:
                tr.write(chunked if lst.chunked else unit)
                lst.bytes_sent += len(unit)
        for lst, reason in gone:
            self._remove(lst, reason)
        if self.sinks:
            for sink in list(self.sinks):
                try:
                    keep = sink.callback(unit)
                except Exception:
                    log.exception("sink %s failed", sink.name)
                    keep = False
                if not keep:
                    self.remove_sink(sink)

    def _remove(self, lst: Listener, reason: str) -> None:
        self.listeners.discard(lst)
        if reason == "slow":
            self.dropped_slow += 1
            lst.transport.abort()
        lst.finish(reason)

    # -- in-process subscribers ----------------------------------------------------------------
    def add_sink(self, name: str, callback: Callable[[bytes], bool]) -> Sink:
        """Subscribe; the callback gets the headers first (Ogg), then every live unit."""
        sink = Sink(name, callback)
        for page in self.headers:
            callback(page)
        self.sinks.append(sink)
        return sink

    def remove_sink(self, sink: Sink) -> None:
        with contextlib.suppress(ValueError):
            self.sinks.remove(sink)

    # -- HTTP ----------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self.ready_wait_s)
        if not self._ready.is_set():
            reason = (self.unavailable_reason() if self.unavailable_reason else None) or \
                "Chưa có tín hiệu âm thanh trực tiếp"
            return web.json_response({"error": "no_live_audio", "message": reason}, status=503,
                                     headers={"Retry-After": "2"})
        resp = web.StreamResponse(headers={
            "Content-Type": self.content_type,
            "Cache-Control": "no-cache, no-store",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
        })
        if request.method == "HEAD":
            await resp.prepare(request)
            return resp
        await resp.prepare(request)
        transport = request.transport
        if transport is None or transport.is_closing():
            return resp
        sock = transport.get_extra_info("socket")
        if sock is not None and self.sndbuf:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        chunked = request.version >= (1, 1)
        lst = Listener(transport, chunked, request.remote or "?")
        for page in self.headers:
            transport.write(_chunk(page) if chunked else page)
        self.listeners.add(lst)
        self.served_total += 1
        self.peak_listeners = max(self.peak_listeners, len(self.listeners))
        try:
            await lst.done
        finally:
            self.listeners.discard(lst)
            lst.finish("handler ended")
        # The connection is finished (dropped or gone): never reuse it for another request.
        transport.abort()
        raise asyncio.CancelledError  # aiohttp closes the handler quietly on a closed transport

    def close_all(self) -> None:
        for lst in list(self.listeners):
            self._remove(lst, "server stopping")
            lst.transport.close()

    def status(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "listeners": len(self.listeners),
            "outputs": len(self.sinks),
            "peak_listeners": self.peak_listeners,
            "served_total": self.served_total,
            "dropped_slow": self.dropped_slow,
            "ready": self.ready,
            "last_audio_at": self.last_unit_at,
        }
