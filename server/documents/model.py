"""Inputs of the document builders: plain dataclasses, no database.

Text goes in as it should be printed (the caller decides what personal data
may appear); the builders normalise it to NFC and lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from server.domain.errors import RuleError
from server.domain.rule_profiles import PetitionOutcome


class DocumentInputError(RuleError):
    """Input a document cannot be built from."""


@dataclass(frozen=True)
class IssuingBody:
    """Top-left block. ``name_lines`` print bold capitals, ``parent_lines`` (the
    governing body, if any) regular capitals above them."""

    name_lines: tuple[str, ...]  # ("ỦY BAN NHÂN DÂN", "XÃ ĐẮK SONG")
    code: str = "UBND"  # in the number: 05/TB-UBND
    parent_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signer:
    name: str  # "Nguyễn Văn A"
    title: str = "CHỦ TỊCH"
    authority: str = "TM. ỦY BAN NHÂN DÂN"  # "" when the signer signs in their own name


@dataclass(frozen=True)
class DocumentHeader:
    body: IssuingBody
    place: str  # "Đắk Song" in "Đắk Song, ngày 05 tháng 02 năm 2026"
    signer: Signer
    number: int | None = None  # None: a draft, the number is left blank
    issued_on: date | None = None  # None: a draft, day and month left blank
    year: int | None = None  # year printed on a draft without issued_on
    recipients: tuple[str, ...] = ()  # "Như trên", "TT HĐND xã", ... (no "- ", no ";")
    archive: tuple[str, ...] = ("VT",)  # last line "- Lưu: VT, VP."
    unit_code: str | None = None  # drafting unit for letters (công văn): 12/UBND-VP


@dataclass(frozen=True)
class CommuneInfo:
    name: str  # "xã Đắk Song"
    committee: str  # "Ủy ban nhân dân xã Đắk Song"
    front: str  # "Ủy ban Mặt trận Tổ quốc Việt Nam xã Đắk Song"
    higher_authority: str  # "Ủy ban nhân dân tỉnh Lâm Đồng" (a setting of the commune)


@dataclass(frozen=True)
class Person:
    name: str  # "Nguyễn Văn A", or with a salutation "ông Nguyễn Văn A"
    role: str = ""  # "Chủ tịch Ủy ban nhân dân xã"


@dataclass(frozen=True)
class AttendanceGroup:
    label: str  # "đại biểu Hội đồng nhân dân xã"
    count: int | None = None


@dataclass(frozen=True)
class ConferenceInfo:
    title: str  # "Hội nghị đối thoại với Nhân dân năm 2026"
    starts_at: datetime  # local time
    venue: str
    chairs: tuple[Person, ...]
    attendance: tuple[AttendanceGroup, ...] = ()
    attendance_total: int | None = None
    secretary: Person | None = None
    ends_at: datetime | None = None
    mode: str = "trực tiếp"  # "trực tiếp", "trực tuyến", "trực tiếp kết hợp trực tuyến"
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldCount:
    field: str  # "đất đai"
    count: int


@dataclass(frozen=True)
class PetitionConclusion:
    petitioner: str  # as it may be printed, e.g. "ông Nguyễn Văn B" (salutation, then name)
    field: str
    summary: str  # what was asked
    conclusion: str  # the chairman's conclusion ("" while there is none)
    outcome: PetitionOutcome | None  # None: no conclusion yet; the notice still lists it
    hamlet: str = ""
    unit: str = ""  # assigned / needs verification: the responsible unit
    due: date | None = None  # assigned: deadline; needs verification: the result's date
    authority: str = ""  # forwarded: the competent authority
    # needs verification: the legal day of the written reply, when the result is promised later
    reply_due: date | None = None


DEFAULT_PUBLICITY: tuple[str, ...] = (
    "niêm yết công khai tại trụ sở Ủy ban nhân dân xã và nhà văn hóa các thôn, tổ dân phố",
    "đọc trên hệ thống truyền thanh cơ sở",
    "gửi đến trưởng thôn, tổ trưởng tổ dân phố và các cơ quan, tổ chức, cá nhân có liên quan",
)


@dataclass(frozen=True)
class ConclusionNotice:
    """Thông báo kết luận của Chủ tịch UBND xã tại hội nghị đối thoại (TB)."""

    header: DocumentHeader
    commune: CommuneInfo
    conference: ConferenceInfo
    petitions: tuple[PetitionConclusion, ...]
    opinions_by_field: tuple[FieldCount, ...] = ()  # empty: counted from ``petitions``
    publicity: tuple[str, ...] = DEFAULT_PUBLICITY
    chair_title: str = "Chủ tịch Ủy ban nhân dân xã"


@dataclass(frozen=True)
class TimelineStep:
    by: date
    what: str


@dataclass(frozen=True)
class VerificationReply:
    """Written reply to a citizen whose case needs verification (công văn)."""

    header: DocumentHeader
    commune: CommuneInfo
    addressee: str  # "Ông Nguyễn Văn B, thôn 3, xã Đắk Song" (server/domain/salutations.py)
    raised_on: date
    raised_at: str  # "Hội nghị đối thoại với Nhân dân năm 2026"
    content: str  # the petition as raised
    requirements: tuple[str, ...]  # what will be checked / what is needed from the person
    timeline: tuple[TimelineStep, ...]
    reply_by: date  # the date of the final answer
    responsible: str  # unit / person in charge
    contact: str = ""  # how to reach them
    subject: str = "trả lời kiến nghị của công dân"  # printed as "V/v ..."
    person: str = ""  # the person inside a sentence: "ông Nguyễn Văn B"; empty: "công dân"


@dataclass(frozen=True)
class OpinionTotals:
    """Each opinion counted once, by its state when the report is written."""

    total: int
    answered: int  # answered at the conference
    resolved: int  # resolved after the conference
    pending: int  # being resolved or verified
    forwarded: int  # forwarded to the competent authority


@dataclass(frozen=True)
class FieldTotals:
    field: str
    totals: OpinionTotals


@dataclass(frozen=True)
class HigherLevelReport:
    """Báo cáo kết quả hội nghị lên cấp trên (BC)."""

    header: DocumentHeader
    commune: CommuneInfo
    conference: ConferenceInfo
    totals: OpinionTotals
    preparation: tuple[str, ...]  # plan, advance notice, gathering of the situation
    assessment: tuple[str, ...]
    recommendations: tuple[str, ...]
    by_field: tuple[FieldTotals, ...] = ()
    basis: str = ""  # "Thực hiện Kế hoạch số 12/KH-UBND ngày 05/01/2026 ..."


@dataclass(frozen=True)
class Invitation:
    """Giấy mời dự hội nghị (GM)."""

    header: DocumentHeader
    commune: CommuneInfo
    conference: ConferenceInfo
    invitee: str  # "Ông Nguyễn Văn An, Trưởng thôn 3" or "Đại biểu Hội đồng nhân dân xã"
    notes: tuple[str, ...] = ()  # "Đề nghị ... mang theo ..."


@dataclass(frozen=True)
class ConferenceAnnouncement:
    """Thông báo công khai về việc tổ chức hội nghị (TB)."""

    header: DocumentHeader
    commune: CommuneInfo
    conference: ConferenceInfo
    purpose: str
    how_to_take_part: tuple[str, ...]
    basis: str = ""
    petitions_until: date | None = None  # written petitions received until
    petitions_where: str = ""
    recorded: bool = True  # tell people the conference is recorded and broadcast
    retention: str = "thời hạn lưu trữ do Ủy ban nhân dân xã quy định"


@dataclass(frozen=True)
class Answer:
    by: str  # "ông Nguyễn Văn A, Chủ tịch Ủy ban nhân dân xã"
    content: str


@dataclass(frozen=True)
class Turn:
    speaker: str  # as it may be printed
    content: str
    hamlet: str = ""
    field: str = ""
    at: datetime | None = None
    answers: tuple[Answer, ...] = ()
    conclusion: str = ""  # the chair's conclusion on this turn, if any
    topic: str = ""  # what the speaker said they would speak about (the queue's topic)


@dataclass(frozen=True)
class PhaseTurns:
    """The turns of one part of the run-of-show (server/domain/phases.py)."""

    label: str  # "Nhân dân phát biểu ý kiến"
    turns: tuple[Turn, ...]
    started_at: datetime | None = None  # local time


@dataclass(frozen=True)
class MinutesPetition:
    """A petition as the minutes record it: what was asked, its state by the one
    lifecycle (server/domain/petition_lifecycle.py) and the chairman's conclusion."""

    petition: PetitionConclusion
    status: str  # "Đang kiểm tra, xác minh"


@dataclass(frozen=True)
class Minutes:
    """Biên bản hội nghị (BB): the turns, the petitions and the answers."""

    header: DocumentHeader
    commune: CommuneInfo
    conference: ConferenceInfo
    turns: tuple[Turn, ...]  # when the run-of-show was not used; else empty
    agenda: tuple[str, ...] = ()
    closing: tuple[str, ...] = ()  # the chair's closing conclusions
    copies: int = 2
    phases: tuple[PhaseTurns, ...] = ()  # the turns by part of the run-of-show, when used
    petitions: tuple[MinutesPetition, ...] = ()  # every petition, also those not concluded
    invited: int | None = None  # people invited (the check-in list)
    invited_present: int | None = None  # of them, checked in
