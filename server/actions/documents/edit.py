"""Edit a draft's text: objects merge, lists replace; an issued document is frozen.

Input: the document and its ``content`` (a JSON object). Permission: ``draft_documents``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from server.actions.documents import document_of
from server.api.formats import JsonObject
from server.api.schemas import Input as JsonInput
from server.executor import Action, Context
from server.followup import documents_db as docs
from server.followup.records import calendar_of
from server.keys import RULES


class DocumentPatch(JsonInput):
    content: Annotated[dict[str, Any], JsonObject]


class Input(DocumentPatch):
    document_id: int = Field(ge=1)


class EditDocument(Action):
    name = "document.edit"
    permission = "draft_documents"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        d = await document_of(ctx.db, ctx.actor, data.document_id)
        before = d.content.get("doc")
        docs.apply_edit(d, data.content)
        await ctx.db.flush()
        ctx.audit("document.edit", "document", d.id, before={"doc": before},
                  after={"doc": d.content.get("doc")})
        return docs.document_json(
            d, cal=await calendar_of(ctx.db, ctx.services[RULES].calendar(), d.commune_id))
