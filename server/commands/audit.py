"""The append-only audit log: who, when, what, before and after; written by every
action in its own transaction, read back by filters and as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Actor
from server.db.models import (
    AuditEvent,
    Document,
    Participant,
    Petition,
    Recording,
    SpeakingTurn,
)
from server.domain.audit_labels import action_label
from server.domain.local_time import LOCAL_TZ
from server.transcripts.rules import csv_cell


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


def apply_patch(row: Any, patch: BaseModel, clearable: tuple[str, ...] = (),
                skip: tuple[str, ...] = ()) -> None:
    """Set the fields a PATCH sent, but not those in ``skip`` (the ids naming the row). A
    null clears only the ``clearable`` fields; for the others it means "leave as it is"
    (a required column cannot be emptied)."""
    for name, value in patch.model_dump(exclude_unset=True, exclude=set(skip)).items():
        if value is not None or name in clearable:
            setattr(row, name, value)


# ---- reading the log -----------------------------------------------------------------------


def _ids(column: Any, where: ColumnElement[bool]) -> Any:
    return AuditEvent.entity_id.in_(select(cast(column, String)).where(where))


def about_conference(conference_id: int) -> ColumnElement[bool]:
    """Events about a conference or about what belongs to it: its invitations (also those
    removed since), petitions, speaking turns, recordings, documents and bulletins."""
    from server.followup.bulletins import Bulletin  # that part writes through this module

    e = AuditEvent.entity
    return or_(
        and_(e == "conference", AuditEvent.entity_id == str(conference_id)),
        and_(e == "participant", or_(
            _ids(Participant.id, Participant.conference_id == conference_id),
            # a removed invitation: its events carry their conference
            AuditEvent.after["conference_id"].as_integer() == conference_id,
            AuditEvent.before["conference_id"].as_integer() == conference_id)),
        and_(e == "petition", _ids(Petition.id, Petition.conference_id == conference_id)),
        and_(e == "speaking_turn",
             _ids(SpeakingTurn.id, SpeakingTurn.conference_id == conference_id)),
        and_(e == "recording", _ids(Recording.id, Recording.conference_id == conference_id)),
        and_(e == "document", _ids(Document.id, Document.conference_id == conference_id)),
        and_(e == "bulletin", _ids(Bulletin.id, Bulletin.conference_id == conference_id)),
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ)


def events(commune_id: int, *, conference_id: int | None = None, user_id: int | None = None,
           actor: str | None = None, action: str | None = None, date_from: date | None = None,
           date_to: date | None = None) -> Select[tuple[AuditEvent]]:
    """The commune's events matching every filter given, newest first. ``action`` is a
    prefix ("conference." or "conference.update"); dates are Vietnam's calendar days,
    both included."""
    q = select(AuditEvent).where(AuditEvent.commune_id == commune_id)
    if conference_id is not None:
        q = q.where(about_conference(conference_id))
    if user_id is not None:
        q = q.where(AuditEvent.actor.startswith(f"user:{user_id}:", autoescape=True))
    if actor:
        q = q.where(AuditEvent.actor.contains(actor, autoescape=True))
    if action:
        q = q.where(AuditEvent.action.startswith(action, autoescape=True))
    if date_from is not None:
        q = q.where(AuditEvent.at >= _local_midnight(date_from))
    if date_to is not None:
        q = q.where(AuditEvent.at < _local_midnight(date_to + timedelta(days=1)))
    return q.order_by(AuditEvent.id.desc())


# "Thao tác" is the stable code; its Vietnamese name is the last column (so the columns
# a spreadsheet already reads keep their places)
CSV_HEADERS = ["Số", "Thời điểm", "Người thực hiện", "Thao tác", "Đối tượng", "Mã đối tượng",
               "Trước", "Sau", "Lý do", "Tên thao tác"]


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def to_csv(rows: Iterable[AuditEvent]) -> bytes:
    """The events as CSV in UTF-8 with a byte-order mark (so a spreadsheet reads the
    Vietnamese), times in Vietnam's time, no cell that a spreadsheet would run."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADERS)
    for e in rows:
        w.writerow([csv_cell(v) for v in (
            e.id, e.at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S"), e.actor, e.action,
            e.entity, e.entity_id, _json(e.before), _json(e.after), e.reason,
            action_label(e.action))])
    return buf.getvalue().encode("utf-8-sig")
