"""Petitions (kiến nghị) collected before and during a conference, and their fields."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import FieldIn, FieldPatch, PetitionIn, PetitionPatch
from server.auth import Actor
from server.commands import audit, scope
from server.db.models import Petition, PetitionField
from server.domain.errors import Conflict, Invalid
from server.domain.text import search_key

FIELDS = ("conference_id", "raised_by", "hamlet", "phone", "consent_full_name", "field_id",
          "content", "authority", "competence", "source", "status")

DEFAULT_FIELDS = [
    ("land", "Đất đai"),
    ("roads", "Giao thông, đường sá"),
    ("social", "Chính sách xã hội"),
    ("environment", "Môi trường"),
    ("security", "An ninh, trật tự"),
    ("other", "Khác"),
]


def _index(p: Petition, field_name: str) -> None:
    p.search_text = search_key(p.raised_by, p.hamlet, p.content, p.authority, field_name)


async def _usable_field(db: AsyncSession, actor: Actor, field_id: int) -> PetitionField:
    f = await scope.field(db, actor, field_id)
    if not f.active:
        raise Invalid("field_inactive", f"Lĩnh vực “{f.name}” đã ngừng sử dụng.")
    return f


async def create(db: AsyncSession, actor: Actor, data: PetitionIn) -> Petition:
    if data.conference_id is not None:
        await scope.conference(db, actor, data.conference_id)
    f = await _usable_field(db, actor, data.field_id)
    p = Petition(commune_id=actor.commune_id, **data.model_dump())
    _index(p, f.name)
    db.add(p)
    await db.flush()
    await db.refresh(p, ["field"])
    audit.record(db, actor, "petition.create", "petition", p.id, after=audit.snapshot(p, FIELDS))
    return p


async def update(db: AsyncSession, actor: Actor, petition_id: int, data: PetitionPatch) -> Petition:
    p = await scope.petition(db, actor, petition_id)
    before = audit.snapshot(p, FIELDS)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("conference_id") is not None:
        await scope.conference(db, actor, changes["conference_id"])
    if changes.get("field_id") is not None:
        await _usable_field(db, actor, changes["field_id"])
    audit.apply_patch(p, data, clearable=("conference_id",))
    await db.flush()
    await db.refresh(p, ["field"])
    _index(p, p.field.name)
    audit.record(db, actor, "petition.update", "petition", p.id, before=before,
                 after=audit.snapshot(p, FIELDS))
    return p


async def ensure_default_fields(db: AsyncSession, commune_id: int) -> None:
    existing = set((await db.execute(
        select(PetitionField.code).where(PetitionField.commune_id == commune_id))).scalars())
    for pos, (code, name) in enumerate(DEFAULT_FIELDS):
        if code not in existing:
            db.add(PetitionField(commune_id=commune_id, code=code, name=name, position=pos * 10))


async def add_field(db: AsyncSession, actor: Actor, data: FieldIn) -> PetitionField:
    dup = (await db.execute(select(PetitionField).where(
        PetitionField.commune_id == actor.commune_id, PetitionField.code == data.code))).first()
    if dup:
        raise Conflict("duplicate_code", f"Mã lĩnh vực “{data.code}” đã có.")
    f = PetitionField(commune_id=actor.commune_id, **data.model_dump())
    db.add(f)
    await db.flush()
    audit.record(db, actor, "field.add", "petition_field", f.id,
                 after=audit.snapshot(f, ("code", "name", "position", "active")))
    return f


async def update_field(db: AsyncSession, actor: Actor, field_id: int, data: FieldPatch) -> PetitionField:
    f = await scope.field(db, actor, field_id)
    before = audit.snapshot(f, ("code", "name", "position", "active"))
    audit.apply_patch(f, data)
    await db.flush()
    audit.record(db, actor, "field.update", "petition_field", f.id, before=before,
                 after=audit.snapshot(f, ("code", "name", "position", "active")))
    return f
