"""Actions on the commune's documents: draft one from the conference record, edit a
draft, discard it, issue it (numbered, then frozen)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Actor
from server.db.models import Document
from server.domain.errors import not_found


async def document_of(db: AsyncSession, actor: Actor, document_id: int) -> Document:
    """The document of the caller's commune, or 404."""
    d = await db.get(Document, document_id)
    if d is None or d.commune_id != actor.commune_id:
        raise not_found(f"Không có văn bản số {document_id}.")
    return d
