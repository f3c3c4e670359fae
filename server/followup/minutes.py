"""The minutes (biên bản) drafted from the conference record, as a numbered document.

What goes in, and where it comes from:

- time, place, chairs with their titles and the Fatherland Front's representative: the
  conference (``documents_db.conference_info``, the same lines as the notice and report);
- the secretary's name and title: typed when the minutes are drafted (the account's name
  is not a person's name), else the secretary of the commune's last minutes;
- attendance: the check-in list (invited / invited and present / everyone checked in by
  kind);
- each speaking turn: who, when, the topic given in the queue, the transcript (text a
  person wrote or confirmed; an unconfirmed machine draft is marked), the answers
  recorded in it; grouped by the run-of-show's parts (``server/domain/phases.py``) when
  the moderator moved between them;
- every petition, also those without a conclusion, with its state and conclusion from
  the one lifecycle (``server/domain/petition_lifecycle.py``).

``load_minutes_record`` reads the rows; ``draft_minutes`` is pure.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Answer,
    Commune,
    Conference,
    Document,
    Participant,
    SpeakingTurn,
    TranscriptSegment,
    TurnPetition,
)
from server.documents.model import Answer as AnswerLine
from server.documents.model import (
    ConferenceInfo,
    Minutes,
    MinutesPetition,
    Person,
    PhaseTurns,
    Turn,
)
from server.domain import petition_lifecycle as lifecycle
from server.domain import phases as run_of_show
from server.domain.calendar import WorkCalendar
from server.domain.rule_profiles import RuleProfile
from server.domain.salutations import with_salutation
from server.followup.documents_db import (
    Draft,
    commune_info,
    header,
    local_naive,
    petition_conclusion,
    signer_name,
)
from server.followup.records import ConferenceRecord
from server.transcripts.rules import HUMAN

MACHINE_MARK = "[bản nháp máy, chưa kiểm tra] "
BEFORE_PROGRAMME = "Trước khi vào chương trình"
RECIPIENTS = ("Thường trực Đảng ủy xã", "Thường trực Hội đồng nhân dân xã",
              "Ủy ban Mặt trận Tổ quốc Việt Nam xã")


@dataclass
class SpokenTurn:
    """One turn's rows: the turn, its transcript, the petitions linked to it, the answers
    given in it, and the speaker's salutation when they are on the list."""

    turn: SpeakingTurn
    segment: TranscriptSegment | None
    field: str = ""  # the field of its first linked petition
    answers: list[Answer] = dataclasses.field(default_factory=list)
    salutation: str = ""


@dataclass
class MinutesRecord:
    turns: list[SpokenTurn]
    invited: int
    invited_present: int
    last_secretary: Person | None


async def load_minutes_record(db: AsyncSession, conf: Conference, rec: ConferenceRecord
                              ) -> MinutesRecord:
    """The turns that were spoken (in order), the check-in counts, the last secretary."""
    turns = list((await db.execute(select(SpeakingTurn).where(
        SpeakingTurn.conference_id == conf.id))).scalars())
    ids = [t.id for t in turns]
    segs = {s.turn_id: s for s in (await db.execute(select(TranscriptSegment).where(
        TranscriptSegment.turn_id.in_(ids)))).scalars()} if ids else {}
    turns = [t for t in turns if t.started_at is not None or t.id in segs]  # never spoke: out
    turns.sort(key=lambda t: (t.started_at is None, t.started_at or conf.starts_at, t.id))
    fields = {p.petition.id: p.petition.field.name for p in rec.petitions}
    first_link: dict[str, int] = {}
    if ids:
        for tp in (await db.execute(select(TurnPetition).where(TurnPetition.turn_id.in_(ids))
                                    .order_by(TurnPetition.petition_id))).scalars():
            first_link.setdefault(tp.turn_id, tp.petition_id)
    by_turn: dict[str, list[Answer]] = defaultdict(list)
    if ids:
        for a in (await db.execute(select(Answer).where(Answer.turn_id.in_(ids))
                                   .order_by(Answer.created_at, Answer.id))).scalars():
            by_turn[a.turn_id].append(a)
    pids = [t.participant_id for t in turns if t.participant_id]
    salutations = dict((await db.execute(select(Participant.id, Participant.salutation).where(
        Participant.id.in_(pids)))).all()) if pids else {}
    invited, present = (await db.execute(select(
        func.count(Participant.id), func.count(Participant.checked_in_at)).where(
        Participant.conference_id == conf.id, Participant.invited.is_(True)))).one()
    return MinutesRecord(
        turns=[SpokenTurn(t, segs.get(t.id), fields.get(first_link.get(t.id, 0), ""),
                          by_turn.get(t.id, []), salutations.get(t.participant_id, ""))
               for t in turns],
        invited=int(invited or 0), invited_present=int(present or 0),
        last_secretary=await last_secretary(db, conf.commune_id))


async def last_secretary(db: AsyncSession, commune_id: int) -> Person | None:
    """The secretary written in the commune's most recent minutes, if any."""
    rows = (await db.execute(select(Document).where(
        Document.commune_id == commune_id, Document.kind == "minutes")
        .order_by(Document.id.desc()).limit(5))).scalars()
    for d in rows:
        sec = (((d.content or {}).get("doc") or {}).get("conference") or {}).get("secretary")
        if isinstance(sec, dict) and isinstance(sec.get("name"), str) and sec["name"].strip():
            role = sec.get("role") if isinstance(sec.get("role"), str) else ""
            return Person(name=sec["name"].strip(), role=role.strip())
    return None


def transcript(seg: TranscriptSegment | None) -> tuple[str, bool]:
    """The text to print, and whether it is an unconfirmed machine draft."""
    if seg is None or not (seg.text or seg.machine_text).strip():
        return "", False
    if seg.origin == HUMAN or seg.confirmed:
        return seg.text.strip(), False
    return (seg.text or seg.machine_text).strip(), True


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def minutes_turn(s: SpokenTurn) -> Turn:
    t = s.turn
    text, machine = transcript(s.segment)
    return Turn(
        speaker=with_salutation(s.salutation, t.display_name.strip()), hamlet=t.hamlet,
        content=(MACHINE_MARK + text) if machine else text, topic=t.topic.strip(),
        field=s.field, at=local_naive(t.started_at) if t.started_at else None,
        answers=tuple(AnswerLine(by=a.answered_by, content=a.text.strip()
                                 or lifecycle.outcome_label(a.outcome)) for a in s.answers))


def by_phase(turns: list[SpokenTurn], log: tuple[tuple[str, datetime], ...]
             ) -> tuple[PhaseTurns, ...]:
    """The turns under the part of the run-of-show running when each began, the parts in
    the order they were first entered; a turn before the first part (or never started)
    goes under "Trước khi vào chương trình"."""
    log = tuple((p, _utc(at)) for p, at in log if p in run_of_show.LABELS)
    if not log:
        return ()
    first: dict[str, datetime] = {}
    for p, at in log:
        first.setdefault(p, at)
    groups: dict[str | None, list[Turn]] = {p: [] for p in first}
    before: list[Turn] = []
    for s in turns:
        phase = run_of_show.phase_at(log, _utc(s.turn.started_at)) if s.turn.started_at else None
        (groups[phase] if phase in groups else before).append(minutes_turn(s))
    out = [PhaseTurns(BEFORE_PROGRAMME, tuple(before))] if before else []
    out += [PhaseTurns(run_of_show.LABELS[p], tuple(groups[p]), local_naive(first[p]))
            for p in sorted(first, key=lambda p: first[p])]
    return tuple(out)


def draft_minutes(rec: ConferenceRecord, mrec: MinutesRecord, commune: Commune,
                  info: ConferenceInfo, profile: RuleProfile, cal: WorkCalendar,
                  phase_log: tuple[tuple[str, datetime], ...] = (),
                  secretary: Person | None = None) -> Draft:
    """The minutes' draft: pure, from the rows loaded above."""
    conf = rec.conference
    notes: list[str] = []
    sec = secretary or mrec.last_secretary or Person(name="", role="")
    if not sec.name.strip():
        notes.append("Cần ghi họ tên và chức vụ của thư ký hội nghị trước khi ban hành.")
    machine = sum(1 for s in mrec.turns if transcript(s.segment)[1])
    if machine:
        notes.append(f"{machine} lượt phát biểu chỉ có bản nháp máy chưa kiểm tra; hãy xác nhận "
                     "trên trang thư ký hoặc sửa trong biên bản trước khi ban hành.")
    petitions = []
    for p in rec.petitions:
        d = p.dates(profile, cal)
        item = petition_conclusion(p, profile, cal, public=False)
        petitions.append(MinutesPetition(petition=item,
                                         status=lifecycle.STATE_LABELS.get(d.state, d.state)))
        if item.outcome is None:
            notes.append(f"Kiến nghị #{p.petition.id} chưa có kết luận: biên bản ghi hội nghị chưa "
                         "kết luận nội dung này.")
    phases = by_phase(mrec.turns, phase_log)
    doc = Minutes(
        header=header(commune, conf.year, signer_name(conf, commune), RECIPIENTS, "minutes"),
        commune=commune_info(commune),
        conference=dataclasses.replace(info, secretary=sec),
        turns=() if phases else tuple(minutes_turn(s) for s in mrec.turns),
        agenda=info.topics, phases=phases, petitions=tuple(petitions),
        invited=mrec.invited, invited_present=mrec.invited_present)
    return Draft(doc, [p.petition.id for p in rec.petitions], notes)


def secretary_of(name: str | None, title: str | None) -> Person | None:
    """The secretary typed when drafting, if a name was typed."""
    return Person(name=name.strip(), role=(title or "").strip()) if name and name.strip() else None


__all__ = ["draft_minutes", "load_minutes_record", "secretary_of"]
