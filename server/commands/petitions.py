"""The petition fields every commune starts with (the list is editable afterwards)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PetitionField

DEFAULT_FIELDS = [
    ("land", "Đất đai"),
    ("roads", "Giao thông, đường sá"),
    ("social", "Chính sách xã hội"),
    ("environment", "Môi trường"),
    ("security", "An ninh, trật tự"),
    ("other", "Khác"),
]


async def ensure_default_fields(db: AsyncSession, commune_id: int) -> None:
    existing = set((await db.execute(
        select(PetitionField.code).where(PetitionField.commune_id == commune_id))).scalars())
    for pos, (code, name) in enumerate(DEFAULT_FIELDS):
        if code not in existing:
            db.add(PetitionField(commune_id=commune_id, code=code, name=name, position=pos * 10))
