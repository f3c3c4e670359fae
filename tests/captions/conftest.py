"""Fixtures of the live captions' tests: the real server whose microphone plays the shared
real voices (never committed: they are read from ../shared/testdata/speech-vi), a logged-in
client, socket.io clients (staff and an anonymous follower of the public link)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from sqlalchemy import select

from server.app import Config, create_app
from server.keys import SESSIONMAKER
from tests.asr.conftest import SPEECH_DIR, Clip, LongAudio, join_with_pauses, load_clips
from tests.conftest import ADMIN_PASSWORD, ApiClient, free_port
from tests.server.test_queue_realtime import session_cookie
from tests.server.test_record_api import CONF

# three voices, a pause between them long enough to end a sentence (and a short lead-in)
VOICES = ("tuyen.wav", "doan.wav", "vinh.wav")


@pytest.fixture(scope="session")
def hall_voices(tmp_path_factory: pytest.TempPathFactory) -> LongAudio:
    if not (SPEECH_DIR / "transcripts.tsv").is_file():
        pytest.fail(f"real Vietnamese speech not found at {SPEECH_DIR}: put a copy of shared/ "
                    "beside the repository (see docs/asr.md)")
    clips: dict[str, Clip] = {c.path.name: c for c in load_clips(SPEECH_DIR)}
    workdir = tmp_path_factory.mktemp("hall")
    return join_with_pauses([clips[v] for v in VOICES], workdir / "hall.wav", [1.2], workdir)


async def start_server(data_dir: Path, audio: Path, db_url: str | None = None
                       ) -> tuple[str, web.Application, web.AppRunner]:
    app = create_app(Config(data_dir=data_dir, db_url=db_url, audio_source=f"file:{audio}"))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with app[SESSIONMAKER]() as db, db.begin():
        from server.auth import hash_password
        from server.db.models import User

        admin = (await db.execute(select(User).where(User.username == "admin"))).scalar_one()
        admin.password_hash = hash_password(ADMIN_PASSWORD)
    return f"http://127.0.0.1:{port}", app, runner


@pytest.fixture
async def hall(tmp_path: Path, hall_voices: LongAudio) -> AsyncIterator[tuple[str, web.Application]]:
    """The real server (SQLite) whose microphone plays the real voices in a loop."""
    base, app, runner = await start_server(tmp_path / "data", hall_voices.path)
    try:
        yield base, app
    finally:
        await runner.cleanup()


def cmd(kind: str, base_version: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "command_id": uuid.uuid4().hex, "base_version": base_version, **kw}


@dataclass
class Hall:
    """A conference with one registered speaker, driven over the real HTTP API."""

    c: ApiClient
    cid: int
    slug: str
    turn: str

    async def queue(self, kind: str, **kw: Any) -> None:
        q = await self.c.ok("GET", f"/api/conferences/{self.cid}/queue")
        await self.c.ok("POST", f"/api/conferences/{self.cid}/queue/commands",
                        cmd(kind, q["version"], **kw))

    async def register(self, name: str = "Nguyễn Văn Ấn") -> str:
        q = await self.c.ok("GET", f"/api/conferences/{self.cid}/queue")
        command = cmd("register_turn", q["version"], display_name=name, hamlet="Thôn 3")
        await self.c.ok("POST", f"/api/conferences/{self.cid}/queue/commands", command)
        return command["command_id"]

    async def start(self, turn: str | None = None) -> None:
        turn = turn or self.turn
        await self.queue("call_turn", turn_id=turn, reason="theo thứ tự")
        await self.queue("start", turn_id=turn)

    async def end(self, turn: str | None = None) -> None:
        await self.queue("end", turn_id=turn or self.turn)

    async def on_air(self, on: bool = True) -> None:
        await self.c.ok("POST", "/api/broadcast/on-air", {"on_air": on})


async def open_hall(c: ApiClient) -> Hall:
    conf = await c.ok("POST", "/api/conferences", CONF, status=201)
    reg = await c.ok("GET", f"/api/conferences/{conf['id']}/registration")
    slug = reg["url"].rsplit("/", 1)[1]
    hall = Hall(c, conf["id"], slug, "")
    hall.turn = await hall.register()
    return hall


@dataclass
class Listener:
    """A real socket.io client that keeps every captions event it hears."""

    sio: socketio.AsyncClient
    lines: list[dict[str, Any]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    joined: dict[str, Any] = field(default_factory=dict)

    def finals(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["final"]]


async def listen(base: str, cid: int, *, cookie: str | None = None, follow: str | None = None
                 ) -> Listener:
    sio = socketio.AsyncClient(reconnection=False)
    who = Listener(sio)
    sio.on("captions:line", lambda d: who.lines.append({**d, "heard_at": time.monotonic()}))
    sio.on("captions:state", lambda d: who.states.append({**d, "heard_at": time.monotonic()}))
    kw: dict[str, Any] = {"transports": ["websocket"]}
    if cookie:
        kw["headers"] = {"Cookie": cookie}
    if follow is not None:
        kw["auth"] = {"follow": follow}
    await sio.connect(base, **kw)
    who.joined = await sio.call("join", {"conference_id": cid})
    return who


async def staff_listener(base: str, c: ApiClient, cid: int) -> Listener:
    return await listen(base, cid, cookie=session_cookie(c))


async def wait_for(check: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(step)
    return check()


@pytest.fixture
async def admin(hall: tuple[str, web.Application]) -> AsyncIterator[ApiClient]:
    base, _ = hall
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = ApiClient(base, http)
        await c.login("admin", ADMIN_PASSWORD)
        yield c
