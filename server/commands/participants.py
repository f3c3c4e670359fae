"""The invitation list and check-in on the day."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import ParticipantIn, ParticipantPatch
from server.auth import Actor
from server.commands import audit, scope
from server.db.models import Participant, SpeakingTurn
from server.domain.errors import Conflict
from server.domain.text import search_key

FIELDS = ("full_name", "kind", "title", "hamlet", "phone", "invited", "checked_in_at",
          "consent_full_name")


def _index(p: Participant) -> None:
    p.search_text = search_key(p.full_name, p.title, p.hamlet)


async def add(db: AsyncSession, actor: Actor, conference_id: int,
              data: ParticipantIn) -> Participant:
    await scope.conference(db, actor, conference_id)
    p = Participant(conference_id=conference_id, **data.model_dump())
    _index(p)
    db.add(p)
    await db.flush()
    audit.record(db, actor, "participant.add", "participant", p.id,
                 after=audit.snapshot(p, FIELDS))
    return p


async def update(db: AsyncSession, actor: Actor, conference_id: int, participant_id: int,
                 data: ParticipantPatch) -> Participant:
    p = await scope.participant(db, actor, conference_id, participant_id)
    before = audit.snapshot(p, FIELDS)
    audit.apply_patch(p, data)
    _index(p)
    await db.flush()
    audit.record(db, actor, "participant.update", "participant", p.id, before=before,
                 after=audit.snapshot(p, FIELDS))
    return p


async def check_in(db: AsyncSession, actor: Actor, conference_id: int, participant_id: int,
                   checked_in: bool) -> Participant:
    """Check a person in, or undo a check-in made by mistake."""
    p = await scope.participant(db, actor, conference_id, participant_id)
    before = audit.snapshot(p, FIELDS)
    p.checked_in_at = datetime.now(UTC) if checked_in else None
    await db.flush()
    audit.record(db, actor, "participant.check_in" if checked_in else "participant.undo_check_in",
                 "participant", p.id, before=before, after=audit.snapshot(p, FIELDS))
    return p


async def remove(db: AsyncSession, actor: Actor, conference_id: int, participant_id: int) -> None:
    p = await scope.participant(db, actor, conference_id, participant_id)
    spoke = (await db.execute(select(SpeakingTurn.id).where(
        SpeakingTurn.participant_id == p.id).limit(1))).scalar_one_or_none()
    if spoke is not None:
        raise Conflict("participant_has_turn",
                       f"{p.full_name} đã đăng ký phát biểu tại hội nghị nên không xóa khỏi "
                       "danh sách mời được.")
    before = audit.snapshot(p, FIELDS)
    await db.delete(p)
    await db.flush()
    audit.record(db, actor, "participant.remove", "participant", participant_id, before=before)
