"""Set the planned minutes of each phase of a conference's run-of-show
(conference.set_phase_plan).

Input: ``conference_id``, ``minutes`` (one whole number of minutes per phase, between
``limits.PHASE_MINUTES_MIN`` and ``PHASE_MINUTES_MAX``) and an optional ``reason``.
Permission: ``run_queue`` (like the queue's other rules). The plan is one of the queue's
settings (``phase_minutes``): it is changed by the queue's own ``update_settings``
command, so it is stored, undone and sent to every tablet and to the hall screen like any
rule, and the audit log has it as ``queue.update_settings``. The same plan sent again
changes nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Hashable
from typing import Any

from server.api.schemas import PhasePlanChangeIn, RecordId
from server.domain.phases import timeline
from server.events import QueueChanged
from server.executor import Action, Context
from server.keys import QUEUE


class Input(PhasePlanChangeIn):
    conference_id: RecordId


class SetPhasePlan(Action):
    name = "conference.set_phase_plan"
    permission = "run_queue"
    Input = Input

    def lock_key(self, data: Any) -> Hashable:
        return ("queue", data.conference_id)  # one at a time with the queue's commands

    async def run(self, ctx: Context, data: Input) -> dict[str, Any]:
        service = ctx.services[QUEUE]
        state = await service.snapshot(ctx.db, ctx.actor, data.conference_id)
        minutes = data.minutes.model_dump()
        if minutes != state.settings.phase_minutes:
            payload = {"type": "update_settings", "command_id": f"phase-plan-{uuid.uuid4().hex}",
                       "base_version": state.version, "reason": data.reason,
                       "settings": {**dataclasses.asdict(state.settings), "phase_minutes": minutes}}
            old, state, happenings, commune_id = await service.apply(
                ctx.db, ctx.actor, data.conference_id, payload, ctx.now)
            if state is not old:
                ctx.emit(QueueChanged(data.conference_id, commune_id, state, happenings))
        return {"version": state.version, "phase_minutes": dict(state.settings.phase_minutes),
                "phases": timeline(state.phases, ctx.now, state.settings.phase_minutes)}
