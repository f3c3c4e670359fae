"""The operator mutes or unmutes the broadcast. This is the operator's own choice: it is
kept as such, and the auto-mute rule between turns only adds to it
(server/domain/broadcast_mute.py).

Input: ``muted``. Permission: ``control_broadcast``.
"""

from __future__ import annotations

from typing import Any

from server.actions.broadcast import BroadcastControl, live
from server.api.schemas import Input as JsonInput
from server.executor import Context


class MuteIn(JsonInput):
    muted: bool


class SetMuted(BroadcastControl):
    name = "broadcast.set_muted"
    Input = MuteIn

    async def run(self, ctx: Context, data: MuteIn) -> dict[str, Any]:
        controls = live(ctx)
        before = controls.operator_muted
        await controls.set_operator_muted(data.muted)
        ctx.audit("broadcast.mute", "broadcast", "live", before={"muted": before},
                  after={"muted": controls.operator_muted, "effective": controls.mute().muted})
        return controls.status()
