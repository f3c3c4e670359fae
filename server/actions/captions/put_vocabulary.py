"""The commune's own words for the captions and the drafts (captions.vocabulary): names
of hamlets, bon, people, places the recogniser gets wrong, as the secretary writes them.
The record's names are added to them at use (server/captions/store.py).

Input: ``terms`` (a list of lines). Permission: ``write_transcript``. Audit:
``captions.vocabulary`` with the list before and after.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from server.api.schemas import Input as JsonInput
from server.captions import store
from server.domain import limits
from server.domain.captions import VocabularyError, clean_terms
from server.domain.errors import Invalid
from server.events import CaptionsChanged
from server.executor import Action, Context

Term = Annotated[str, StringConstraints(max_length=limits.VOCABULARY_TERM)]


class VocabularyIn(JsonInput):
    terms: Annotated[list[Term], Field(max_length=limits.VOCABULARY_TERMS)]


class PutVocabulary(Action):
    name = "captions.vocabulary"
    permission = "write_transcript"
    Input = VocabularyIn

    def lock_key(self, data: Any) -> tuple:
        return ("vocabulary",)

    async def run(self, ctx: Context, data: VocabularyIn) -> list[str]:
        try:
            terms = clean_terms(data.terms)
        except VocabularyError as exc:
            raise Invalid("bad_vocabulary", exc.message) from None
        commune_id = ctx.actor.commune_id
        before = await store.edited_terms(ctx.db, commune_id)
        await store.save_terms(ctx.db, commune_id, terms)
        ctx.audit("captions.vocabulary", "setting", store.VOCABULARY_KEY,
                  before={"terms": before}, after={"terms": terms})
        ctx.emit(CaptionsChanged(commune_id))
        return terms
