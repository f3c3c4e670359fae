"""Actions on broadcast bulletins: schedule one (an uploaded recording or a recorded
turn), cancel it, play it now. The scheduler plays them (server/followup/bulletins.py)."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import Input as JsonInput
from server.auth import Actor
from server.commands import scope
from server.domain.errors import not_found
from server.followup.bulletins import Bulletin


async def bulletin_of(db: AsyncSession, actor: Actor, conference_id: int,
                      bulletin_id: int) -> Bulletin:
    """A bulletin of one of the caller's conferences, or 404."""
    conf = await scope.conference(db, actor, conference_id)
    b = await db.get(Bulletin, bulletin_id)
    if b is None or b.conference_id != conf.id:
        raise not_found(f"Không có bản tin số {bulletin_id} trong hội nghị này.")
    return b


class BulletinRef(JsonInput):
    """One bulletin of one conference: what cancelling or replaying it names."""

    conference_id: int = Field(ge=1)
    bulletin_id: int = Field(ge=1)
