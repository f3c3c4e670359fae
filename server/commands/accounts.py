"""The first start: a commune to fill in, its default petition fields and an
administrator with a printed password."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.accounts.add_user import add_user
from server.actions.commune import FIELDS as COMMUNE_FIELDS
from server.api.schemas import UserIn
from server.commands import audit
from server.commands.petitions import ensure_default_fields
from server.db.models import Commune, User

__all__ = ["add_user", "bootstrap"]


async def bootstrap(db: AsyncSession) -> tuple[Commune, str | None]:
    """First start: a commune to fill in and an administrator with a printed password.

    Returns the commune and the new administrator's password (None when users exist).
    """
    commune = (await db.execute(select(Commune).order_by(Commune.id).limit(1))).scalar_one_or_none()
    if commune is None:
        commune = Commune(name="Xã (chưa đặt tên)", issuing_body="ỦY BAN NHÂN DÂN XÃ",
                          body_code="UBND", place_name="Xã", higher_authority="Ủy ban nhân dân tỉnh")
        db.add(commune)
        await db.flush()
        audit.record(db, "system", "commune.create", "commune", commune.id,
                     after=audit.snapshot(commune, COMMUNE_FIELDS), commune_id=commune.id)
    await ensure_default_fields(db, commune.id)
    users = (await db.execute(select(func.count(User.id)))).scalar_one()
    password = None
    if users == 0:
        password = secrets.token_urlsafe(9)
        await add_user(db, "system", commune.id, UserIn(
            username="admin", full_name="Quản trị viên", role="admin", password=password))
    return commune, password
