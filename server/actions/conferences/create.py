"""Plan a conference (conference.create).

Input: ``ConferenceIn``. Permission: ``edit_conference``. Audit: ``conference.create``
with the new conference's fields.
"""

from __future__ import annotations

import secrets

from server.actions.conferences import FIELDS, check_times, conference_out, index
from server.api.schemas import ConferenceIn, ConferenceOut
from server.commands import audit
from server.db.models import Conference
from server.executor import Action, Context


class CreateConference(Action):
    name = "conference.create"
    permission = "edit_conference"
    Input = ConferenceIn

    async def run(self, ctx: Context, data: ConferenceIn) -> ConferenceOut:
        conf = Conference(commune_id=ctx.actor.commune_id, public_slug=secrets.token_urlsafe(8),
                          queue_settings={}, **data.model_dump())
        check_times(conf)
        index(conf)
        ctx.db.add(conf)
        await ctx.db.flush()
        ctx.audit("conference.create", "conference", conf.id, after=audit.snapshot(conf, FIELDS))
        return await conference_out(ctx.db, ctx.services, conf)
