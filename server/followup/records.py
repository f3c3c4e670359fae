"""Loading what the follow-up needs from the database, in a few queries per commune:
conferences, petitions with their answers, issued documents and their first dispatch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Answer, Commune, Conference, Dispatch, Document, Petition, Setting
from server.domain import petition_lifecycle as lifecycle
from server.domain.calendar import LOCAL_DAYS_SETTING, WorkCalendar, commune_calendar, local_days_of
from server.domain.local_time import local_date
from server.domain.rule_profiles import RuleProfile
from server.followup.state import DocumentEvents


@dataclass
class PetitionRecord:
    petition: Petition
    latest: Answer | None
    first_answer_on: date | None
    reply_issued_on: date | None = None
    reply_sent_on: date | None = None
    conference_day: date | None = None  # the day of its conference, if it has one

    @property
    def state(self) -> str:
        return lifecycle.petition_state(self.latest.outcome if self.latest else None,
                                        self.petition.status)

    @property
    def raised_on(self) -> date:
        return lifecycle.raised_on(self.conference_day, local_date(self.petition.created_at))

    @property
    def resolved_on(self) -> date | None:
        """The stored day it was marked resolved (Petition.resolved_on), never its last change."""
        return lifecycle.resolved_on(self.petition.status, self.petition.resolved_on)

    def dates(self, profile: RuleProfile, cal: WorkCalendar) -> lifecycle.PetitionDates:
        """Its state and every date of it, by the lifecycle's one set of rules: what the
        documents, the deadline board, the overview and the public results all read."""
        latest = self.latest
        return lifecycle.petition_dates(
            conference_day=self.conference_day, recorded_on=local_date(self.petition.created_at),
            answer_outcome=latest.outcome if latest else None, status=self.petition.status,
            typed_due=latest.due_date if latest else None,
            stored_resolved_on=self.petition.resolved_on, profile=profile, cal=cal)


@dataclass
class ConferenceRecord:
    conference: Conference
    events: DocumentEvents
    petitions: list[PetitionRecord] = field(default_factory=list)

    @property
    def day(self) -> date:
        return local_date(self.conference.starts_at)


@dataclass
class CommuneRecord:
    commune: Commune
    conferences: list[ConferenceRecord]
    loose_petitions: list[PetitionRecord]  # petitions not tied to a conference


async def answers_by_petition(db: AsyncSession, petition_ids: Iterable[int]
                              ) -> dict[int, list[Answer]]:
    ids = list(petition_ids)
    out: dict[int, list[Answer]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = (await db.execute(select(Answer).where(Answer.petition_id.in_(ids[start:start + 500]))
                                 .order_by(Answer.petition_id, Answer.created_at, Answer.id))).scalars()
        for a in rows:
            out[a.petition_id].append(a)
    return out


async def first_dispatch(db: AsyncSession, document_ids: Iterable[int]) -> dict[int, date]:
    ids = list(document_ids)
    if not ids:
        return {}
    rows = await db.execute(select(Dispatch.document_id, func.min(Dispatch.sent_at))
                            .where(Dispatch.document_id.in_(ids)).group_by(Dispatch.document_id))
    out: dict[int, date] = {}
    for doc_id, sent in rows.all():
        if sent is not None:
            # SQLite returns the aggregate as text
            if isinstance(sent, str):
                from datetime import UTC, datetime
                sent = datetime.fromisoformat(sent)
                if sent.tzinfo is None:
                    sent = sent.replace(tzinfo=UTC)
            out[doc_id] = local_date(sent)
    return out


async def calendar_of(db: AsyncSession, base: WorkCalendar, commune_id: int) -> WorkCalendar:
    """The calendar a commune's deadlines are counted on: the install's, with the
    commune's own days off laid over it (server/domain/calendar.py)."""
    setting = await db.get(Setting, (commune_id, LOCAL_DAYS_SETTING))
    return commune_calendar(base, local_days_of(setting.value if setting else None))


def issued_on(document: Document) -> date | None:
    """The date printed on an issued document (it may be earlier than the day it was
    entered in the app); the day it was issued in the app otherwise."""
    printed = ((document.content or {}).get("doc") or {}).get("header", {}).get("issued_on")
    if isinstance(printed, str) and len(printed) == 10:
        try:
            return date.fromisoformat(printed)
        except ValueError:
            pass
    return local_date(document.issued_at) if document.issued_at else None


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(x for x in (a, b) if x) if (a or b) else None


async def load_commune(db: AsyncSession, commune_id: int, conference_ids: list[int] | None = None,
                       year: int | None = None) -> CommuneRecord:
    """Everything the deadlines, documents and overview need for one commune."""
    commune = await db.get(Commune, commune_id)
    assert commune is not None
    cq = select(Conference).where(Conference.commune_id == commune_id,
                                  Conference.status != "cancelled")
    if conference_ids is not None:
        cq = cq.where(Conference.id.in_(conference_ids))
    if year is not None:
        cq = cq.where(Conference.year == year)
    conferences = list((await db.execute(cq.order_by(Conference.starts_at))).scalars())
    conf_ids = [c.id for c in conferences]
    pq = select(Petition).where(Petition.commune_id == commune_id)
    if conference_ids is not None or year is not None:
        pq = pq.where(Petition.conference_id.in_(conf_ids))
    petitions = list((await db.execute(pq.order_by(Petition.id))).scalars())
    answers = await answers_by_petition(db, (p.id for p in petitions))
    docs = list((await db.execute(select(Document).where(
        Document.commune_id == commune_id, Document.status == "issued"))).scalars())
    sent = await first_dispatch(db, (d.id for d in docs))

    by_conf: dict[int, dict[str, date | None]] = defaultdict(dict)
    replies: dict[int, tuple[date | None, date | None]] = {}
    for d in docs:
        issued = issued_on(d)
        if d.kind == "reply" and d.petition_id:
            old = replies.get(d.petition_id, (None, None))
            replies[d.petition_id] = (_earliest(old[0], issued), _earliest(old[1], sent.get(d.id)))
            continue
        if d.conference_id is None:
            continue
        ev = by_conf[d.conference_id]
        for kind, name in (("conclusion", "conclusion"), ("report", "report"),
                           ("announcement", "announcement")):
            if d.kind == kind:
                ev[f"{name}_issued"] = _earliest(ev.get(f"{name}_issued"), issued)
                if name != "announcement":
                    ev[f"{name}_sent"] = _earliest(ev.get(f"{name}_sent"), sent.get(d.id))

    records: dict[int, ConferenceRecord] = {}
    for c in conferences:
        ev = by_conf.get(c.id, {})
        records[c.id] = ConferenceRecord(c, DocumentEvents(
            conclusion_issued=ev.get("conclusion_issued"), conclusion_sent=ev.get("conclusion_sent"),
            report_issued=ev.get("report_issued"), report_sent=ev.get("report_sent"),
            announcement_issued=ev.get("announcement_issued"),
            announced_on=local_date(c.announced_at) if c.announced_at else None))
    loose: list[PetitionRecord] = []
    for p in petitions:
        alist = answers.get(p.id, [])
        reply = replies.get(p.id, (None, None))
        conf_rec = records.get(p.conference_id) if p.conference_id is not None else None
        rec = PetitionRecord(p, alist[-1] if alist else None,
                             local_date(alist[0].created_at) if alist else None, reply[0], reply[1],
                             conf_rec.day if conf_rec else None)
        if p.conference_id in records:
            records[p.conference_id].petitions.append(rec)
        elif p.conference_id is None:
            loose.append(rec)
    return CommuneRecord(commune, [records[c.id] for c in conferences], loose)
