"""Builders of the official documents around a dialogue conference.

Each takes one dataclass from ``server.documents.model`` and returns a
python-docx ``Document`` (save it with ``write_docx`` or ``to_bytes``).
Pure with respect to the database: everything printed comes from the input.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from docx.document import Document as DocxDocument

from server.documents.formatting import (
    by_day,
    clock,
    count_text,
    join_clauses,
    lower_first,
    moment,
    nfc,
    place_text,
    sentence,
    short_date,
    without_repeats,
)
from server.documents.layout import DocWriter
from server.documents.model import (
    ConclusionNotice,
    ConferenceAnnouncement,
    ConferenceInfo,
    DocumentHeader,
    DocumentInputError,
    FieldCount,
    HigherLevelReport,
    Invitation,
    Minutes,
    OpinionTotals,
    PetitionConclusion,
    PhaseTurns,
    Signer,
    Turn,
    VerificationReply,
)
from server.domain.petition_lifecycle import STAGES
from server.domain.rule_profiles import PetitionOutcome


# -- checks ------------------------------------------------------------------
def _require(ok: bool, code: str, message: str) -> None:
    if not ok:
        raise DocumentInputError(code, message)


def _check_header(h: DocumentHeader) -> None:
    _require(bool(h.body.name_lines), "document.no_body", "Thiếu tên cơ quan ban hành văn bản.")
    _require(bool(h.place.strip()), "document.no_place", "Thiếu địa danh ở dòng ngày tháng.")
    _require(bool(h.signer.name.strip()), "document.no_signer", "Thiếu họ tên người ký.")
    _require(
        h.issued_on is not None or h.year is not None,
        "document.no_date",
        "Cần ngày ban hành, hoặc năm nếu là dự thảo.",
    )
    _require(h.number is None or h.number >= 1, "document.bad_number", "Số văn bản phải là số nguyên dương.")


def _check_conference(c: ConferenceInfo) -> None:
    _require(bool(c.venue.strip()), "document.no_venue", "Thiếu địa điểm hội nghị.")
    _require(bool(c.chairs), "document.no_chair", "Thiếu người chủ trì hội nghị.")
    _require(
        c.ends_at is None or c.ends_at >= c.starts_at,
        "document.bad_times",
        "Giờ kết thúc hội nghị trước giờ bắt đầu.",
    )
    _require(
        c.attendance_total is None or c.attendance_total >= 0,
        "document.bad_attendance",
        "Số người tham dự không được âm.",
    )


def _check_petition(i: int, p: PetitionConclusion) -> None:
    where = f"Kiến nghị {i}"
    _require(bool(p.summary.strip()), "document.petition_no_summary", f"{where}: thiếu nội dung kiến nghị.")
    if p.outcome in (PetitionOutcome.ASSIGNED, PetitionOutcome.NEEDS_VERIFICATION):
        _require(bool(p.unit.strip()), "document.petition_no_unit", f"{where}: cần ghi đơn vị được giao.")
        _require(p.due is not None, "document.petition_no_due", f"{where}: cần ghi thời hạn.")
    if p.outcome == PetitionOutcome.FORWARDED:
        _require(
            bool(p.authority.strip()),
            "document.petition_no_authority",
            f"{where}: cần ghi cơ quan có thẩm quyền nhận kiến nghị.",
        )


def _check_totals(t: OpinionTotals, where: str = "Tổng số") -> None:
    values = (t.total, t.answered, t.resolved, t.pending, t.forwarded)
    _require(all(v >= 0 for v in values), "document.bad_totals", f"{where}: số ý kiến không được âm.")
    _require(
        t.answered + t.resolved + t.pending + t.forwarded == t.total,
        "document.bad_totals",
        f"{where}: đã trả lời ({t.answered}) + đã giải quyết ({t.resolved}) + đang giải quyết "
        f"({t.pending}) + đã chuyển ({t.forwarded}) phải bằng tổng số ({t.total}).",
    )


# -- shared sentences --------------------------------------------------------
def _people(people) -> str:
    return join_clauses([f"{p.name} - {p.role}" if p.role else p.name for p in people])


def _attendance(c: ConferenceInfo) -> str:
    groups = [f"{count_text(g.count)} {g.label}" if g.count is not None else g.label
              for g in c.attendance]
    text = join_clauses(groups)
    if c.attendance_total is not None:
        total = f"tổng số {count_text(c.attendance_total)} người"
        text = f"{text}; {total}" if text else total
    return text


def _outcome_sentence(p: PetitionConclusion) -> str:
    """What the chairman decided, in the one wording each outcome has."""
    if p.outcome is None:
        return ("Hội nghị chưa kết luận nội dung này; Ủy ban nhân dân xã tiếp tục xem xét và trả lời "
                "bằng văn bản cho công dân.")
    if p.outcome == PetitionOutcome.ANSWERED:
        return "Nội dung đã được trả lời trực tiếp tại hội nghị."
    if p.outcome == PetitionOutcome.ASSIGNED:
        assert p.due is not None
        return (
            f"Giao {p.unit} chủ trì giải quyết, báo cáo kết quả về Ủy ban nhân dân xã "
            f"{by_day(p.due)}."
        )
    if p.outcome == PetitionOutcome.NEEDS_VERIFICATION:
        assert p.due is not None
        if p.reply_due is not None and p.reply_due < p.due:
            return (
                f"Nội dung cần kiểm tra, xác minh; giao {p.unit} thực hiện. {by_day(p.reply_due, start=True)}, "
                "Ủy ban nhân dân xã trả lời bằng văn bản cho công dân về nội dung, yêu cầu, thời gian "
                f"và người chịu trách nhiệm xác minh; kết quả giải quyết được trả lời {by_day(p.due)}."
            )
        return (
            f"Nội dung cần kiểm tra, xác minh; giao {p.unit} thực hiện và trả lời bằng văn bản "
            f"cho công dân {by_day(p.due)}."
        )
    return (
        "Nội dung không thuộc thẩm quyền giải quyết của Ủy ban nhân dân xã; Ủy ban nhân dân xã "
        f"chuyển kiến nghị đến {p.authority} để xem xét, giải quyết theo quy định."
    )


def conclusion_text(p: PetitionConclusion) -> str:
    """The chairman's words, then the outcome's sentence; a sentence of the chairman's
    that the outcome's sentence (or its label) already says is not repeated."""
    outcome = _outcome_sentence(p)
    labels = [s.outcome_label for s in STAGES if s.profile_outcome == p.outcome and s.outcome_label]
    own = without_repeats(p.conclusion, outcome, *labels)
    return f"{own} {outcome}" if own else outcome


def count_by_field(petitions: tuple[PetitionConclusion, ...]) -> tuple[FieldCount, ...]:
    """Opinions per field, in order of first appearance."""
    counts = Counter(nfc(p.field.strip()) or "khác" for p in petitions)
    return tuple(FieldCount(f, n) for f, n in counts.items())


def field_counts_sentence(counts: tuple[FieldCount, ...]) -> str:
    """"Hội nghị nhận được 04 ý kiến, kiến nghị của Nhân dân, gồm: lĩnh vực đất đai: 02 ý
    kiến; ..." (none: "Hội nghị không nhận được ý kiến, kiến nghị nào của Nhân dân.")."""
    total = sum(c.count for c in counts)
    if total == 0:
        return "Hội nghị không nhận được ý kiến, kiến nghị nào của Nhân dân."
    parts = [f"lĩnh vực {lower_first(c.field)}: {count_text(c.count)} ý kiến" for c in counts if c.count]
    return (f"Hội nghị nhận được {count_text(total)} ý kiến, kiến nghị của Nhân dân, gồm: "
            f"{join_clauses(parts)}.")


def _who(p: PetitionConclusion) -> str:
    return f"{p.petitioner}, {place_text(p.hamlet)}" if p.hamlet else p.petitioner


def with_as_above(recipients: tuple[str, ...], addressees: tuple[str, ...]) -> tuple[str, ...]:
    """The recipients of a document with "Kính gửi:": "Như trên" first, and no addressee
    named a second time."""
    def same(a: str, b: str) -> bool:
        return nfc(a.strip().rstrip(";.")).lower() == nfc(b.strip().rstrip(";.")).lower()

    rest = tuple(r for r in recipients
                 if r.strip() and not same(r, "Như trên") and not any(same(r, a) for a in addressees))
    return ("Như trên", *rest)


# -- builders ------------------------------------------------------------------
def build_conclusion_notice(data: ConclusionNotice) -> DocxDocument:
    """Thông báo kết luận của Chủ tịch UBND xã tại hội nghị đối thoại."""
    _check_header(data.header)
    _check_conference(data.conference)
    for i, p in enumerate(data.petitions, start=1):
        _check_petition(i, p)
    if data.opinions_by_field:
        _require(sum(f.count for f in data.opinions_by_field) == len(data.petitions),
                 "document.bad_totals",
                 f"Cộng số ý kiến theo lĩnh vực phải bằng số kiến nghị trong thông báo "
                 f"({len(data.petitions)}).")
    c, cm = data.conference, data.commune
    subject = f"Kết luận của {data.chair_title} tại {c.title}"
    w = DocWriter(cm.committee, subject)
    w.header_block(data.header, "TB")
    w.title_block("THÔNG BÁO", subject)
    w.text(
        f"Vào lúc {moment(c.starts_at)}, tại {c.venue}, {cm.committee} phối hợp với {cm.front} "
        f"tổ chức {c.title} (hình thức {c.mode})."
    )
    w.text([("Chủ trì hội nghị: ", "b"), (_people(c.chairs) + ".", "")])
    if c.attendance or c.attendance_total is not None:
        w.text([("Thành phần tham dự: ", "b"), (_attendance(c) + ".", "")])
    counts = data.opinions_by_field or count_by_field(data.petitions)
    w.text(field_counts_sentence(counts))
    if data.petitions:
        w.text(
            "Sau khi nghe ý kiến, kiến nghị của Nhân dân và ý kiến trả lời của các cơ quan, đơn vị "
            f"có liên quan, {data.chair_title} kết luận như sau:"
        )
    for i, p in enumerate(data.petitions, start=1):
        w.text(
            [
                (f"{i}. Kiến nghị của {_who(p)} (lĩnh vực {lower_first(p.field)}): ", "b"),
                (sentence(p.summary), "i"),
            ]
        )
        w.text([("Kết luận: ", "b"), (conclusion_text(p), "")])
    if data.publicity:
        w.text(f"Thông báo này được {join_clauses(data.publicity)}.")
    w.text(f"{cm.committee} thông báo để các cơ quan, đơn vị, tổ chức và Nhân dân biết, thực hiện./.")
    w.signature_block(data.header)
    return w.doc


def build_verification_reply(data: VerificationReply) -> DocxDocument:
    """Văn bản trả lời công dân về vụ việc cần thêm thời gian xác minh (công văn)."""
    _check_header(data.header)
    _require(bool(data.addressee.strip()), "document.no_addressee", "Thiếu người nhận văn bản trả lời.")
    _require(bool(data.content.strip()), "document.no_content", "Thiếu nội dung kiến nghị.")
    _require(bool(data.responsible.strip()), "document.no_responsible", "Thiếu đơn vị, người chịu trách nhiệm.")
    _require(
        data.reply_by >= data.raised_on, "document.bad_reply_date", "Ngày trả lời trước ngày nêu kiến nghị."
    )
    for step in data.timeline:
        _require(
            data.raised_on <= step.by <= data.reply_by,
            "document.bad_timeline",
            f"Mốc '{step.what}' ({short_date(step.by)}) phải nằm trong khoảng từ ngày nêu kiến nghị "
            f"đến ngày trả lời ({short_date(data.reply_by)}).",
        )
    cm = data.commune
    person = data.person.strip() or "công dân"
    header = dataclasses.replace(data.header, recipients=with_as_above(data.header.recipients,
                                                                       (data.addressee,)))
    w = DocWriter(cm.committee, f"V/v {data.subject}")
    w.header_block(header, None, letter_subject=data.subject)
    w.addressee([data.addressee], space_before=18)
    w.text(
        f"Ngày {short_date(data.raised_on)}, tại {data.raised_at}, {person} có kiến nghị với "
        f"{cm.committee}. Vụ việc cần có thêm thời gian để kiểm tra, xác minh; "
        f"{cm.committee} thông báo như sau:"
    )
    w.heading("1. Nội dung kiến nghị")
    w.text(sentence(data.content))
    w.heading("2. Nội dung cần kiểm tra, xác minh và yêu cầu")
    for item in data.requirements:
        w.text(f"- {sentence(item)}")
    w.heading("3. Thời gian thực hiện")
    for step in sorted(data.timeline, key=lambda s: s.by):
        w.text(f"- {by_day(step.by, start=True)}: {lower_first(step.what).rstrip('.;')}.")
    w.text(
        f"- {by_day(data.reply_by, start=True)}, {cm.committee} trả lời kết quả giải quyết "
        f"bằng văn bản cho {person}."
    )
    w.heading("4. Đơn vị, người chịu trách nhiệm")
    w.text(sentence(data.responsible))
    if data.contact:
        w.text(sentence(data.contact))
    w.text(f"{cm.committee} trả lời để {person} được biết./.")
    w.signature_block(header)
    return w.doc


def build_higher_level_report(data: HigherLevelReport) -> DocxDocument:
    """Báo cáo kết quả tổ chức hội nghị đối thoại gửi cấp trên."""
    _check_header(data.header)
    _check_conference(data.conference)
    _check_totals(data.totals)
    for ft in data.by_field:
        _check_totals(ft.totals, f"Lĩnh vực {ft.field}")
    if data.by_field:
        sums = [sum(getattr(ft.totals, k) for ft in data.by_field) for k in ("total", "answered", "resolved", "pending", "forwarded")]
        t = data.totals
        _require(
            sums == [t.total, t.answered, t.resolved, t.pending, t.forwarded],
            "document.bad_totals",
            "Cộng các lĩnh vực không bằng số tổng.",
        )
    c, cm, t = data.conference, data.commune, data.totals
    header = dataclasses.replace(data.header, recipients=with_as_above(data.header.recipients,
                                                                       (cm.higher_authority,)))
    w = DocWriter(cm.committee, f"Báo cáo kết quả tổ chức {c.title}")
    w.header_block(header, "BC")
    w.title_block("BÁO CÁO", f"Kết quả tổ chức {c.title}")
    w.addressee([cm.higher_authority], space_before=0)
    intro = f"{data.basis.strip().rstrip('.')}, " if data.basis.strip() else ""
    w.text(f"{intro}{cm.committee} báo cáo kết quả tổ chức {c.title} như sau:")
    w.heading("I. CÔNG TÁC CHUẨN BỊ")
    for item in data.preparation:
        w.text(sentence(item))
    w.heading("II. KẾT QUẢ TỔ CHỨC HỘI NGHỊ")
    w.heading("1. Thời gian, địa điểm, thành phần")
    end = f" đến {clock(c.ends_at)}" if c.ends_at else ""
    w.text(f"Thời gian: từ {moment(c.starts_at)}{end}. Địa điểm: {c.venue}. Hình thức: {c.mode}.")
    w.text(f"Chủ trì hội nghị: {_people(c.chairs)}.")
    if c.attendance or c.attendance_total is not None:
        w.text(f"Thành phần tham dự: {_attendance(c)}.")
    w.heading("2. Ý kiến, kiến nghị của Nhân dân")
    if t.total == 0:
        w.text("Hội nghị không nhận được ý kiến, kiến nghị nào của Nhân dân.")
    else:
        w.text(f"Tổng số ý kiến, kiến nghị: {count_text(t.total)}, trong đó:")
        w.text(f"- Đã trả lời trực tiếp tại hội nghị: {count_text(t.answered)};")
        w.text(f"- Đã giải quyết sau hội nghị: {count_text(t.resolved)};")
        w.text(f"- Đang giải quyết, kiểm tra, xác minh: {count_text(t.pending)};")
        w.text(f"- Chuyển cơ quan có thẩm quyền giải quyết: {count_text(t.forwarded)}.")
    if data.by_field:
        w.text("Chi tiết theo lĩnh vực:", keep_with_next=True)

        def cells(x: OpinionTotals) -> list[str]:
            return [count_text(v) for v in (x.total, x.answered, x.resolved, x.pending, x.forwarded)]

        rows = [[str(i), nfc(ft.field.strip()[:1].upper() + ft.field.strip()[1:]), *cells(ft.totals)]
                for i, ft in enumerate(data.by_field, start=1)]
        rows.append(["", "Tổng cộng", *cells(t)])
        w.grid_table(
            ["TT", "Lĩnh vực", "Tổng số", "Trả lời tại hội nghị", "Đã giải quyết", "Đang giải quyết", "Đã chuyển"],
            rows,
            (10, 45, 20, 25, 22, 23, 20),
        )
    w.heading("III. ĐÁNH GIÁ")
    for item in data.assessment:
        w.text(sentence(item))
    w.heading("IV. KIẾN NGHỊ, ĐỀ XUẤT")
    for item in data.recommendations:
        w.text(f"- {sentence(item)}")
    w.text(f"Trên đây là báo cáo kết quả tổ chức {c.title} của {cm.committee}./.")
    w.signature_block(header)
    return w.doc


def topics_text(topics: tuple[str, ...]) -> str:
    """The conference's content as typed, inside a sentence: each item with its first
    letter lowered where grammatical, joined by "; ", ending with a full stop.
    Nothing is put before it, so "Trao đổi, đối thoại về ..." reads once."""
    items = [lower_first(t).strip().rstrip(";.") for t in topics if t.strip()]
    return "; ".join(items) + "."


def build_invitation(data: Invitation) -> DocxDocument:
    """Giấy mời dự hội nghị đối thoại."""
    _check_header(data.header)
    _check_conference(data.conference)
    _require(bool(data.invitee.strip()), "document.no_invitee", "Thiếu người được mời.")
    c, cm = data.conference, data.commune
    w = DocWriter(cm.committee, f"Giấy mời dự {c.title}")
    w.header_block(data.header, "GM")
    w.title_block("GIẤY MỜI", f"Dự {c.title}")
    w.text(f"{cm.committee} phối hợp với {cm.front} tổ chức {c.title}.")
    w.text([(f"{cm.committee} trân trọng kính mời: ", ""), (data.invitee, "b"), (" đến dự hội nghị.", "")])
    w.text([("Thời gian: ", "b"), (f"bắt đầu từ {moment(c.starts_at)}.", "")])
    w.text([("Địa điểm: ", "b"), (f"{c.venue}.", "")])
    if c.topics:
        w.text([("Nội dung: ", "b"), (topics_text(c.topics), "")])
    for note in data.notes:
        w.text(sentence(note))
    w.text("Rất mong được đón tiếp./.")
    w.signature_block(data.header)
    return w.doc


def build_conference_announcement(data: ConferenceAnnouncement) -> DocxDocument:
    """Thông báo công khai về việc tổ chức hội nghị đối thoại."""
    _check_header(data.header)
    _check_conference(data.conference)
    _require(bool(data.purpose.strip()), "document.no_purpose", "Thiếu mục đích của hội nghị.")
    if data.petitions_until is not None:
        _require(
            data.petitions_until <= data.conference.starts_at.date(),
            "document.bad_petitions_until",
            "Hạn nhận kiến nghị bằng văn bản phải trước ngày hội nghị.",
        )
    c, cm = data.conference, data.commune
    w = DocWriter(cm.committee, f"Thông báo về việc tổ chức {c.title}")
    w.header_block(data.header, "TB")
    w.title_block("THÔNG BÁO", f"Về việc tổ chức {c.title}")
    intro = f"{data.basis.strip().rstrip('.')}, " if data.basis.strip() else ""
    w.text(f"{intro}{cm.committee} phối hợp với {cm.front} tổ chức {c.title}, cụ thể như sau:")
    n = 1
    w.text([(f"{n}. Mục đích: ", "b"), (sentence(data.purpose), "")])
    n += 1
    w.text([(f"{n}. Thời gian: ", "b"), (f"bắt đầu từ {moment(c.starts_at)}.", "")])
    n += 1
    w.text([(f"{n}. Địa điểm: ", "b"), (f"{c.venue}; hình thức {c.mode}.", "")])
    if c.topics:
        n += 1
        w.text([(f"{n}. Nội dung: ", "b"), (topics_text(c.topics), "")])
    n += 1
    w.text([(f"{n}. Thành phần và cách thức tham gia:", "b")])
    for item in data.how_to_take_part:
        w.text(f"- {sentence(item)}")
    if data.petitions_until is not None:
        where = f" tại {data.petitions_where}" if data.petitions_where else ""
        w.text(
            f"- Ý kiến, kiến nghị bằng văn bản gửi{where} {by_day(data.petitions_until)}."
        )
    if data.recorded:
        n += 1
        w.text(
            [
                (f"{n}. Ghi âm và phát thanh: ", "b"),
                (
                    "hội nghị được ghi âm và phát trực tiếp trên hệ thống truyền thanh cơ sở. Bản ghi "
                    "chỉ dùng để tổng hợp, trả lời ý kiến, kiến nghị của Nhân dân và được xóa khi hết "
                    f"{data.retention}. Họ tên người phát biểu chỉ hiển thị đầy đủ khi người đó đồng ý.",
                    "",
                ),
            ]
        )
    w.text(f"{cm.committee} thông báo để Nhân dân được biết và tham gia./.")
    w.signature_block(data.header)
    return w.doc


ROMAN = {4: "IV", 5: "V"}


def _minutes_turn(w: DocWriter, i: int, t: Turn) -> None:
    who = f"{t.speaker}, {place_text(t.hamlet)}" if t.hamlet else t.speaker
    when = f" ({clock(t.at)})" if t.at else ""
    field = f" - lĩnh vực {lower_first(t.field)}" if t.field else ""
    w.text([(f"Lượt {count_text(i)}{when}: {who}{field}", "b")], keep_with_next=True)
    if t.topic.strip():
        w.text([("Nội dung: ", "i"), (sentence(t.topic), "")])
    if t.content.strip():
        w.text([("Ý kiến: ", "i"), (sentence(t.content), "")])
    for a in t.answers:
        w.text([(f"Trả lời ({a.by}): ", "i"), (sentence(a.content), "")])
    if t.conclusion:
        w.text([("Kết luận của chủ trì: ", "i"), (sentence(t.conclusion), "")])


def minutes_attendance(data: Minutes) -> list[str]:
    """The attendance lines of the minutes, from the check-in list: who was invited and
    came, and everyone checked in by kind."""
    c = data.conference
    lines = []
    if data.invited:
        present = data.invited_present or 0
        came = f"có mặt {count_text(present)} người." if present else "không ai có mặt."
        lines.append(f"Số người được mời: {count_text(data.invited)} người; {came}")
    if c.attendance or c.attendance_total is not None:
        lines.append(f"Thành phần tham dự theo danh sách điểm danh: {_attendance(c)}.")
    return lines


def build_minutes(data: Minutes) -> DocxDocument:
    """Biên bản hội nghị đối thoại (BB): time and place, chairs, secretary, attendance from
    the check-in list, each speaking turn (grouped by the run-of-show's parts when they
    were used), every petition with its state and conclusion, the closing; the secretary
    and the chair sign."""
    _check_header(data.header)
    _check_conference(data.conference)
    c = data.conference
    _require(c.secretary is not None and bool(c.secretary.name.strip()), "document.no_secretary",
             "Thiếu họ tên thư ký hội nghị.")
    _require(data.copies >= 1, "document.bad_copies", "Số bản biên bản phải từ 01 trở lên.")
    _require(data.invited is None or data.invited >= 0, "document.bad_attendance",
             "Số người được mời không được âm.")
    _require(data.invited_present is None or 0 <= data.invited_present <= (data.invited or 0),
             "document.bad_attendance", "Số người được mời có mặt phải từ không đến số người được mời.")
    for i, mp in enumerate(data.petitions, start=1):
        _check_petition(i, mp.petition)
    assert c.secretary is not None
    w = DocWriter(data.commune.committee, f"Biên bản {c.title}")
    w.header_block(data.header, "BB")
    w.title_block("BIÊN BẢN", c.title)
    w.heading("I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN")
    end = f" đến {clock(c.ends_at)}" if c.ends_at and c.ends_at.date() == c.starts_at.date() else ""
    w.text([("Thời gian: ", "b"), (f"từ {moment(c.starts_at)}{end}.", "")])
    w.text([("Địa điểm: ", "b"), (f"{c.venue}; hình thức {c.mode}.", "")])
    w.text([("Chủ trì: ", "b"), (f"{_people(c.chairs)}.", "")])
    w.text([("Thư ký: ", "b"), (f"{_people([c.secretary])}.", "")])
    for line in minutes_attendance(data):
        head, _, rest = line.partition(": ")
        w.text([(f"{head}: ", "b"), (rest, "")])
    w.heading("II. NỘI DUNG HỘI NGHỊ")
    items = data.agenda or c.topics
    for i, item in enumerate(items, start=1):
        w.text(f"{i}. {sentence(item)}")
    groups = data.phases or ((PhaseTurns("", data.turns),) if data.turns else ())
    total = sum(len(g.turns) for g in groups)
    w.heading("III. DIỄN BIẾN HỘI NGHỊ")
    if total == 0:
        w.text("Tại hội nghị không có lượt phát biểu nào được ghi lại.")
    else:
        w.text(f"Hội nghị có {count_text(total)} lượt phát biểu:")
    n = 0
    for k, g in enumerate(groups, start=1):
        if g.label:
            since = f" (từ {clock(g.started_at)})" if g.started_at else ""
            w.text([(f"{k}. {g.label}{since}", "b")], keep_with_next=True)
            if not g.turns:
                w.text("Không có lượt phát biểu.")
        for t in g.turns:
            n += 1
            _minutes_turn(w, n, t)
    part = 4
    if data.petitions:  # none given (an export of the turns only): no such part
        w.heading(f"{ROMAN[part]}. Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN VÀ KẾT LUẬN CỦA CHỦ TRÌ")
        w.text(field_counts_sentence(count_by_field(tuple(mp.petition for mp in data.petitions))))
        part += 1
    for i, mp in enumerate(data.petitions, start=1):
        p = mp.petition
        w.text([(f"{i}. Kiến nghị của {_who(p)} (lĩnh vực {lower_first(p.field)}): ", "b"),
                (sentence(p.summary), "i")], keep_with_next=True)
        w.text([("Tình trạng: ", "b"), (sentence(mp.status), "")])
        w.text([("Kết luận: ", "b"), (conclusion_text(p), "")])
    if data.closing:
        w.heading(f"{ROMAN[part]}. KẾT LUẬN CHUNG CỦA CHỦ TRÌ HỘI NGHỊ")
        for item in data.closing:
            w.text(f"- {sentence(item)}")
    end = (
        f"Hội nghị kết thúc vào lúc {clock(c.ends_at)} cùng ngày"
        if c.ends_at and c.ends_at.date() == c.starts_at.date()
        else (f"Hội nghị kết thúc vào lúc {clock(c.ends_at)}, ngày {short_date(c.ends_at.date())}" if c.ends_at else "Hội nghị kết thúc")
    )
    w.text(f"{end}. Biên bản được lập thành {count_text(data.copies)} bản có giá trị như nhau./.")
    chair = c.chairs[0]
    w.two_signatures(
        Signer(name=_bare_name(c.secretary.name), title="THƯ KÝ", authority=""),
        Signer(name=_bare_name(chair.name), title="CHỦ TRÌ", authority=""),
    )
    if data.header.recipients:
        w.recipients_only(data.header)
    return w.doc


def _bare_name(name: str) -> str:
    """Signature lines carry the name without "ông"/"bà"."""
    for prefix in ("ông ", "bà ", "Ông ", "Bà "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


BUILDERS = {
    ConclusionNotice: build_conclusion_notice,
    VerificationReply: build_verification_reply,
    HigherLevelReport: build_higher_level_report,
    Invitation: build_invitation,
    ConferenceAnnouncement: build_conference_announcement,
    Minutes: build_minutes,
}

KIND_OF = {
    ConclusionNotice: "TB",
    VerificationReply: None,
    HigherLevelReport: "BC",
    Invitation: "GM",
    ConferenceAnnouncement: "TB",
    Minutes: "BB",
}


def build(data) -> DocxDocument:
    """Build any of the documents from its dataclass."""
    try:
        builder = BUILDERS[type(data)]
    except KeyError:
        raise DocumentInputError("document.unknown_kind", f"Không có mẫu cho {type(data).__name__}.") from None
    return builder(data)


def kind_code(data) -> str | None:
    """The kind code in the number (TB, BC, GM, BB), None for a letter."""
    return KIND_OF[type(data)]


__all__ = [
    "build",
    "build_conclusion_notice",
    "build_conference_announcement",
    "build_higher_level_report",
    "build_invitation",
    "build_minutes",
    "build_verification_reply",
    "conclusion_text",
    "count_by_field",
    "field_counts_sentence",
    "kind_code",
    "minutes_attendance",
    "topics_text",
    "with_as_above",
]
