"""Discard a draft; an issued document is never deleted.

Input: the document. Permission: ``draft_documents``.
"""

from __future__ import annotations

from pydantic import Field

from server.actions.documents import document_of
from server.api.schemas import Input as JsonInput
from server.domain.documents import DocumentStatus
from server.domain.errors import Conflict
from server.executor import Action, Context


class Input(JsonInput):
    document_id: int = Field(ge=1)


class DeleteDocument(Action):
    name = "document.delete"
    permission = "draft_documents"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        d = await document_of(ctx.db, ctx.actor, data.document_id)
        if d.status != DocumentStatus.DRAFT:
            raise Conflict("document_issued", "Văn bản đã ban hành thì không xóa được.")
        ctx.audit("document.discard", "document", d.id,
                  before={"kind": d.kind, "doc": d.content.get("doc")})
        await ctx.db.delete(d)
        return {"ok": True}
