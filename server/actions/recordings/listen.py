"""Listen to (or download) a turn's recording; who listened, and when, is in the audit log.

Input: the recording. Permission: ``listen_recordings``. Returns where the file is; the
transport sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from server.api.schemas import Input as JsonInput
from server.commands import scope
from server.db.models import Recording
from server.domain.errors import Gone, not_found
from server.executor import Action, Context


@dataclass(frozen=True)
class Audio:
    path: Path
    media_type: str
    filename: str  # "luot-<turn>.wav"


class Input(JsonInput):
    recording_id: int = Field(ge=1)


class ListenRecording(Action):
    name = "recording.listen"
    permission = "listen_recordings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> Audio:
        r = await ctx.db.get(Recording, data.recording_id)
        if r is None:
            raise not_found("Không có bản ghi âm này.")
        await scope.conference(ctx.db, ctx.actor, r.conference_id)
        path = Path(r.path)
        if not path.is_file():
            raise Gone("recording_gone", "Tệp ghi âm không còn (đã hết thời hạn lưu trữ).")
        ctx.audit("recording.listen", "recording", r.id)
        return Audio(path, r.media_type, f"luot-{r.turn_id or r.id}{path.suffix}")
