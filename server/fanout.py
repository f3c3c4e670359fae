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

Across processes (a province, docs/province.md): with ``--redis`` the server's client
manager is a :class:`ProvinceManager`, python-socketio's Redis manager. ``fan_out``
then writes to this process's sockets as above and publishes the event once on the
Redis channel; every other process receives it and runs the same local fan-out for
its own sockets (:meth:`ProvinceManager._handle_emit`), so the fast path is kept on
both sides. ``sio.emit`` goes the same way. The same channel carries short messages
between the servers themselves (:meth:`ProvinceManager.tell`), which no client sees.

Publishing never holds up the command that caused it: messages are put on one ordered
outbox, and one task sends whatever has gathered there in one Redis pipeline (one round
trip for the staff view, the public view and the note to the servers of a command), in
the order they were put. What another server says is heard on a worker of its own, so a
slow hearer (one that reads the database) never delays the events for this process's
sockets behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable
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
    """Send one event to every client of ``room`` in namespace "/" (same packets as ``emit``),
    in this process and, with a :class:`ProvinceManager`, in the other processes too.

    ``data`` is JSON types only (no bytes): socket.io's scan of the whole payload for
    binary attachments is skipped, which for a staff view with its history was a
    millisecond per broadcast.
    """
    done = await fan_out_here(sio, event, data, room)
    manager = sio.manager
    if isinstance(manager, ProvinceManager):
        await manager.relay(event, data, room)
    return done


async def fan_out_here(sio: socketio.AsyncServer, event: str, data: Any, room: str) -> FanOut:
    """:func:`fan_out` to this process's sockets only."""
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


# ---- across processes ---------------------------------------------------------------------

SERVERS = "doithoai:servers"  # the room of messages between servers; no client is in it
log = logging.getLogger(__name__)
Hearer = Callable[[str, Any], Awaitable[None]]


class ProvinceManager(socketio.AsyncRedisManager):
    """python-socketio's Redis client manager whose local delivery is :func:`fan_out_here`.

    An event emitted in any process is published once on the channel; each process,
    the sender included, writes it to its own sockets with the shared frame. Emits with
    an acknowledgement callback, ``skip_sid`` or binary data keep the library's path.
    """

    PUBLISH_TIMEOUT = 2.0  # a Redis that does not answer must not hold up a command's ack
    OUTBOX_MAX = 10_000  # messages waiting for Redis beyond this are dropped (Redis away)
    BATCH_MAX = 256  # messages sent in one pipeline

    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel, redis_options={"socket_connect_timeout": 2})
        self.hearers: list[Hearer] = []  # what this server does with another's `tell`
        self._outbox: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[bool]]] | None = None
        self._sender: asyncio.Task | None = None
        self._heard: asyncio.Queue[tuple[str, Any]] | None = None
        self._hearing: asyncio.Task | None = None
        self._publisher: Any = None  # a Redis client of its own (the listener has another)
        self._last: asyncio.Future[bool] | None = None  # the last message put on the outbox

    # ---- sending: one ordered outbox, sent in pipelines --------------------------------

    def post(self, message: dict[str, Any]) -> asyncio.Future[bool]:
        """Put ``message`` on the outbox; the future says (True) once Redis has it, or
        (False) that it could not be sent. Messages leave in the order they were put."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        if self._outbox is None:
            self._outbox = asyncio.Queue()
        if self._outbox.qsize() >= self.OUTBOX_MAX:
            log.error("Redis outbox full: %r for %s dropped", message.get("event"),
                      message.get("room"))
            done.set_result(False)
            return done
        self._outbox.put_nowait((message, done))
        self._last = done
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send_loop())
        return done

    async def _send_loop(self) -> None:
        assert self._outbox is not None
        outbox = self._outbox
        while True:
            batch = [await outbox.get()]
            while not outbox.empty() and len(batch) < self.BATCH_MAX:
                batch.append(outbox.get_nowait())
            ok = await self._send(m for m, _ in batch)
            for _, done in batch:
                if not done.done():
                    done.set_result(ok)

    async def _send(self, messages: Any) -> bool:
        n = 0
        try:
            if self._publisher is None:
                module = self._get_redis_module()
                self._publisher = module.Redis.from_url(self.redis_url, **self.redis_options)
            pipe = self._publisher.pipeline(transaction=False)
            for m in messages:
                pipe.publish(self.channel, self.json.dumps(m))
                n += 1
            await asyncio.wait_for(pipe.execute(), self.PUBLISH_TIMEOUT)
            return True
        except Exception as exc:  # noqa: BLE001 - Redis away: logged, the process goes on
            log.error("Redis did not take %d message(s) within %.0f s (%s): the other "
                      "processes miss them", n, self.PUBLISH_TIMEOUT, exc)
            return False

    async def _publish(self, data: dict[str, Any]) -> None:
        """The library's own messages (emit, rooms, callbacks) go through the outbox too,
        so they keep their order with ours; it waits for them as the library did."""
        await self.post(data)

    async def relay(self, event: str, data: Any, room: str) -> None:
        """Publish an event this process has already fanned out to its own sockets (put on
        the outbox: the caller does not wait for Redis)."""
        self.post({"method": "emit", "event": event, "data": [data], "binary": False,
                   "namespace": "/", "room": room, "skip_sid": None, "callback": None,
                   "host_id": self.host_id})

    async def tell(self, kind: str, data: Any, wait: bool = False) -> bool:
        """A message to the other server processes (not to clients). With ``wait``,
        returns once Redis has taken it (True) or could not (False)."""
        done = self.post_tell(kind, data)
        return await done if wait else True

    def post_tell(self, kind: str, data: Any) -> asyncio.Future[bool]:
        """:meth:`tell` from code that cannot wait (a callback): put on the outbox."""
        return self.post({"method": "emit", "event": kind, "data": [data], "binary": False,
                          "namespace": "/", "room": SERVERS, "skip_sid": None,
                          "callback": None, "host_id": self.host_id})

    # ---- receiving ----------------------------------------------------------------------

    def _hear_later(self, kind: str, data: Any) -> None:
        if self._heard is None:
            self._heard = asyncio.Queue()
        self._heard.put_nowait((kind, data))
        if self._hearing is None or self._hearing.done():
            self._hearing = asyncio.get_running_loop().create_task(self._hear_loop())

    async def _hear_loop(self) -> None:
        assert self._heard is not None
        while True:
            kind, data = await self._heard.get()
            for hear in self.hearers:
                try:
                    await hear(kind, data)
                except Exception:
                    log.exception("message %r from another server failed", kind)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        data, room = message.get("data"), message.get("room")
        simple = (message.get("callback") is None and not message.get("binary")
                  and message.get("skip_sid") is None and message.get("namespace") in (None, "/")
                  and isinstance(room, str) and isinstance(data, list) and len(data) == 1
                  and data[0] is not None)
        if not simple:
            await super()._handle_emit(message)
            return
        if room == SERVERS:
            if message.get("host_id") != self.host_id:
                self._hear_later(message["event"], data[0])
            return
        await fan_out_here(self.server, message["event"], data[0], room)

    async def subscribed(self, timeout: float = 10.0) -> bool:
        """Start listening now (not at the first client) and wait until subscribed, so no
        message published after start-up is missed."""
        if not self.server.manager_initialized:
            self.server.manager_initialized = True
            self.initialize()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            pubsub = self.pubsub
            if pubsub is not None and pubsub.subscribed:
                return True
            await asyncio.sleep(0.02)
        return False

    async def close(self) -> None:
        if self._last is not None and self._sender is not None and not self._sender.done():
            with contextlib.suppress(Exception):  # what is already on the outbox still goes
                await asyncio.wait_for(asyncio.shield(self._last), self.PUBLISH_TIMEOUT)
        for task in (getattr(self, "thread", None), self._sender, self._hearing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        for client in (self.redis, self._publisher):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
