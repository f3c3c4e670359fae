"""Official documents drafted from the conference record, edited, issued with a
number and rendered to DOCX/PDF.

A draft is the builder's input as JSON in ``Document.content["doc"]``, taken
from the database when the draft is made and editable until it is issued.
Issuing freezes it: the number (one sequence per commune and year) and the
issue date are written into it, and it can no longer change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Commune, Conference, Document, Participant
from server.documents import build, format_number, kind_code, to_pdf, write_docx
from server.documents.builders import KIND_OF
from server.documents.formatting import count_text, lower_first, place_text
from server.documents.model import (
    AttendanceGroup,
    CommuneInfo,
    ConclusionNotice,
    ConferenceAnnouncement,
    ConferenceInfo,
    DocumentHeader,
    DocumentInputError,
    FieldTotals,
    HigherLevelReport,
    Invitation,
    IssuingBody,
    OpinionTotals,
    Person,
    PetitionConclusion,
    Signer,
    VerificationReply,
)
from server.domain.calendar import WorkCalendar, estimated_year_warning
from server.domain.documents import DOCUMENT_KIND_LABELS
from server.domain.errors import Conflict, Invalid, Unavailable
from server.domain.local_time import LOCAL_TZ, local_date
from server.domain.names import short_name
from server.domain.numbering import archive_codes, check_issue_date, drafting_unit
from server.domain.rule_profiles import PetitionOutcome, RuleProfile
from server.domain.salutations import addressee, with_salutation
from server.followup.docjson import ContentError, deep_merge, from_json, model_for, to_json
from server.followup.records import ConferenceRecord, PetitionRecord
from server.followup.records import issued_on as printed_issue_date

KIND_LABELS = {str(k): v for k, v in DOCUMENT_KIND_LABELS.items()}
DRAFTABLE = ("conclusion", "reply", "report", "invitation", "announcement", "minutes")
MODES = {"in_person": "trực tiếp", "online": "trực tuyến", "hybrid": "trực tiếp kết hợp trực tuyến"}
ATTENDANCE_LABELS = {"delegate": "đại biểu", "citizen_rep": "đại diện Nhân dân các thôn, tổ dân phố",
                     "citizen": "người dân"}
#: Header fields set when the document is issued, never by an edit.
FROZEN_HEADER = ("number", "issued_on", "year", "body")


# ---- the parts every document shares -------------------------------------------------


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def issuing_body(commune: Commune) -> IssuingBody:
    """"ỦY BAN NHÂN DÂN XÃ ĐỨC AN" -> ("ỦY BAN NHÂN DÂN", "XÃ ĐỨC AN")."""
    name = commune.issuing_body.strip().upper()
    head = "ỦY BAN NHÂN DÂN"
    if name.startswith(head + " ") and len(name) > len(head) + 1:
        lines = (head, name[len(head) + 1:])
    else:
        lines = (name,)
    return IssuingBody(name_lines=lines, code=commune.body_code or "UBND")


def commune_info(commune: Commune) -> CommuneInfo:
    name = _lower_first(commune.name.strip())  # "xã Đức An"
    return CommuneInfo(name=name, committee=f"Ủy ban nhân dân {name}",
                       front=f"Ủy ban Mặt trận Tổ quốc Việt Nam {name}",
                       higher_authority=commune.higher_authority.strip() or "Ủy ban nhân dân cấp trên")


def is_letter(kind: str) -> bool:
    """A letter (công văn) has no kind code: its number ends with the drafting unit."""
    return KIND_OF[model_for(kind)] is None


def header(commune: Commune, year: int, signer_name: str, recipients: tuple[str, ...],
           kind: str) -> DocumentHeader:
    """The header of a draft: the drafting unit of the commune's setting for this kind
    ends a letter's number (``07/UBND-VP``) and follows "VT" in the archive line."""
    unit = drafting_unit(commune.drafting_units, kind)
    return DocumentHeader(body=issuing_body(commune), place=commune.place_name,
                          signer=Signer(name=signer_name), year=year, recipients=recipients,
                          archive=archive_codes(unit),
                          unit_code=unit if is_letter(kind) else None)


def local_naive(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, second=0, microsecond=0)


def chairs(conf: Conference, commune: Commune) -> tuple[Person, ...]:
    out = []
    chair = conf.chair_name.strip() or commune.chairman_name.strip()
    if chair:
        out.append(Person(name=chair, role="Chủ tịch Ủy ban nhân dân xã"))
    if conf.council_name.strip():
        out.append(Person(name=conf.council_name.strip(), role="đại diện Thường trực Hội đồng nhân dân xã"))
    if conf.front_name.strip():
        out.append(Person(name=conf.front_name.strip(), role="đại diện Ủy ban Mặt trận Tổ quốc Việt Nam xã"))
    return tuple(out)


async def conference_info(db: AsyncSession, conf: Conference, commune: Commune) -> ConferenceInfo:
    """Time, place, chairs and attendance (checked-in participants by kind)."""
    rows = (await db.execute(select(Participant.kind, func.count(Participant.id)).where(
        Participant.conference_id == conf.id, Participant.checked_in_at.is_not(None))
        .group_by(Participant.kind))).all()
    by_kind = dict(rows)
    groups = tuple(AttendanceGroup(label, by_kind[k]) for k, label in ATTENDANCE_LABELS.items()
                   if by_kind.get(k))
    topics = tuple(t.strip(" -•;.") for t in re.split(r"[\n;]+", conf.content) if t.strip(" -•;."))
    return ConferenceInfo(
        title=conf.title, starts_at=local_naive(conf.starts_at), venue=conf.venue,
        chairs=chairs(conf, commune), attendance=groups,
        attendance_total=sum(by_kind.values()) if by_kind else None,
        ends_at=local_naive(conf.ends_at) if conf.ends_at else None,
        mode=MODES.get(conf.format, "trực tiếp"), topics=topics)


def signer_name(conf: Conference | None, commune: Commune) -> str:
    return (commune.chairman_name.strip() or (conf.chair_name.strip() if conf else "")
            or "(họ và tên)")


def printed_name(full: str, consent: bool) -> str:
    """Documents that go to the public: the full name only with consent."""
    return full.strip() if consent else short_name(full)


# ---- drafts ------------------------------------------------------------------------


@dataclasses.dataclass
class Draft:
    doc: Any  # builder input dataclass
    petition_ids: list[int]
    notes: list[str]


def petition_conclusion(p: PetitionRecord, profile: RuleProfile, cal: WorkCalendar,
                        public: bool = True) -> PetitionConclusion:
    """One petition as the conclusion notice prints it, with the lifecycle's dates
    (``public=False``: the full name, for the internal minutes)."""
    pet, ans = p.petition, p.latest
    d = p.dates(profile, cal)
    outcome = d.outcome
    name = printed_name(pet.raised_by, pet.consent_full_name) if public else pet.raised_by.strip()
    who = with_salutation(pet.salutation, name)
    return PetitionConclusion(
        petitioner=who, field=pet.field.name, summary=pet.content,
        conclusion=ans.text if ans else "", outcome=outcome, hamlet=pet.hamlet,
        unit=ans.unit if ans and outcome in (PetitionOutcome.ASSIGNED,
                                             PetitionOutcome.NEEDS_VERIFICATION) else "",
        due=d.due,
        authority=((ans.unit if ans else "") or pet.authority)
        if outcome == PetitionOutcome.FORWARDED else "",
        reply_due=d.written_reply_due if d.promised_beyond_period else None)


def draft_conclusion(rec: ConferenceRecord, commune: Commune, info: ConferenceInfo,
                     profile: RuleProfile, cal: WorkCalendar) -> Draft:
    """Every petition of the conference, also one without a conclusion yet, so the
    notice counts what the report counts."""
    conf = rec.conference
    items, ids, notes = [], [], []
    for p in rec.petitions:
        item = petition_conclusion(p, profile, cal)
        d = p.dates(profile, cal)
        if item.outcome is None:
            notes.append(f"Kiến nghị #{p.petition.id} chưa có kết luận: thông báo ghi hội nghị chưa "
                         "kết luận nội dung này.")
        if d.promised_beyond_period:
            notes.append(f"Kiến nghị #{p.petition.id}: ngày có kết quả xác minh "
                         f"{d.verification_due:%d/%m/%Y} sau thời hạn trả lời bằng văn bản "
                         f"({d.written_reply_due:%d/%m/%Y}); thông báo ghi cả hai ngày.")
        items.append(item)
        ids.append(p.petition.id)
    cm = commune_info(commune)
    recipients = ("Thường trực Đảng ủy xã", "Thường trực Hội đồng nhân dân xã",
                  "Ủy ban Mặt trận Tổ quốc Việt Nam xã", cm.higher_authority,
                  "Các thôn, tổ dân phố", "Các cơ quan, tổ chức, cá nhân có liên quan")
    doc = ConclusionNotice(
        header=header(commune, conf.year, signer_name(conf, commune), recipients, "conclusion"),
        commune=cm, conference=info, petitions=tuple(items))
    return Draft(doc, ids, notes)


def opinion_totals(states: list[str]) -> OpinionTotals:
    c = Counter(states)
    return OpinionTotals(total=len(states), answered=c["answered"], resolved=c["resolved"],
                         pending=c["assigned"] + c["verifying"] + c["open"], forwarded=c["forwarded"])


def recommendation(higher: str, where: str, field: str, content: str) -> str:
    """"Đề nghị Ủy ban nhân dân tỉnh chỉ đạo Sở ... xem xét, giải quyết kiến nghị về ...".
    Forwarded to the higher level itself: "Đề nghị Ủy ban nhân dân tỉnh xem xét, ..."."""
    what = f"kiến nghị của Nhân dân về lĩnh vực {lower_first(field)}: {lower_first(content).rstrip('.;')}"
    if not where or where.strip().lower() == higher.strip().lower():
        return f"Đề nghị {higher} xem xét, giải quyết {what}"
    return f"Đề nghị {higher} chỉ đạo {where} xem xét, giải quyết {what}"


def draft_report(rec: ConferenceRecord, commune: Commune, info: ConferenceInfo) -> Draft:
    conf = rec.conference
    by_field: dict[str, list[str]] = {}
    for p in rec.petitions:
        by_field.setdefault(p.petition.field.name, []).append(p.state)
    states = [p.state for p in rec.petitions]
    prep = ["Ủy ban nhân dân xã xây dựng kế hoạch, phối hợp với Ủy ban Mặt trận Tổ quốc Việt Nam xã "
            "chuẩn bị nội dung hội nghị"]
    if conf.announced_at:
        prep.append("Thông báo công khai thời gian, địa điểm, nội dung và cách thức tham gia hội nghị "
                    f"từ ngày {conf.announced_at.astimezone(LOCAL_TZ):%d/%m/%Y}")
    before = sum(1 for p in rec.petitions if p.petition.source == "before")
    if before:
        prep.append(f"Tổng hợp {count_text(before)} ý kiến, kiến nghị của Nhân dân gửi trước hội nghị")
    cm = commune_info(commune)
    recs = []
    for p in rec.petitions:
        if p.state == "forwarded" or p.petition.competence == "higher":
            where = (p.latest.unit if p.latest and p.latest.unit else p.petition.authority) \
                or "các cơ quan có thẩm quyền"
            recs.append(recommendation(cm.higher_authority, where, p.petition.field.name,
                                       p.petition.content))
    doc = HigherLevelReport(
        header=header(commune, conf.year, signer_name(conf, commune),
                      ("Như trên", "Thường trực Đảng ủy xã", "Thường trực Hội đồng nhân dân xã"),
                      "report"),
        commune=cm, conference=info, totals=opinion_totals(states),
        preparation=tuple(prep),
        assessment=("Hội nghị được tổ chức dân chủ, công khai, đúng kế hoạch; Nhân dân tham gia "
                    "phát biểu, nêu ý kiến, kiến nghị trực tiếp",),
        recommendations=tuple(recs) or ("Không có kiến nghị vượt thẩm quyền của xã",),
        by_field=tuple(FieldTotals(f, opinion_totals(s)) for f, s in by_field.items()))
    return Draft(doc, [p.petition.id for p in rec.petitions], [])


def draft_reply(rec: ConferenceRecord, p: PetitionRecord, commune: Commune, profile: RuleProfile,
                cal: WorkCalendar) -> Draft:
    pet, ans = p.petition, p.latest
    if p.state != "verifying" or ans is None:
        raise Conflict("not_verifying",
                       f"Kiến nghị #{pet.id} không ở trạng thái cần kiểm tra, xác minh nên không "
                       "cần văn bản trả lời loại này.")
    d = p.dates(profile, cal)
    assert d.verification_due is not None
    cm = commune_info(commune)
    notes = []
    if d.promised_beyond_period:
        notes.append(f"Văn bản này cần ban hành chậm nhất ngày {d.written_reply_due:%d/%m/%Y} "
                     f"(thời hạn trả lời bằng văn bản); kết quả hẹn ngày {d.verification_due:%d/%m/%Y}.")
    doc = VerificationReply(
        header=header(commune, rec.conference.year, signer_name(rec.conference, commune),
                      ("Như trên", ans.unit or "Bộ phận chuyên môn Ủy ban nhân dân xã"), "reply"),
        commune=cm,
        addressee=addressee(pet.salutation, pet.raised_by, place_text(pet.hamlet) if pet.hamlet else "",
                            cm.name),
        raised_on=d.raised_on, raised_at=rec.conference.title, content=pet.content,
        requirements=(ans.text or "Kiểm tra, xác minh nội dung kiến nghị và hồ sơ có liên quan",),
        timeline=(), reply_by=d.verification_due,
        responsible=ans.unit or "Ủy ban nhân dân xã",
        person=with_salutation(pet.salutation, pet.raised_by))
    return Draft(doc, [pet.id], notes)


def draft_invitation(conf: Conference, commune: Commune, info: ConferenceInfo,
                     invitee: Participant | None) -> Draft:
    if invitee is None:
        who = "Đại biểu và đại diện Nhân dân các thôn, tổ dân phố"
    else:
        who = addressee(invitee.salutation, invitee.full_name, invitee.title,
                        place_text(invitee.hamlet) if invitee.hamlet else "")
    doc = Invitation(header=header(commune, conf.year, signer_name(conf, commune), ("Như trên",),
                                   "invitation"),
                     commune=commune_info(commune), conference=info, invitee=who)
    return Draft(doc, [], [])


def draft_announcement(conf: Conference, commune: Commune, info: ConferenceInfo) -> Draft:
    how = tuple(x.strip() for x in conf.how_to_attend.splitlines() if x.strip()) or (
        "Mọi người dân trên địa bàn xã đều có thể đến dự, phát biểu và gửi kiến nghị trực tiếp tại hội nghị",)
    doc = ConferenceAnnouncement(
        header=header(commune, conf.year, signer_name(conf, commune),
                      ("Các thôn, tổ dân phố", "Đài truyền thanh xã", "Cổng thông tin điện tử xã"),
                      "announcement"),
        commune=commune_info(commune), conference=info,
        purpose=conf.purpose or "Nắm bắt tâm tư, nguyện vọng và giải quyết kiến nghị của Nhân dân",
        how_to_take_part=how)
    return Draft(doc, [], [])


def content_of(draft: Draft, **extra: Any) -> dict[str, Any]:
    return {"doc": to_json(draft.doc), "petition_ids": draft.petition_ids, "notes": draft.notes, **extra}


# ---- reading, checking, editing ----------------------------------------------------------


def doc_data(document: Document) -> Any:
    """The builder input of a stored document (raises ContentError if it is damaged)."""
    return from_json(model_for(document.kind), document.content.get("doc", {}))


def problems(data: Any) -> list[dict[str, str]]:
    """What stops the document from being issued, as the builder says it."""
    try:
        build(data)
    except DocumentInputError as exc:
        return [{"code": exc.code, "message": exc.message}]
    return []


def apply_edit(document: Document, patch: dict[str, Any]) -> None:
    if document.status != "draft":
        raise Conflict("document_issued",
                       "Văn bản đã ban hành, không sửa được nữa; hãy lập văn bản mới nếu cần.")
    head = patch.get("header")
    if isinstance(head, dict):
        frozen = sorted(set(head) & set(FROZEN_HEADER))
        if frozen:
            raise Invalid("frozen_field",
                           f"Không sửa trực tiếp {', '.join(frozen)}: số và ngày được cấp khi ban hành.")
    merged = deep_merge(document.content.get("doc", {}), patch)
    try:
        data = from_json(model_for(document.kind), merged)
    except ContentError as exc:
        raise Invalid("invalid_content", f"Nội dung không hợp lệ — {exc.path}: {exc.message}",
                       [{"field": exc.path, "code": "invalid_content", "message": exc.message}]) from None
    document.content = {**document.content, "doc": to_json(data)}


def number_text(document: Document, data: Any, commune: Commune) -> str:
    return format_number(document.seq, kind_code(data), data.header.body.code or commune.body_code,
                         data.header.unit_code)


async def last_issued(db: AsyncSession, commune_id: int, year: int,
                      exclude: int | None = None) -> Document | None:
    """The document with the largest number of the register (the commune's year)."""
    q = select(Document).where(Document.commune_id == commune_id, Document.year == year,
                               Document.status == "issued", Document.seq.is_not(None))
    if exclude is not None:
        q = q.where(Document.id != exclude)
    return (await db.execute(q.order_by(Document.seq.desc()).limit(1))).scalar_one_or_none()


async def issue(db: AsyncSession, document: Document, commune: Commune, issued_on: date,
                today: date | None = None) -> None:
    """Give the draft the next number of its commune and year, inside the caller's transaction.

    The issue date is checked first (server/domain/numbering.py): never earlier than the
    date of the register's last number, never later than today.
    The row is written first, so on SQLite the transaction holds the write lock before
    it reads the largest number; the unique key (commune, year, seq) is the last word:
    on a clash (PostgreSQL, two issues at once) the number is taken again.
    """
    if document.status != "draft":
        raise Conflict("document_issued", f"Văn bản đã ban hành với số {document.number}.")
    today = today or local_date(datetime.now(UTC))
    last = await last_issued(db, document.commune_id, issued_on.year, exclude=document.id)
    check_issue_date(issued_on, printed_issue_date(last) if last else None, today,
                     last.number if last else "")
    data = doc_data(document)
    data = dataclasses.replace(data, header=dataclasses.replace(
        data.header, number=1, issued_on=issued_on, year=issued_on.year))
    found = problems(data)
    if found:
        raise Invalid(found[0]["code"], f"Chưa ban hành được: {found[0]['message']}")
    document.status = "issued"
    document.issued_at = datetime.now(UTC)
    document.year = issued_on.year
    await db.flush()
    commune_id, year = document.commune_id, issued_on.year  # plain values: a rolled-back
    seq = None                                               # savepoint expires the row
    for _attempt in range(20):
        try:
            async with db.begin_nested():
                top = (await db.execute(select(func.max(Document.seq)).where(
                    Document.commune_id == commune_id, Document.year == year))).scalar_one()
                seq = (top or 0) + 1
                document.seq = seq
                document.year = year
                await db.flush()
            break
        except IntegrityError:
            await asyncio.sleep(0.01)
    else:
        raise Unavailable("numbering_busy", "Đang cấp số cho văn bản khác; vui lòng thử lại.")
    await db.refresh(document)  # a rolled-back savepoint expires the row
    final = dataclasses.replace(data, header=dataclasses.replace(data.header, number=document.seq))
    document.number = number_text(document, final, commune)
    document.content = {**document.content, "doc": to_json(final)}
    await db.flush()


# ---- files -------------------------------------------------------------------------------


def _slug(text: str) -> str:
    import unicodedata

    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "-", t).strip("-").lower()


FILE_STEMS = {"conclusion": "thong-bao-ket-luan", "reply": "van-ban-tra-loi", "report": "bao-cao",
              "invitation": "giay-moi", "announcement": "thong-bao-to-chuc", "minutes": "bien-ban"}


def file_stem(document: Document) -> str:
    num = _slug(document.number.split("/")[0]) if document.number else "du-thao"
    return f"{FILE_STEMS.get(document.kind, 'van-ban')}-{num}-{document.year}-{document.id}"


def _content_hash(document: Document) -> str:
    raw = json.dumps(document.content.get("doc", {}), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def docx_path(document: Document, folder: Path) -> Path:
    """Build (or reuse) the DOCX of the document's current content."""
    out = folder / str(document.id)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{file_stem(document)}-{_content_hash(document)}.docx"
    if not path.is_file():
        write_docx(build(doc_data(document)), path)
    return path


async def pdf_path(document: Document, folder: Path, lock: asyncio.Lock) -> Path:
    async with lock:
        src = await asyncio.to_thread(docx_path, document, folder)
        pdf = src.with_suffix(".pdf")
        if not pdf.is_file():
            await asyncio.to_thread(to_pdf, src)
        return pdf


_ISO_DAY = re.compile(r"^(\d{4})-\d{2}-\d{2}")


def content_years(value: Any) -> set[int]:
    """The years of every date in a document's content (dates, times, the draft's year)."""
    if isinstance(value, dict):
        years = {y for v in value.values() for y in content_years(v)}
        if isinstance(value.get("year"), int) and not isinstance(value.get("year"), bool):
            years.add(value["year"])
        return years
    if isinstance(value, list):
        return {y for v in value for y in content_years(v)}
    if isinstance(value, str) and (m := _ISO_DAY.match(value)):
        return {int(m.group(1))}
    return set()


def date_warnings(document: Document, cal: WorkCalendar | None) -> list[dict[str, str]]:
    """A draft whose date or deadlines fall in a year whose calendar is partly estimated
    (server/domain/calendar.py): one warning per such year."""
    if cal is None or document.status != "draft":
        return []
    out = []
    for year in sorted(content_years(document.content.get("doc", {}))):
        text = estimated_year_warning(cal, year)
        if text:
            out.append({"code": "calendar_estimated", "message": text})
    return out


def document_json(document: Document, dispatches: int = 0,
                  cal: WorkCalendar | None = None) -> dict[str, Any]:
    """The document for the tablet; with the calendar, also the warnings of estimated years."""
    try:
        data = doc_data(document)
        found = problems(data) if document.status == "draft" else []
    except ContentError as exc:
        found = [{"code": "invalid_content", "message": str(exc)}]
    return {
        "warnings": date_warnings(document, cal),
        "id": document.id, "kind": document.kind, "kind_label": KIND_LABELS.get(document.kind, document.kind),
        "conference_id": document.conference_id, "petition_id": document.petition_id,
        "status": document.status, "year": document.year, "seq": document.seq,
        "number": document.number, "issued_at": document.issued_at, "created_at": document.created_at,
        "content": document.content.get("doc", {}), "notes": document.content.get("notes", []),
        "problems": found, "dispatches": dispatches,
        "docx_url": f"/api/documents/{document.id}/docx", "pdf_url": f"/api/documents/{document.id}/pdf",
    }
