"""The append-only audit log: who, when, what, before and after."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Actor
from server.db.models import AuditEvent


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-safe picture of some attributes of a row, for before/after."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if isinstance(value, datetime | date) else value
    return out


def record(db: AsyncSession, actor: Actor | str, action: str, entity: str, entity_id: Any,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           reason: str = "", commune_id: int | None = None) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits or rolls back with it)."""
    label = actor.label if isinstance(actor, Actor) else actor
    cid = commune_id if commune_id is not None else (
        actor.commune_id if isinstance(actor, Actor) else None)
    event = AuditEvent(commune_id=cid, actor=label, action=action, entity=entity,
                       entity_id=str(entity_id), before=before, after=after, reason=reason)
    db.add(event)
    return event


def apply_patch(row: Any, patch: BaseModel, clearable: tuple[str, ...] = ()) -> None:
    """Set the fields a PATCH sent. A null clears only the ``clearable`` fields; for the
    others it means "leave as it is" (a required column cannot be emptied)."""
    for name, value in patch.model_dump(exclude_unset=True).items():
        if value is not None or name in clearable:
            setattr(row, name, value)
