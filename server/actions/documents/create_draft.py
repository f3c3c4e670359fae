"""Draft a document from the conference record: a conclusion, a reply to one petition,
a report to the higher level, an invitation (to one participant or anyone), the
announcement of the conference or its minutes.

Input: the conference and the ``kind``; a reply names its ``petition_id``, an invitation
may name its ``participant_id``; the minutes take the secretary's ``secretary_name`` and
``secretary_title`` (else those of the commune's last minutes). Permission:
``draft_documents``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from server.api.schemas import Input as JsonInput
from server.api.schemas import Line
from server.commands import scope
from server.db.models import Commune, Document
from server.domain import limits
from server.domain.documents import DocumentKind
from server.domain.errors import Conflict, Invalid, not_found
from server.executor import Action, Context
from server.followup import documents_db as docs
from server.followup import minutes
from server.followup.records import calendar_of, load_commune
from server.keys import QUEUE, RULES

K = DocumentKind
DraftKind = Literal[K.CONCLUSION.value, K.REPLY.value, K.REPORT.value, K.INVITATION.value,
                    K.ANNOUNCEMENT.value, K.MINUTES.value]


class DraftIn(JsonInput):
    kind: DraftKind
    petition_id: int | None = Field(default=None, ge=1)
    participant_id: int | None = Field(default=None, ge=1)
    secretary_name: Line(limits.PERSON_NAME) | None = Field(
        default=None, description="Minutes: the conference secretary's full name")
    secretary_title: Line(limits.POSITION) | None = Field(
        default=None, description="Minutes: the secretary's position")


class Input(DraftIn):
    conference_id: int = Field(ge=1)


class CreateDraft(Action):
    name = "document.create_draft"
    permission = "draft_documents"
    Input = Input

    async def run(self, ctx: Context, data: Input) -> dict:
        db = ctx.db
        conf = await scope.conference(db, ctx.actor, data.conference_id)
        rules = ctx.services[RULES]
        commune = await db.get(Commune, conf.commune_id)
        profile = rules.profile(commune.rule_profile)
        cal = await calendar_of(db, rules.calendar(), conf.commune_id)
        info = await docs.conference_info(db, conf, commune)
        kind = data.kind
        petition_id = None
        if kind in (K.CONCLUSION, K.REPORT, K.REPLY, K.MINUTES):
            record = await load_commune(db, conf.commune_id, conference_ids=[conf.id])
            if not record.conferences:
                raise Conflict("conference_cancelled", "Hội nghị đã hủy.")
            rec = record.conferences[0]
            if kind == K.CONCLUSION:
                draft = docs.draft_conclusion(rec, commune, info, profile, cal)
            elif kind == K.REPORT:
                draft = docs.draft_report(rec, commune, info)
            elif kind == K.MINUTES:
                mrec = await minutes.load_minutes_record(db, conf, rec)
                queue = await ctx.services[QUEUE].load(db, conf.id)
                draft = minutes.draft_minutes(
                    rec, mrec, commune, info, profile, cal, queue.phases if queue else (),
                    minutes.secretary_of(data.secretary_name, data.secretary_title))
            else:
                if data.petition_id is None:
                    raise Invalid("petition_required", "Cần chọn kiến nghị cần trả lời.")
                p = next((x for x in rec.petitions if x.petition.id == data.petition_id), None)
                if p is None:
                    raise not_found(f"Hội nghị này không có kiến nghị số {data.petition_id}.")
                draft = docs.draft_reply(rec, p, commune, profile, cal)
                petition_id = p.petition.id
        elif kind == K.INVITATION:
            invitee = None
            if data.participant_id is not None:
                invitee = await scope.participant(db, ctx.actor, conf.id, data.participant_id)
            draft = docs.draft_invitation(conf, commune, info, invitee)
        else:
            draft = docs.draft_announcement(conf, commune, info)
        d = Document(commune_id=conf.commune_id, conference_id=conf.id, petition_id=petition_id,
                     kind=kind, year=conf.year, status="draft", content=docs.content_of(draft))
        db.add(d)
        await db.flush()
        ctx.audit("document.draft", "document", d.id,
                  after={"kind": kind, "conference_id": conf.id, "petition_id": petition_id})
        return docs.document_json(d, cal=cal)
