"""A written opinion from a phone in the hall (petition.write_opinion).

A citizen who does not want to speak writes an opinion on the phone page (ý kiến bằng
văn bản): it becomes a petition of the conference, source ``written``, waiting for the
secretary's review (``needs_review``), in the commune's "Khác" field until the
secretary files it. Input: the conference, name, hamlet, the opinion, consent to the
full name. Permission: the phone page (a public actor) or anyone who records
petitions. Audit: ``petition.write_opinion``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select

from server.actions.petitions import FIELDS, index, petition_out
from server.api.schemas import Input as JsonInput
from server.api.schemas import Line, Para, RecordId
from server.auth import Actor
from server.commands import audit, scope
from server.db.models import Petition, PetitionField
from server.domain import limits
from server.domain.errors import Invalid, forbidden
from server.domain.petitions import PetitionSource
from server.domain.roles import can
from server.executor import Action, Context


class Input(JsonInput):
    conference_id: RecordId
    raised_by: Line(limits.PERSON_NAME, 1)
    hamlet: Line(limits.HAMLET, 1)
    content: Para(limits.LONG_TEXT, 1)
    consent_full_name: bool = Field(default=False)


class WriteOpinion(Action):
    name = "petition.write_opinion"
    permission = None  # the phone page; checked below
    Input = Input

    def authorize(self, actor: Actor | None, data: Any) -> None:
        if actor is not None and (actor.kind == "public" or (
                actor.kind == "user" and can(actor.role, "record_petition"))):
            return
        raise forbidden()

    async def run(self, ctx: Context, data: Input) -> Any:
        await scope.conference(ctx.db, ctx.actor, data.conference_id)
        fields = list((await ctx.db.execute(select(PetitionField).where(
            PetitionField.commune_id == ctx.actor.commune_id, PetitionField.active.is_(True))
            .order_by(PetitionField.position))).scalars())
        if not fields:
            raise Invalid("no_field", "Xã chưa có lĩnh vực kiến nghị nào đang dùng.")
        field = next((f for f in fields if f.code == "other"), fields[-1])
        p = Petition(commune_id=ctx.actor.commune_id, conference_id=data.conference_id,
                     raised_by=data.raised_by, hamlet=data.hamlet, content=data.content,
                     consent_full_name=data.consent_full_name, field_id=field.id,
                     source=PetitionSource.WRITTEN.value, needs_review=True)
        index(p, field.name)
        ctx.db.add(p)
        await ctx.db.flush()
        await ctx.db.refresh(p, ["field"])
        ctx.audit("petition.write_opinion", "petition", p.id, after=audit.snapshot(p, FIELDS))
        return petition_out(p)
