"""Announce a conference publicly (conference.announce): its public page opens.

Input: ``conference_id``. Permission: ``edit_conference``. The status follows
``server.domain.conferences.announced_status`` (a closed or cancelled conference cannot
be announced). Audit: ``conference.announce`` with the fields before and after.
"""

from __future__ import annotations

from server.actions.conferences import FIELDS, ConferenceChange, conference_out
from server.api import schemas
from server.api.schemas import ConferenceOut, RecordId
from server.commands import audit, scope
from server.domain.conferences import announced_status
from server.executor import Context


class Input(schemas.Input):
    conference_id: RecordId


class AnnounceConference(ConferenceChange):
    name = "conference.announce"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> ConferenceOut:
        conf = await scope.conference(ctx.db, ctx.actor, data.conference_id)
        status = announced_status(conf.status)
        before = audit.snapshot(conf, FIELDS)
        conf.announced_at = ctx.now
        conf.status = status.value
        await ctx.db.flush()
        ctx.audit("conference.announce", "conference", conf.id, before=before,
                  after=audit.snapshot(conf, FIELDS))
        return await conference_out(ctx.db, ctx.services, conf)
