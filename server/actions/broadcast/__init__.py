"""Actions on the live broadcast: on air / off air, the operator's mute, the auto-mute
rule between turns. The broadcast runs in memory (broadcast/service.py); the server keeps
the operator's choices beside it (server/broadcasting/controls.py)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from server.domain.errors import Unavailable
from server.executor import Action, Context
from server.keys import BROADCAST

if TYPE_CHECKING:
    from server.broadcasting.controls import BroadcastControls

CONTROLS: web.AppKey[BroadcastControls] = web.AppKey("broadcast_controls")

# Broadcast actions run one at a time, so each audit record's "before" is what it changed.
LOCK = ("broadcast",)


class BroadcastControl(Action):
    """A change to the live broadcast: the operators', one at a time."""

    permission = "control_broadcast"

    def lock_key(self, data: Any) -> Hashable:
        return LOCK


def live(ctx: Context) -> BroadcastControls:
    """The running broadcast's controls, or 503 while it has not started."""
    controls = ctx.services.get(CONTROLS)
    if controls is None or ctx.services.get(BROADCAST) is None:
        raise Unavailable("broadcast_unavailable", "Phát thanh chưa khởi động.")
    return controls
