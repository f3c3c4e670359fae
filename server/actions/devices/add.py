"""Issue a read-only device token (device.add); the token is shown in this answer only.

Input: ``DeviceIn``. Permission: ``manage_devices``. Audit: ``device.add`` (the token's
digest is stored, never the token).
"""

from __future__ import annotations

from server.api.schemas import DeviceIn, DeviceOut
from server.auth import new_device_token, token_digest
from server.db.models import DeviceToken
from server.executor import Action, Context


class AddDevice(Action):
    name = "device.add"
    permission = "manage_devices"
    Input = DeviceIn

    async def run(self, ctx: Context, data: DeviceIn) -> DeviceOut:
        token = new_device_token()
        dev = DeviceToken(commune_id=ctx.actor.commune_id, name=data.name, kind=data.kind,
                          token_hash=token_digest(token), created_by=ctx.actor.user_id)
        ctx.db.add(dev)
        await ctx.db.flush()
        ctx.audit("device.add", "device", dev.id, after={"name": dev.name, "kind": dev.kind})
        out = DeviceOut.model_validate(dev)
        out.token = token
        return out
