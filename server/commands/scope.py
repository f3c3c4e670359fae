"""Loading rows the caller may touch: another commune's ids look like unknown ids."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Actor
from server.db.models import Conference, Participant, Petition, PetitionField
from server.domain.errors import not_found

T = TypeVar("T")


async def conference(db: AsyncSession, actor: Actor, conference_id: int, *,
                     lock: bool = False) -> Conference:
    """``lock``: read it ``FOR UPDATE`` (PostgreSQL; nothing on SQLite) in the same query."""
    conf = await db.get(Conference, conference_id, with_for_update=lock or None)
    if conf is None or conf.commune_id != actor.commune_id:
        raise not_found(f"Không có hội nghị số {conference_id}.")
    return conf


async def participant(db: AsyncSession, actor: Actor, conference_id: int,
                      participant_id: int) -> Participant:
    await conference(db, actor, conference_id)
    p = await db.get(Participant, participant_id)
    if p is None or p.conference_id != conference_id:
        raise not_found(f"Không có người tham dự số {participant_id} trong hội nghị này.")
    return p


async def petition(db: AsyncSession, actor: Actor, petition_id: int) -> Petition:
    p = await db.get(Petition, petition_id)
    if p is None or p.commune_id != actor.commune_id:
        raise not_found(f"Không có kiến nghị số {petition_id}.")
    return p


async def field(db: AsyncSession, actor: Actor, field_id: int) -> PetitionField:
    f = await db.get(PetitionField, field_id)
    if f is None or f.commune_id != actor.commune_id:
        raise not_found(f"Không có lĩnh vực số {field_id}.")
    return f
