"""Turn the rule "mute between turns" on or off. It is a rule, not a state: with it on,
the broadcast is silent while nobody has the floor; turning it off gives back exactly
what the operator chose (server/domain/broadcast_mute.py).

Input: ``enabled``. Permission: ``control_broadcast``.
"""

from __future__ import annotations

from typing import Any

from server.actions.broadcast import BroadcastControl, live
from server.api.schemas import Input as JsonInput
from server.executor import Context


class AutoMuteIn(JsonInput):
    enabled: bool


class SetAutoMute(BroadcastControl):
    name = "broadcast.set_auto_mute"
    Input = AutoMuteIn

    async def run(self, ctx: Context, data: AutoMuteIn) -> dict[str, Any]:
        controls = live(ctx)
        before = controls.auto_mute
        await controls.set_auto_mute(data.enabled)
        ctx.audit("broadcast.auto_mute", "broadcast", "live", before={"enabled": before},
                  after={"enabled": controls.auto_mute, "effective": controls.mute().muted})
        return controls.status()
