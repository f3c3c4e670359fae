"""Record that an issued document was sent to someone (on paper, by hand, by e-mail, ...).

Input: the document, the ``recipient``, the ``channel`` and a ``note``. Permission:
``draft_documents``.
"""

from __future__ import annotations

from pydantic import Field

from server.actions.dispatches import dispatch_json
from server.actions.documents import document_of
from server.api.schemas import Input as JsonInput
from server.api.schemas import Line, OneOf
from server.db.models import Dispatch
from server.domain import limits
from server.domain.documents import DispatchChannel, DocumentStatus
from server.domain.errors import Conflict
from server.executor import Action, Context


class DispatchIn(JsonInput):
    recipient: Line(limits.RECIPIENT, 1)
    channel: OneOf(DispatchChannel) = DispatchChannel.PAPER.value
    note: Line(limits.NOTE) = ""


class Input(DispatchIn):
    document_id: int = Field(ge=1)


class AddDispatch(Action):
    name = "dispatch.add"
    permission = "draft_documents"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        d = await document_of(ctx.db, ctx.actor, data.document_id)
        if d.status != DocumentStatus.ISSUED:
            raise Conflict("document_not_issued", "Chỉ gửi được văn bản đã ban hành (đã có số).")
        x = Dispatch(document_id=d.id, recipient=data.recipient, channel=data.channel,
                     note=data.note)
        ctx.db.add(x)
        await ctx.db.flush()
        ctx.audit("document.dispatch", "document", d.id,
                  after={"recipient": x.recipient, "channel": x.channel, "note": x.note})
        return dispatch_json(x)
