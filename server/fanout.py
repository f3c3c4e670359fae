"""One socket.io event to every client of a room: encoded once, written once per socket.

Every broadcast of the server goes through :func:`fan_out`: queue states, broadcast
status, transcripts and answers.

``sio.emit(event, data, room=...)`` encodes the packet once but then, per
client, puts it on python-engineio's per-socket queue and wakes that
socket's writer task, which builds a websocket frame and writes it. With a
thousand public screens or phones that is most of a broadcast's cost.

Here the websocket frame is built once, and for every socket whose writer is
idle (nothing queued, nothing in hand) the same bytes are written straight
to its transport. Order is kept: a socket with anything pending gets the
packet through its queue, behind what is already there. Sockets still on
long-polling, being upgraded, closing, or far behind (a large write buffer)
also go through the queue, which is what ``emit`` does for everyone.

For the shared frame to be valid on every socket, websocket compression is
off: :func:`install` replaces engine.io's aiohttp websocket driver by one
that opens uncompressed websockets and tells its engine.io socket about
itself. The messages are a few kilobytes of JSON on a local network.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from socketio import packet as sio_packet

# A socket with more than this waiting in its transport's buffer is behind:
# its packets wait in its engine.io queue (whose writer waits for the buffer
# to drain) instead of piling up in the transport.
MAX_BUFFERED = 256 * 1024
OPCODE_TEXT = 0x1
FIN = 0x80


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final websocket text frame (RFC 6455, section 5.2), as a server sends."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", FIN | OPCODE_TEXT, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", FIN | OPCODE_TEXT, 126, n)
    else:
        header = struct.pack("!BBQ", FIN | OPCODE_TEXT, 127, n)
    return header + payload


class DirectWebSocket(eio_aiohttp.WebSocket):
    """engine.io's aiohttp websocket, uncompressed, reachable from its engine.io socket.

    While the connection lasts, the engine.io socket (the object whose
    ``_websocket_handler`` runs it) carries it as ``direct_ws``.
    """

    transport: asyncio.Transport | None = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size,
                                           compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        self.transport = request.transport
        socket = getattr(self.handler, "__self__", None)
        if socket is not None:
            socket.direct_ws = self
        try:
            await self.handler(self)
        finally:
            if socket is not None and getattr(socket, "direct_ws", None) is self:
                socket.direct_ws = None
            self.transport = None
        return self._sock


def install(sio: socketio.AsyncServer) -> None:
    """Make the server's websockets :class:`DirectWebSocket` (before any client connects)."""
    sio.eio._async = {**sio.eio._async, "websocket": DirectWebSocket}


def _writer_idle(queue: asyncio.Queue) -> bool:
    """True when the socket's writer waits on an empty queue, holding no packet.

    After a put, the waiting getter is woken but the packet stays in the queue
    until the writer runs; once taken, the writer is no longer among the
    getters until it has written it. Either way this is False.
    """
    if not queue.empty():
        return False
    getters = getattr(queue, "_getters", None)
    return bool(getters) and any(not g.done() for g in getters)


def write_direct(socket: Any, frame: bytes) -> bool:
    """Write ``frame`` to an engine.io socket's websocket now, if order allows; True if done."""
    ws = getattr(socket, "direct_ws", None)
    if ws is None or not socket.upgraded or socket.upgrading or socket.closing or socket.closed:
        return False
    transport = ws.transport
    if transport is None or transport.is_closing():
        return False
    if transport.get_write_buffer_size() > MAX_BUFFERED or not _writer_idle(socket.queue):
        return False
    transport.write(frame)
    return True


@dataclass(frozen=True)
class FanOut:
    direct: int  # written straight to the websocket
    queued: int  # put on the socket's engine.io queue

    @property
    def sent(self) -> int:
        return self.direct + self.queued


async def fan_out(sio: socketio.AsyncServer, event: str, data: Any, room: str) -> FanOut:
    """Send one event to every client of ``room`` in namespace "/" (same packets as ``emit``).

    ``data`` is JSON types only (no bytes): socket.io's scan of the whole payload for
    binary attachments is skipped, which for a staff view with its history was a
    millisecond per broadcast.
    """
    encoded = sio.packet_class(sio_packet.EVENT, namespace="/", data=[event, data],
                               binary=False).encode()
    pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    frame = text_frame(pkt.encode().encode("utf-8"))
    direct = queued = 0
    sockets = sio.eio.sockets
    for _sid, eio_sid in list(sio.manager.get_participants("/", room)):
        socket = sockets.get(eio_sid)
        if socket is not None and write_direct(socket, frame):
            direct += 1
        else:
            await sio.eio.send_packet(eio_sid, pkt)
            queued += 1
    return FanOut(direct, queued)
