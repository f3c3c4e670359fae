"""Confirm a turn's text as it stands (the machine draft becomes the confirmed text).

Input: the turn and the ``base_revision`` the person read (409 ``edit_conflict`` if it
changed since). Permission: ``write_transcript``.
"""

from __future__ import annotations

from pydantic import Field

from server.actions.transcripts import EditConflictError, turn_of
from server.api.schemas import Input as JsonInput
from server.events import TranscriptUpdated
from server.executor import Action, Context
from server.transcripts import store


class ConfirmIn(JsonInput):
    base_revision: int = Field(ge=0)


class Input(ConfirmIn):
    turn_id: str


class ConfirmTranscript(Action):
    name = "transcript.confirm"
    permission = "write_transcript"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> store.TranscriptView:
        turn = await turn_of(ctx.db, ctx.actor, data.turn_id)
        try:
            view = await store.confirm(ctx.db, ctx.actor, turn, data.base_revision)
        except store.EditConflict as exc:
            raise EditConflictError(exc.current) from None
        ctx.emit(TranscriptUpdated(view.conference_id, view.event()))
        return view
