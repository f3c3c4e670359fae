"""Issue a document: it takes the next number of the year and is frozen from then on.

Input: the document and ``issued_on`` (default: today, local time). Permission:
``issue_documents``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from server.actions.documents import document_of
from server.api.formats import IsoDate
from server.api.schemas import Input as JsonInput
from server.db.models import Commune
from server.domain.calendar import MAX_YEAR, MIN_YEAR
from server.domain.errors import Invalid
from server.domain.local_time import local_date
from server.executor import Action, Context
from server.followup import documents_db as docs
from server.followup.docjson import ContentError
from server.followup.records import calendar_of
from server.keys import RULES


class IssueIn(JsonInput):
    issued_on: Annotated[date, *IsoDate] | None = None


class Input(IssueIn):
    document_id: int = Field(ge=1)


class IssueDocument(Action):
    name = "document.issue"
    permission = "issue_documents"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        d = await document_of(ctx.db, ctx.actor, data.document_id)
        commune = await ctx.db.get(Commune, d.commune_id)
        issued_on = data.issued_on or local_date(ctx.now)
        if not MIN_YEAR <= issued_on.year <= MAX_YEAR:
            raise Invalid("bad_date", "Ngày ban hành không hợp lệ.")
        try:
            await docs.issue(ctx.db, d, commune, issued_on)
        except ContentError as exc:
            raise Invalid("invalid_content", str(exc)) from None
        ctx.audit("document.issue", "document", d.id,
                  after={"number": d.number, "year": d.year, "seq": d.seq,
                         "issued_on": issued_on.isoformat(), "kind": d.kind})
        return docs.document_json(
            d, cal=await calendar_of(ctx.db, ctx.services[RULES].calendar(), d.commune_id))
