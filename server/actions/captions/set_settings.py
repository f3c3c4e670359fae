"""Turn a conference's captions on or off, or show them while the broadcast is muted
(captions.settings).

Input: ``conference_id``, ``enabled`` and/or ``show_when_muted`` (left out: unchanged; one
of them is needed). Permission: ``run_queue``. Audit: ``captions.settings`` before/after.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from server.actions.captions import ConferenceCaptions
from server.api.schemas import Input as JsonInput
from server.api.schemas import RecordId
from server.captions import store
from server.commands import scope
from server.domain.errors import Invalid
from server.events import CaptionsChanged
from server.executor import Context


class SettingsIn(JsonInput):
    """At least one of the two; one left out stays as it is."""

    model_config = JsonInput.model_config | {"json_schema_extra": {"minProperties": 1}}

    enabled: bool = Field(default=None)  # type: ignore[assignment] - left out: unchanged
    show_when_muted: bool = Field(default=None)  # type: ignore[assignment]


class Input(SettingsIn):
    conference_id: RecordId


class SetCaptionsSettings(ConferenceCaptions):
    name = "captions.settings"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict[str, Any]:
        if data.enabled is None and data.show_when_muted is None:
            raise Invalid("nothing_to_change",
                          "Hãy chọn bật hoặc tắt phụ đề, hoặc hiện phụ đề khi tắt tiếng.")
        conf = await scope.conference(ctx.db, ctx.actor, data.conference_id)
        before = await store.load_settings(ctx.db, conf.commune_id, conf.id)
        after = dict(before)
        for name in ("enabled", "show_when_muted"):
            value = getattr(data, name)
            if value is not None:
                after[name] = value
        await store.save_settings(ctx.db, conf.commune_id, conf.id, after)
        ctx.audit("captions.settings", "conference", conf.id,
                  before={k: before[k] for k in ("enabled", "show_when_muted")},
                  after={k: after[k] for k in ("enabled", "show_when_muted")})
        ctx.emit(CaptionsChanged(conf.commune_id, conf.id))
        return after
