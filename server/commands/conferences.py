"""Plan, edit and announce conferences."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import ConferenceIn, ConferencePatch
from server.auth import Actor
from server.commands import audit, scope
from server.db.models import Conference
from server.domain.errors import Conflict, Invalid
from server.domain.text import search_key

FIELDS = ("title", "starts_at", "ends_at", "venue", "format", "online_url", "chair_name",
          "front_name", "council_name", "content", "purpose", "how_to_attend", "status",
          "announced_at")


def _check_times(conf: Conference) -> None:
    if conf.ends_at is not None and conf.ends_at <= conf.starts_at:
        raise Invalid("invalid_input", "Giờ kết thúc phải sau giờ bắt đầu.",
                       [{"field": "ends_at", "code": "before_start",
                         "message": "Giờ kết thúc phải sau giờ bắt đầu."}])


def _index(conf: Conference) -> None:
    conf.year = conf.starts_at.year
    conf.search_text = search_key(conf.title, conf.venue, conf.content, conf.purpose,
                                  conf.chair_name)


async def create(db: AsyncSession, actor: Actor, data: ConferenceIn) -> Conference:
    conf = Conference(commune_id=actor.commune_id, public_slug=secrets.token_urlsafe(8),
                      queue_settings={}, **data.model_dump())
    _check_times(conf)
    _index(conf)
    db.add(conf)
    await db.flush()
    audit.record(db, actor, "conference.create", "conference", conf.id,
                 after=audit.snapshot(conf, FIELDS))
    return conf


async def update(db: AsyncSession, actor: Actor, conference_id: int,
                 data: ConferencePatch) -> Conference:
    conf = await scope.conference(db, actor, conference_id)
    before = audit.snapshot(conf, FIELDS)
    audit.apply_patch(conf, data, clearable=("ends_at",))
    _check_times(conf)
    _index(conf)
    await db.flush()
    audit.record(db, actor, "conference.update", "conference", conf.id, before=before,
                 after=audit.snapshot(conf, FIELDS))
    return conf


async def announce(db: AsyncSession, actor: Actor, conference_id: int,
                   now: datetime | None = None) -> Conference:
    conf = await scope.conference(db, actor, conference_id)
    if conf.status in ("cancelled", "closed"):
        raise Conflict("not_announceable", "Hội nghị đã hủy hoặc đã kết thúc, không thể thông báo.")
    before = audit.snapshot(conf, FIELDS)
    conf.announced_at = now or datetime.now(UTC)
    if conf.status == "planned":
        conf.status = "announced"
    await db.flush()
    audit.record(db, actor, "conference.announce", "conference", conf.id, before=before,
                 after=audit.snapshot(conf, FIELDS))
    return conf
