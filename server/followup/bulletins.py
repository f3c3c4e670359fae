"""Broadcast bulletins (Decree 49/2024/NĐ-CP: the commune radio carries the authorities'
answers to citizens): a recorded reading of the answers, uploaded (or taken from a recorded
turn), scheduled, and played through the live broadcast (every output, mount and relay) by a
scheduler that survives a restart because the schedule is in the database.

Files live under DATA/bulletins/conference-<id>/; each row keeps the file's SHA-256.
``setup_bulletins(app)`` attaches the API and the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Float, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from server.api.errors import from_validation
from server.api.registry import Api, Call, read_json, request_schema
from server.api.schemas import Input, Line, LocalDateTime
from server.commands import audit, scope
from server.db.models import Base, utcnow
from server.domain import limits
from server.domain.errors import (
    BadRequest,
    DomainError,
    Invalid,
    TooLarge,
    Unsupported,
)
from server.events import BulletinsChanged
from server.fanout import fan_out
from server.keys import (
    APIS,
    BROADCAST,
    BULLETIN_SCHEDULER,
    CONFIG,
    EXECUTOR,
    OPENAPI_EXTRA,
    SIO,
)

log = logging.getLogger(__name__)
api = Api()
TAG = "bulletins"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DURATION_S = 3 * 3600
MIN_DURATION_S = 0.3
PAST_TOLERANCE = timedelta(minutes=1)  # a play_at this much in the past is still accepted
LATE_LIMIT = timedelta(hours=1)  # a bulletin overdue by more (server was down) is not played
FAR_FUTURE = timedelta(days=366)
STATUSES = ("scheduled", "playing", "played", "failed", "cancelled")
AUDIO_EXT = re.compile(r"^\.[a-z0-9]{1,5}$")


class Bulletin(Base):
    __tablename__ = "bulletin"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    title: Mapped[str] = mapped_column(String(limits.BULLETIN_TITLE))
    audio_path: Mapped[str] = mapped_column(String(limits.FILE_PATH))  # relative to the data folder
    original_name: Mapped[str] = mapped_column(String(limits.FILE_NAME), default="")
    sha256: Mapped[str] = mapped_column(String(limits.SHA256_HEX))
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recording.id"))
    play_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(limits.CODE), default="scheduled", index=True)
    played_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(limits.ERROR))
    created_by: Mapped[str] = mapped_column(String(limits.ACTOR), default="")  # an actor's label
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- pure rules ---------------------------------------------------------------------------


def check_play_at(play_at: datetime, now: datetime) -> str | None:
    """Why this play time is refused (Vietnamese), or None when it is acceptable."""
    if play_at < now - PAST_TOLERANCE:
        return "Giờ phát đã qua hơn 1 phút; hãy chọn giờ phát trong tương lai."
    if play_at > now + FAR_FUTURE:
        return "Giờ phát quá xa (quá một năm)."
    return None


def due_action(play_at: datetime, now: datetime) -> Literal["wait", "play", "expire"]:
    """What the scheduler does with the earliest scheduled bulletin."""
    if play_at > now:
        return "wait"
    if now - play_at > LATE_LIMIT:
        return "expire"
    return "play"


def final_status(result_state: str, row_status: str) -> str | None:
    """The row's status after playback (None: leave it, e.g. cancelled meanwhile)."""
    if row_status != "playing":
        return None
    return {"played": "played", "stopped": "cancelled"}.get(result_state, "failed")


def audio_check(probe: dict[str, Any]) -> tuple[float | None, str | None]:
    """(duration, None) when ffprobe's JSON shows real audio, else (None, reason)."""
    streams = [s for s in probe.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        return None, "Tệp không có âm thanh (không phải tệp âm thanh)."
    try:
        duration = float(probe.get("format", {}).get("duration") or streams[0].get("duration"))
    except (TypeError, ValueError):
        return None, "Không xác định được độ dài của tệp âm thanh."
    if duration < MIN_DURATION_S:
        return None, "Tệp âm thanh quá ngắn."
    if duration > MAX_DURATION_S:
        return None, "Tệp âm thanh dài quá 3 giờ."
    return duration, None


# ---- shapes -------------------------------------------------------------------------------


class BulletinOut(BaseModel):
    id: int
    conference_id: int
    title: str
    original_name: str
    sha256: str
    duration_s: float
    recording_id: int | None
    play_at: datetime
    status: str
    played_at: datetime | None
    error: str | None
    created_by: str
    created_at: datetime


class FromRecordingIn(Input):
    recording_id: int = Field(ge=1)
    title: Line(limits.BULLETIN_TITLE, 1)  # type: ignore[valid-type]
    play_at: LocalDateTime | None = None


class UploadFields(Input):
    title: Line(limits.BULLETIN_TITLE, 1)  # type: ignore[valid-type]
    play_at: LocalDateTime | None = None


def bulletin_out(b: Bulletin) -> BulletinOut:
    return BulletinOut(id=b.id, conference_id=b.conference_id, title=b.title,
                       original_name=b.original_name, sha256=b.sha256, duration_s=b.duration_s,
                       recording_id=b.recording_id, play_at=b.play_at, status=b.status,
                       played_at=b.played_at, error=b.error, created_by=b.created_by,
                       created_at=b.created_at)


# ---- files --------------------------------------------------------------------------------


def incoming_file(data_dir: Path) -> Path:
    """Where a file being received (or copied) waits until it is checked and moved."""
    folder = Path(data_dir) / "bulletins" / ".incoming"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex}.part"


async def probe_audio(path: Path) -> tuple[float | None, str | None]:
    """ffprobe says it is audio, and ffmpeg decodes its first seconds without error."""
    proc = await asyncio.create_subprocess_exec(
        "ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration:format=duration",
        "-of", "json", str(path), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    try:
        probe = json.loads(out or b"{}") if proc.returncode == 0 else {}
    except json.JSONDecodeError:
        probe = {}
    duration, reason = audio_check(probe)
    if reason:
        return None, reason
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-t", "5", "-i", str(path), "-vn",
        "-f", "null", "-", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return None, f"Không giải mã được âm thanh trong tệp: {detail[0]}"
    return duration, None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def audio_extension(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    return ext if AUDIO_EXT.match(ext) else ".audio"


async def _receive_upload(request: web.Request, incoming: Path) -> tuple[dict[str, str], Path, str]:
    """Stream the multipart form: text fields and the one file (to `incoming`, at most 50 MB)."""
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES + 65536:
        raise TooLarge("file_too_large", "Tệp quá lớn: tối đa 50 MB.")
    try:
        return await _read_upload(request, incoming)
    except DomainError:
        raise
    except (AssertionError, ValueError, LookupError, HttpProcessingError):
        # a missing or wrong boundary, a broken part header, a body cut short
        raise BadRequest("bad_form", "Biểu mẫu tải lên không đọc được (dữ liệu multipart bị "
                                     "hỏng hoặc không đầy đủ); vui lòng gửi lại.") from None


async def _read_upload(request: web.Request, incoming: Path) -> tuple[dict[str, str], Path, str]:
    reader = await request.multipart()
    fields: dict[str, str] = {}
    filename = ""
    got_file = False
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise BadRequest("bad_form", "Biểu mẫu tải lên không được chứa multipart lồng nhau.")
        if not part.name:
            raise BadRequest("bad_form", "Một phần của biểu mẫu tải lên thiếu tên "
                                         "(Content-Disposition: form-data; name=...).")
        if part.filename is not None and part.name == "file":
            if got_file:
                raise BadRequest("bad_form", "Chỉ tải lên một tệp mỗi lần.")
            if "\x00" in part.filename:
                raise BadRequest("bad_form", "Tên tệp chứa ký tự NUL (\\u0000), không được phép.")
            got_file, filename = True, part.filename
            size = 0
            with open(incoming, "wb") as fh:
                while chunk := await part.read_chunk(1 << 16):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        fh.close()
                        with contextlib.suppress(Exception):
                            while await request.content.readany():  # let the client finish
                                pass
                        raise TooLarge("file_too_large", "Tệp quá lớn: tối đa 50 MB.")
                    fh.write(chunk)
        elif part.name in ("title", "play_at"):
            raw = await part.read(decode=True)
            if len(raw) > 2000:
                raise BadRequest("bad_form", f"Trường {part.name} quá dài.")
            fields[part.name] = raw.decode("utf-8", "replace")
            if "\x00" in fields[part.name]:
                raise BadRequest("bad_form", f"Trường {part.name} chứa ký tự NUL (\\u0000), "
                                             "không được phép.")
        else:
            await part.release()
    if not got_file:
        raise Invalid("file_missing", "Chưa chọn tệp âm thanh.",
                       [{"field": "file", "message": "Chưa chọn tệp âm thanh."}])
    return fields, incoming, filename


def _validated(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The fields sent (an empty one counts as left out), once ``model`` accepts them."""
    sent = {k: v for k, v in data.items() if v not in ("", None)}
    try:
        model.model_validate(sent)
    except ValidationError as exc:
        raise from_validation(exc) from None
    return sent


# ---- API ----------------------------------------------------------------------------------
# The actions (server/actions/bulletins/) use this module's table: they are imported when
# a request runs, not when this module loads.


@api.route("POST", "/api/conferences/{id}/bulletins", tag=TAG, status=201, response=BulletinOut,
           permission="control_broadcast", transaction=False,
           summary="Schedule a broadcast bulletin: upload an audio file (multipart) or reuse a recorded turn")
async def create_bulletin(call: Call) -> BulletinOut:
    from server.actions.bulletins.create import CreateBulletin, Received

    cid = call.path_int("id")
    if call.request.content_type == "multipart/form-data":
        tmp = incoming_file(call.app[CONFIG].data_dir)
        try:
            fields, _, original = await _receive_upload(call.request, tmp)
            return await call.run(CreateBulletin(Received(tmp, original)),
                                  {**_validated(UploadFields, fields), "conference_id": cid})
        finally:
            tmp.unlink(missing_ok=True)
    if call.request.content_type == "application/json":
        body = await read_json(call.request)
        sent = _validated(FromRecordingIn, body if isinstance(body, dict) else {})
        return await call.run(CreateBulletin(), {**sent, "conference_id": cid})
    raise Unsupported("unsupported_media_type",
                      "Gửi tệp bằng multipart/form-data, hoặc JSON {recording_id, title, play_at}.")


@api.route("GET", "/api/conferences/{id}/bulletins", tag=TAG, response=[BulletinOut],
           summary="Broadcast bulletins of a conference (scheduled first, then by time)")
async def list_bulletins(call: Call) -> list[BulletinOut]:
    conf = await scope.conference(call.db, call.user, call.path_int("id"))
    rows = (await call.db.execute(select(Bulletin).where(Bulletin.conference_id == conf.id)
                                  .order_by(Bulletin.play_at.desc(), Bulletin.id.desc()))).scalars()
    return [bulletin_out(b) for b in rows]


@api.route("DELETE", "/api/conferences/{id}/bulletins/{bid}", tag=TAG, response=BulletinOut,
           permission="control_broadcast", transaction=False,
           summary="Cancel a bulletin (stops it if it is playing)")
async def cancel_bulletin(call: Call) -> BulletinOut:
    from server.actions.bulletins.cancel import CancelBulletin

    return await call.run(CancelBulletin(), {"conference_id": call.path_int("id"),
                                             "bulletin_id": call.path_int("bid")})


@api.route("POST", "/api/conferences/{id}/bulletins/{bid}/play-now", tag=TAG, response=BulletinOut,
           permission="control_broadcast", transaction=False,
           summary="Play a bulletin now (after the one playing, if any); also replays a finished one")
async def play_now(call: Call) -> BulletinOut:
    from server.actions.bulletins.play_now import PlayBulletinNow

    return await call.run(PlayBulletinNow(), {"conference_id": call.path_int("id"),
                                              "bulletin_id": call.path_int("bid")})


async def on_bulletins_changed(app: web.Application, event: BulletinsChanged) -> None:
    """Listener: the scheduler looks again, and the tablets showing bulletins reload them
    (pushed, so no page polls)."""
    sched: BulletinScheduler | None = app.get(BULLETIN_SCHEDULER)
    if sched is not None:
        sched.wake.set()
    room = f"staff:{event.conference_id}" if event.conference_id else "staff"
    await fan_out(app[SIO], "bulletins:changed", {"conference_id": event.conference_id}, room)


# ---- scheduler ----------------------------------------------------------------------------


class BulletinScheduler:
    """Plays due bulletins one after another, in play_at order, through the broadcast."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.wake = asyncio.Event()
        self.playing_id: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def running(self, app: web.Application) -> AsyncIterator[None]:
        """Background job (cleanup_ctx): plays bulletins from start-up to shutdown."""
        await self.start(app)
        yield
        await self.stop(app)

    async def start(self, _app: web.Application) -> None:
        await self.recover()
        self._task = asyncio.create_task(self.run(), name="bulletin-scheduler")

    async def stop(self, _app: web.Application) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def recover(self) -> None:
        """A bulletin left 'playing' by a server that stopped mid-way is marked failed."""
        async with self.app[EXECUTOR].unit() as unit:
            db = unit.db
            rows = (await db.execute(select(Bulletin).where(Bulletin.status == "playing"))).scalars()
            for b in rows:
                b.status, b.error = "failed", "Máy chủ dừng khi bản tin đang phát."
                audit.record(db, "system", "bulletin.failed", "bulletin", b.id,
                             after={"error": b.error}, commune_id=b.commune_id)

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bulletin scheduler step failed")
                await self._sleep(2.0)

    async def _sleep(self, seconds: float) -> None:
        """Wait, unless woken (a bulletin was added, cancelled or moved) since the step began."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), max(0.01, seconds))

    async def step(self) -> None:
        self.wake.clear()
        async with self.app[EXECUTOR].reading() as db:
            b = (await db.execute(select(Bulletin).where(Bulletin.status == "scheduled")
                                  .order_by(Bulletin.play_at, Bulletin.id).limit(1))).scalar_one_or_none()
        if b is None:
            await self._sleep(30.0)
            return
        now = datetime.now(UTC)
        action = due_action(b.play_at, now)
        if action == "wait":
            await self._sleep(min(30.0, (b.play_at - now).total_seconds()))
            return
        if action == "expire":
            await self._finish(b.id, "scheduled", "failed", None,
                               "Quá giờ phát hơn 60 phút (máy chủ không chạy lúc đó); bấm “Phát ngay” để phát.")
            return
        svc = self.app.get(BROADCAST)
        if svc is None:
            await self._sleep(2.0)
            return
        async with self.app[EXECUTOR].unit() as unit:
            res = await unit.db.execute(update(Bulletin).where(Bulletin.id == b.id,
                                                               Bulletin.status == "scheduled")
                                        .values(status="playing", error=None))
            if res.rowcount != 1:
                return  # cancelled in the meantime
            unit.emit(BulletinsChanged(b.commune_id, b.conference_id))
        self.playing_id = b.id
        try:
            result = await svc.play_file(Path(self.app[CONFIG].data_dir) / b.audio_path,
                                         title=b.title)
        finally:
            self.playing_id = None
        started = result.get("started_at")
        played_at = datetime.fromisoformat(started) if started else datetime.now(UTC)
        state = result.get("state", "failed")
        error = None if state == "played" else (result.get("error") or
                                                "Đã dừng khi đang phát (tắt phát sóng).")
        await self._finish(b.id, "playing", state, played_at, error)

    async def _finish(self, bid: int, expected: str, result_state: str,
                      played_at: datetime | None, error: str | None) -> None:
        async with self.app[EXECUTOR].unit() as unit:
            db = unit.db
            b = await db.get(Bulletin, bid)
            if b is None or b.status != expected:
                return
            status = final_status(result_state, "playing") if expected == "playing" else result_state
            if status is None:
                return
            b.status, b.played_at, b.error = status, played_at, (error or None)
            if b.error:
                b.error = b.error[:limits.ERROR]
            audit.record(db, "system", f"bulletin.{status}", "bulletin", b.id,
                         after={"status": status, "error": b.error,
                                "played_at": played_at.isoformat() if played_at else None},
                         commune_id=b.commune_id)
            unit.emit(BulletinsChanged(b.commune_id, b.conference_id))


def _upload_doc() -> dict[str, Any]:
    """The POST operation with both request bodies (the registry only describes JSON ones)."""
    form = request_schema(UploadFields.model_json_schema())
    when = form["properties"]["play_at"]["anyOf"][0]
    form["properties"] = {
        "file": {"type": "string", "format": "binary",
                 "description": "Any audio file ffmpeg reads, at most 50 MB"},
        "title": form["properties"]["title"],
        "play_at": {"anyOf": [when, {"type": "string", "maxLength": 0}],
                    "description": "Local time (Asia/Ho_Chi_Minh) unless it has a zone; "
                                   "empty = now; at most a year ahead"}}
    form["required"] = ["file", "title"]
    form.pop("additionalProperties", None)  # other named parts are read and dropped
    form["propertyNames"] = {"pattern": r'^[^"\\\x00-\x1f\x7f]+$'}  # every part is named
    reuse = request_schema(FromRecordingIn.model_json_schema())
    reuse["properties"]["play_at"]["anyOf"].append({"type": "string", "maxLength": 0})
    return {"post": {
        "summary": "Schedule a broadcast bulletin: upload an audio file (multipart) or reuse a recorded turn",
        "tags": [TAG], "operationId": "create_bulletin", "x-permission": "control_broadcast",
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": form},
            "application/json": {"schema": reuse}}},
        "responses": {
            "201": {"description": "Scheduled", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/BulletinOut"}}}},
            "4XX": {"description": "Refused (not audio, too large, time in the past, ...)",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}},
    }}


def setup_bulletins(app: web.Application) -> None:
    app[APIS].append(api)
    api.add_to(app)
    app[OPENAPI_EXTRA]["/api/conferences/{id}/bulletins"] = _upload_doc()
    sched = BulletinScheduler(app)
    app[BULLETIN_SCHEDULER] = sched
    app.cleanup_ctx.append(sched.running)
