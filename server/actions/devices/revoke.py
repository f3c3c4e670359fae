"""Revoke a device token (device.revoke): the screen or relay using it stops at once
(``AccountsChanged``). Revoking a revoked token changes nothing.

Input: ``device_id``. Permission: ``manage_devices``. Audit: ``device.revoke``.
"""

from __future__ import annotations

from server.api import schemas
from server.api.schemas import DeviceOut, RecordId
from server.db.models import DeviceToken
from server.domain.errors import not_found
from server.events import AccountsChanged
from server.executor import Action, Context


class Input(schemas.Input):
    device_id: RecordId


class RevokeDevice(Action):
    name = "device.revoke"
    permission = "manage_devices"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> DeviceOut:
        dev = await ctx.db.get(DeviceToken, data.device_id)
        if dev is None or dev.commune_id != ctx.actor.commune_id:
            raise not_found(f"Không có thiết bị số {data.device_id}.")
        if dev.revoked_at is None:
            dev.revoked_at = ctx.now
            await ctx.db.flush()
            ctx.audit("device.revoke", "device", dev.id, after={"name": dev.name})
        ctx.emit(AccountsChanged(ctx.actor.commune_id))
        return DeviceOut.model_validate(dev)
