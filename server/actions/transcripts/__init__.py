"""Actions on transcripts: write a turn's text (optimistic concurrency), confirm it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Actor
from server.commands import scope
from server.db.models import SpeakingTurn
from server.domain import limits
from server.domain.errors import Conflict, not_found
from server.domain.local_time import LOCAL_TZ
from server.transcripts import store

TurnId = Annotated[str, StringConstraints(min_length=1, max_length=limits.TURN_ID)]


async def turn_of(db: AsyncSession, actor: Actor, turn_id: str) -> SpeakingTurn:
    """A speaking turn of one of the caller's conferences, or 404."""
    turn = await db.get(SpeakingTurn, turn_id) if len(turn_id) <= limits.TURN_ID else None
    if turn is None:
        raise not_found(f"Không có lượt phát biểu {turn_id!r}.")
    await scope.conference(db, actor, turn.conference_id)
    return turn


class EditConflictError(Conflict):
    """409 carrying the current text, who changed it and when, so nothing is lost."""

    def __init__(self, current: store.TranscriptView) -> None:
        who = current.updated_by or "người khác"
        when = current.updated_at.astimezone(LOCAL_TZ).strftime("%H:%M:%S %d/%m/%Y") \
            if current.updated_at else ""
        super().__init__("edit_conflict",
                         f"Nội dung đã được {who} sửa lúc {when} trong khi bạn đang sửa; "
                         "hãy so sánh hai bản và lưu lại bản đúng.")
        self.current = current

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["current"] = self.current.model_dump(mode="json")
        return out
