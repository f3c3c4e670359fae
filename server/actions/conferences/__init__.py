"""Actions on conferences: plan, edit, announce, set the status.

What they share: the fields the audit log keeps, the checks of a conference's times,
its search key, and the answer the API gives for a conference.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import ConferenceOut
from server.db.models import Commune, Conference
from server.domain.errors import Invalid
from server.domain.text import search_key
from server.executor import Action
from server.followup.records import calendar_of
from server.keys import RULES

FIELDS = ("title", "starts_at", "ends_at", "venue", "format", "online_url", "chair_name",
          "front_name", "council_name", "content", "purpose", "how_to_attend", "status",
          "announced_at")


class ConferenceChange(Action):
    """A change to one conference: the chair's or the administrator's, one at a time per
    conference (its input names ``conference_id``)."""

    permission = "edit_conference"

    def lock_key(self, data: Any) -> Hashable:
        return ("conference", data.conference_id)


def check_times(conf: Conference) -> None:
    if conf.ends_at is not None and conf.ends_at <= conf.starts_at:
        raise Invalid("invalid_input", "Giờ kết thúc phải sau giờ bắt đầu.",
                      [{"field": "ends_at", "code": "before_start",
                        "message": "Giờ kết thúc phải sau giờ bắt đầu."}])


def index(conf: Conference) -> None:
    conf.year = conf.starts_at.year
    conf.search_text = search_key(conf.title, conf.venue, conf.content, conf.purpose,
                                  conf.chair_name)


async def conference_out(db: AsyncSession, services: Any, conf: Conference) -> ConferenceOut:
    """A conference as the API shows it: its public address and, under the commune's rule
    profile, a warning when the announcement is (or would be) late."""
    out = ConferenceOut.model_validate(conf)
    out.public_url = f"/c/{conf.public_slug}"
    commune = await db.get(Commune, conf.commune_id)
    assert commune is not None
    rules = services[RULES]
    out.announcement_warning = rules.announcement_warning(
        conf, commune.rule_profile,
        calendar=await calendar_of(db, rules.calendar(), conf.commune_id))
    return out
