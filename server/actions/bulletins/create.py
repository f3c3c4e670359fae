"""Schedule a broadcast bulletin (Decree 49/2024/NĐ-CP): an audio file the person
uploaded, or the recording of a speaking turn, played through the live broadcast at
``play_at`` (default: now). The file must be audio ffmpeg decodes; it is hashed and kept
under DATA/bulletins/conference-<id>/.

Input: the conference, ``title``, ``play_at`` and either the uploaded file (given to the
action by the transport that received it) or ``recording_id``. Permission:
``control_broadcast``.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from server.api.schemas import Input as JsonInput
from server.api.schemas import Line, LocalDateTime
from server.commands import scope
from server.db.models import Recording
from server.domain import limits
from server.domain.errors import Gone, Invalid, not_found
from server.events import BulletinsChanged
from server.executor import Action, Context
from server.followup.bulletins import (
    Bulletin,
    BulletinOut,
    audio_extension,
    bulletin_out,
    check_play_at,
    incoming_file,
    probe_audio,
    sha256_of,
)
from server.keys import CONFIG


@dataclass(frozen=True)
class Received:
    """An uploaded file already on disk; the action moves it into place."""

    path: Path
    name: str  # as the person's device named it


class Input(JsonInput):
    conference_id: int = Field(ge=1)
    title: Line(limits.BULLETIN_TITLE, 1)  # type: ignore[valid-type]
    play_at: LocalDateTime | None = None
    recording_id: int | None = Field(default=None, ge=1)


class CreateBulletin(Action):
    name = "bulletin.create"
    permission = "control_broadcast"
    Input = Input

    def __init__(self, upload: Received | None = None) -> None:
        self.upload = upload

    async def run(self, ctx: Context, data: Input) -> BulletinOut:
        db, data_dir = ctx.db, Path(ctx.services[CONFIG].data_dir)
        conf = await scope.conference(db, ctx.actor, data.conference_id)
        if (self.upload is None) == (data.recording_id is None):
            message = "Gửi một tệp âm thanh hoặc chọn một bản ghi âm (chỉ một trong hai)."
            raise Invalid("file_missing", message, [{"field": "recording_id", "message": message}])
        play_at = data.play_at or ctx.now
        reason = check_play_at(play_at, ctx.now)
        if reason:
            raise Invalid("bad_play_at", reason, [{"field": "play_at", "message": reason}])
        recording_id: int | None = None
        copy_from: Path | None = None  # a turn's recording: copied, never moved
        if self.upload is not None:
            source, original = self.upload.path, self.upload.name
        else:
            rec = await db.get(Recording, data.recording_id)
            if rec is None or rec.conference_id != conf.id:
                raise not_found(f"Không có bản ghi âm số {data.recording_id} trong hội nghị này.")
            copy_from = Path(rec.path)
            if not copy_from.is_file():
                raise Gone("recording_gone", "Tệp ghi âm không còn (đã hết thời hạn lưu trữ).")
            source = incoming_file(data_dir)
            original, recording_id = copy_from.name, rec.id
        try:
            if copy_from is not None:
                await asyncio.to_thread(shutil.copyfile, copy_from, source)
            duration, reason = await probe_audio(source)
            if reason:
                raise Invalid("not_audio", reason, [{"field": "file", "message": reason}])
            digest = await asyncio.to_thread(sha256_of, source)
            folder = data_dir / "bulletins" / f"conference-{conf.id}"
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"{uuid.uuid4().hex}{audio_extension(original)}"
            source.replace(final)
        finally:
            if copy_from is not None:
                source.unlink(missing_ok=True)
        row = Bulletin(commune_id=conf.commune_id, conference_id=conf.id, title=data.title,
                       audio_path=str(final.relative_to(data_dir)),
                       original_name=original[:limits.FILE_NAME], sha256=digest,
                       duration_s=round(duration or 0, 2), recording_id=recording_id,
                       play_at=play_at, status="scheduled", created_by=ctx.actor.label)
        db.add(row)
        try:
            await db.flush()
        except Exception:
            final.unlink(missing_ok=True)
            raise
        ctx.audit("bulletin.create", "bulletin", row.id,
                  after={"title": data.title, "play_at": play_at.isoformat(), "sha256": digest,
                         "file": final.name, "recording_id": recording_id})
        ctx.emit(BulletinsChanged(row.commune_id, row.conference_id))
        return bulletin_out(row)
