"""Actions on petitions (kiến nghị) collected before and during a conference: record one,
edit one. What they share: the audited fields, the search key, the field check and the
answer the API gives for a petition."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import PetitionOut
from server.auth import Actor
from server.commands import scope
from server.db.models import Petition, PetitionField
from server.domain.errors import Invalid
from server.domain.text import search_key

FIELDS = ("conference_id", "raised_by", "salutation", "hamlet", "phone", "consent_full_name", "field_id",
          "content", "authority", "competence", "source", "status", "needs_review")


def index(p: Petition, field_name: str) -> None:
    p.search_text = search_key(p.raised_by, p.hamlet, p.content, p.authority, field_name)


async def usable_field(db: AsyncSession, actor: Actor, field_id: int) -> PetitionField:
    """A field of the caller's commune still in use."""
    f = await scope.field(db, actor, field_id)
    if not f.active:
        raise Invalid("field_inactive", f"Lĩnh vực “{f.name}” đã ngừng sử dụng.")
    return f


def petition_out(p: Petition) -> PetitionOut:
    """A petition as the API shows it (its field loaded)."""
    out = PetitionOut.model_validate(p)
    out.field_name = p.field.name
    return out
