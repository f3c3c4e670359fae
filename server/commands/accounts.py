"""Users, device tokens and the commune's own settings."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import CommuneIn, DeviceIn, UserIn, UserPatch
from server.auth import Actor, hash_password, new_device_token, token_digest
from server.commands import audit
from server.commands.petitions import ensure_default_fields
from server.db.models import Commune, DeviceToken, LoginSession, User
from server.domain.errors import Conflict, not_found

USER_FIELDS = ("username", "full_name", "role", "active")
COMMUNE_FIELDS = ("name", "issuing_body", "body_code", "place_name", "province",
                  "higher_authority", "rule_profile", "retention_days", "chairman_name")


async def add_user(db: AsyncSession, actor: Actor | str, commune_id: int, data: UserIn) -> User:
    taken = (await db.execute(select(User.id).where(User.username == data.username))).first()
    if taken:
        raise Conflict("username_taken", f"Tên đăng nhập “{data.username}” đã có người dùng.")
    user = User(commune_id=commune_id, username=data.username, full_name=data.full_name,
                role=data.role, password_hash=hash_password(data.password))
    db.add(user)
    await db.flush()
    audit.record(db, actor, "user.add", "user", user.id, after=audit.snapshot(user, USER_FIELDS),
                 commune_id=commune_id)
    return user


async def update_user(db: AsyncSession, actor: Actor, user_id: int, data: UserPatch) -> User:
    user = await db.get(User, user_id)
    if user is None or user.commune_id != actor.commune_id:
        raise not_found(f"Không có người dùng số {user_id}.")
    before = audit.snapshot(user, USER_FIELDS)
    changes = data.model_dump(exclude_unset=True)
    if user.id == actor.user_id and (changes.get("active") is False or
                                     changes.get("role") not in (None, "admin")):
        raise Conflict("self_lockout", "Không thể tự khóa hoặc tự hạ quyền của chính mình.")
    for name, value in changes.items():
        if value is None:
            continue
        if name == "password":
            user.password_hash = hash_password(value)
        else:
            setattr(user, name, value)
    if changes.get("active") is False or changes.get("password"):
        await db.execute(LoginSession.__table__.delete().where(LoginSession.user_id == user.id))
    await db.flush()
    audit.record(db, actor, "user.update", "user", user.id, before=before,
                 after=audit.snapshot(user, USER_FIELDS))
    return user


async def add_device(db: AsyncSession, actor: Actor, data: DeviceIn) -> tuple[DeviceToken, str]:
    token = new_device_token()
    dev = DeviceToken(commune_id=actor.commune_id, name=data.name, kind=data.kind,
                      token_hash=token_digest(token), created_by=actor.user_id)
    db.add(dev)
    await db.flush()
    audit.record(db, actor, "device.add", "device", dev.id, after={"name": dev.name, "kind": dev.kind})
    return dev, token


async def revoke_device(db: AsyncSession, actor: Actor, device_id: int) -> DeviceToken:
    dev = await db.get(DeviceToken, device_id)
    if dev is None or dev.commune_id != actor.commune_id:
        raise not_found(f"Không có thiết bị số {device_id}.")
    if dev.revoked_at is None:
        dev.revoked_at = datetime.now(UTC)
        await db.flush()
        audit.record(db, actor, "device.revoke", "device", dev.id, after={"name": dev.name})
    return dev


async def update_commune(db: AsyncSession, actor: Actor, data: CommuneIn) -> Commune:
    commune = await db.get(Commune, actor.commune_id)
    assert commune is not None
    before = audit.snapshot(commune, COMMUNE_FIELDS)
    audit.apply_patch(commune, data)
    await db.flush()
    audit.record(db, actor, "commune.update", "commune", commune.id, before=before,
                 after=audit.snapshot(commune, COMMUNE_FIELDS))
    return commune


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
