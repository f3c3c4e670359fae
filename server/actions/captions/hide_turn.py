"""Hide (or show again) one turn's captions from the public: a person who asks not to be
captioned (captions.hide). Staff still see the lines; the machine draft is made as usual.

Input: ``conference_id``, ``turn_id``, ``hidden``. Permission: ``run_queue``. Audit:
``captions.hide`` on the turn.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from server.actions.captions import ConferenceCaptions
from server.api.schemas import Input as JsonInput
from server.api.schemas import RecordId
from server.captions import store
from server.commands import scope
from server.db.models import SpeakingTurn
from server.domain import limits
from server.domain.errors import not_found
from server.events import CaptionsChanged
from server.executor import Context


class HideIn(JsonInput):
    turn_id: Annotated[str, StringConstraints(min_length=1, max_length=limits.TURN_ID,
                                              pattern=r"^[^\x00\s]+$")]
    hidden: bool


class Input(HideIn):
    conference_id: RecordId


class HideTurnCaptions(ConferenceCaptions):
    name = "captions.hide"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict[str, Any]:
        conf = await scope.conference(ctx.db, ctx.actor, data.conference_id)
        turn = await ctx.db.get(SpeakingTurn, data.turn_id)
        if turn is None or turn.conference_id != conf.id:
            raise not_found(f"Không có lượt phát biểu «{data.turn_id}» trong hội nghị này.")
        settings = await store.load_settings(ctx.db, conf.commune_id, conf.id)
        hidden = [t for t in settings["hidden_turns"] if t != turn.id]
        was = turn.id in settings["hidden_turns"]
        if data.hidden:
            hidden.append(turn.id)
        settings["hidden_turns"] = hidden[-store.HIDDEN_KEPT:]
        await store.save_settings(ctx.db, conf.commune_id, conf.id, settings)
        ctx.audit("captions.hide", "speaking_turn", turn.id, before={"hidden": was},
                  after={"hidden": data.hidden})
        ctx.emit(CaptionsChanged(conf.commune_id, conf.id))
        return settings
