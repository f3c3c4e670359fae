"""Edit a conference (conference.update).

Input: the fields to change (``ConferencePatch``; a null leaves a field as it is, except
``ends_at``, which it clears) and ``conference_id``. Permission: ``edit_conference``.
Audit: ``conference.update`` with the fields before and after.
"""

from __future__ import annotations

from server.actions.conferences import FIELDS, ConferenceChange, check_times, conference_out, index
from server.api.schemas import ConferenceOut, ConferencePatch, RecordId
from server.commands import audit, scope
from server.domain.conferences import next_status
from server.executor import Context


class Input(ConferencePatch):
    conference_id: RecordId


class UpdateConference(ConferenceChange):
    name = "conference.update"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> ConferenceOut:
        conf = await scope.conference(ctx.db, ctx.actor, data.conference_id)
        before = audit.snapshot(conf, FIELDS)
        wanted = getattr(data, "status", None)
        wanted = getattr(wanted, "value", wanted)
        if wanted is not None and wanted != conf.status:
            # the status follows the same rule as POST …/status (no jump back to planned)
            next_status(conf.status, wanted)
        audit.apply_patch(conf, data, clearable=("ends_at",), skip=("conference_id",))
        check_times(conf)
        index(conf)
        await ctx.db.flush()
        ctx.audit("conference.update", "conference", conf.id, before=before,
                  after=audit.snapshot(conf, FIELDS))
        return await conference_out(ctx.db, ctx.services, conf)
