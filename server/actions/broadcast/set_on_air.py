"""Go on air (a short chime first, unless ``chime`` is false) or off air. During a
bulletin, going off air stops it; going on air takes effect after it.

Input: ``on_air``, ``chime``. Permission: ``control_broadcast``.
"""

from __future__ import annotations

from typing import Any

from server.actions.broadcast import BroadcastControl, live
from server.api.schemas import Input as JsonInput
from server.executor import Context


class OnAirIn(JsonInput):
    on_air: bool
    chime: bool = True


class SetOnAir(BroadcastControl):
    name = "broadcast.set_on_air"
    Input = OnAirIn

    async def run(self, ctx: Context, data: OnAirIn) -> dict[str, Any]:
        controls = live(ctx)
        svc = controls.svc
        before = svc.on_air
        await svc.set_on_air(data.on_air, chime=data.chime)
        ctx.audit("broadcast.on_air", "broadcast", "live", before={"on_air": before},
                  after={"on_air": svc.on_air})
        return controls.status()
