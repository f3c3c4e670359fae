"""Write a speaking turn's transcript. The text was edited from ``base_revision``: if
someone saved since, nothing is written and the answer (409 ``edit_conflict``) carries
the current text, who wrote it and when.

Input: the turn, ``text`` and ``base_revision``. Permission: ``write_transcript``.
"""

from __future__ import annotations

from pydantic import Field

from server.actions.transcripts import EditConflictError, turn_of
from server.api.schemas import Input as JsonInput
from server.api.schemas import Para
from server.events import TranscriptUpdated
from server.executor import Action, Context
from server.transcripts import store
from server.transcripts.rules import MAX_TRANSCRIPT_CHARS


class TranscriptIn(JsonInput):
    text: Para(MAX_TRANSCRIPT_CHARS)
    base_revision: int = Field(ge=0, description="The revision the text was edited from")


class Input(TranscriptIn):
    turn_id: str  # a longer id than any turn's names no turn: 404, as for any other


class PutTranscript(Action):
    name = "transcript.put"
    permission = "write_transcript"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> store.TranscriptView:
        turn = await turn_of(ctx.db, ctx.actor, data.turn_id)
        try:
            view = await store.write_human(ctx.db, ctx.actor, turn, data.text,
                                           data.base_revision)
        except store.EditConflict as exc:
            raise EditConflictError(exc.current) from None
        ctx.emit(TranscriptUpdated(view.conference_id, view.event()))
        return view
