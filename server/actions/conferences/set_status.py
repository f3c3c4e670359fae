"""Record that a conference was held, has ended or is cancelled (conference.set_status).

Input: ``conference_id``, the new ``status`` (held, closed or cancelled) and an optional
``reason``. Permission: ``edit_conference``. Which moves are allowed is the pure rule
``server.domain.conferences.next_status`` (a refused move is a Conflict). Audit:
``conference.set_status`` with the status before and after, and the reason.
"""

from __future__ import annotations

from server.actions.conferences import ConferenceChange, conference_out
from server.api.schemas import ConferenceOut, ConferenceStatusIn, RecordId
from server.commands import scope
from server.domain.conferences import next_status
from server.executor import Context


class Input(ConferenceStatusIn):
    conference_id: RecordId


class SetConferenceStatus(ConferenceChange):
    name = "conference.set_status"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> ConferenceOut:
        conf = await scope.conference(ctx.db, ctx.actor, data.conference_id)
        before = conf.status
        conf.status = next_status(before, data.status).value
        await ctx.db.flush()
        ctx.audit("conference.set_status", "conference", conf.id, before={"status": before},
                  after={"status": conf.status}, reason=data.reason)
        return await conference_out(ctx.db, ctx.services, conf)
