"""One event to many clients: a shared websocket frame, order kept, real sockets."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from server import fanout
from tests.conftest import free_port


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_text_frame_header_follows_rfc6455(size: int) -> None:
    payload = b"x" * size
    frame = fanout.text_frame(payload)
    assert frame[0] == 0x81  # FIN, text
    assert frame[1] & 0x80 == 0  # a server does not mask
    if size < 126:
        assert frame[1] == size and frame[2:] == payload
    elif size < 65536:
        assert frame[1] == 126 and struct.unpack("!H", frame[2:4])[0] == size
        assert frame[4:] == payload
    else:
        assert frame[1] == 127 and struct.unpack("!Q", frame[2:10])[0] == size
        assert frame[10:] == payload


@pytest.fixture
async def sio_server() -> AsyncIterator[tuple[str, socketio.AsyncServer]]:
    """A bare socket.io server with the direct fan-out, on a loopback port."""
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=5, ping_timeout=5)
    fanout.install(sio)
    app = web.Application()
    sio.attach(app)

    @sio.on("join")
    async def join(sid: str, room: str) -> bool:
        await sio.enter_room(sid, room)
        return True

    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", sio
    finally:
        await runner.cleanup()


class Listener:
    def __init__(self, transports: list[str]) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.transports = transports
        self.got: list[Any] = []
        self.count = asyncio.Event()
        self.sio.on("seq", self._on)

    async def _on(self, data: Any) -> None:
        self.got.append(data)
        self.count.set()

    async def join(self, base: str, room: str) -> None:
        await self.sio.connect(base, transports=self.transports, wait_timeout=5)
        assert await self.sio.call("join", room, timeout=5)

    async def wait_for(self, n: int) -> None:
        async def loop() -> None:
            while len(self.got) < n:
                self.count.clear()
                await self.count.wait()

        await asyncio.wait_for(loop(), 10)


async def test_websocket_clients_get_the_shared_frame_and_polling_clients_the_queue(sio_server):
    base, sio = sio_server
    ws_clients = [Listener(["websocket"]) for _ in range(20)]
    polling = Listener(["polling"])
    for c in [*ws_clients, polling]:
        await c.join(base, "hall")
    data = {"version": 7, "next": ["Nguyễn Văn A", "Trần Thị Bích"], "big": "đ" * 40_000}
    result = await fanout.fan_out(sio, "seq", data, "hall")
    assert (result.direct, result.queued) == (20, 1)
    for c in [*ws_clients, polling]:
        await c.wait_for(1)
        assert c.got == [data]
    other = await fanout.fan_out(sio, "seq", 1, "nobody-here")
    assert other.sent == 0
    for c in ws_clients:
        await c.sio.disconnect()
    await polling.sio.eio.disconnect(abort=True)  # a polite one waits out the long poll


async def test_order_is_kept_when_queued_and_direct_packets_mix(sio_server):
    """emit() queues on the socket; fan_out writes directly only when nothing waits before it."""
    base, sio = sio_server
    listener = Listener(["websocket"])
    await listener.join(base, "hall")
    [(sid, _)] = list(sio.manager.get_participants("/", "hall"))
    total, direct = 400, 0
    for n in range(total):
        if n % 3 == 0:
            await sio.emit("seq", n, to=sid)  # through the engine.io queue and writer
        else:
            direct += (await fanout.fan_out(sio, "seq", n, "hall")).direct
        if n % 50 == 0:
            await asyncio.sleep(0)  # let the writer run now and then
    await listener.wait_for(total)
    assert listener.got == list(range(total))
    assert 0 < direct < total  # both paths were taken
    await listener.sio.disconnect()


async def test_compression_is_not_negotiated_so_one_frame_fits_all(sio_server):
    """A browser offers permessage-deflate; the server answers without it."""
    base, sio = sio_server
    url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
        assert ws.compress == 0
        assert (await ws.receive()).data.startswith("0")  # engine.io open
        await ws.send_str("40")
        assert (await ws.receive()).data.startswith("40")
        await ws.send_str("420" + json.dumps(["join", "hall"]))
        assert (await ws.receive()).data == "430[true]"
        result = await fanout.fan_out(sio, "seq", {"tên": "Lê Thị Hoà"}, "hall")
        assert result.direct == 1
        assert json.loads((await ws.receive()).data[2:]) == ["seq", {"tên": "Lê Thị Hoà"}]


async def test_a_closed_client_does_not_stop_the_others(sio_server):
    base, sio = sio_server
    a, b = Listener(["websocket"]), Listener(["websocket"])
    await a.join(base, "hall")
    await b.join(base, "hall")
    # a vanishes without a goodbye: its transport closes under the server
    [(sid_a, eio_a)] = [p for p in sio.manager.get_participants("/", "hall")
                        if p[0] == (a.sio.get_sid("/"))]
    sio.eio.sockets[eio_a].direct_ws.transport.close()
    await asyncio.sleep(0.05)
    result = await fanout.fan_out(sio, "seq", 1, "hall")
    assert result.sent >= 1
    await b.wait_for(1)
    assert b.got == [1]
    await b.sio.disconnect()
    await a.sio.disconnect()
