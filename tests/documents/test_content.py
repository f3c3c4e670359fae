"""What each document says, the pure formatting rules, and refusals of bad input."""

import dataclasses
import io
from datetime import date

import pytest
from docx import Document

from server.documents import (
    DocumentInputError,
    build,
    count_by_field,
    date_line,
    format_number,
    recipients_lines,
)
from server.documents.model import OpinionTotals, TimelineStep
from server.domain.rule_profiles import PetitionOutcome
from tests.documents import samples


def _text(doc) -> str:
    buf = io.BytesIO()
    doc.save(buf)
    d = Document(io.BytesIO(buf.getvalue()))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("seq", "kind", "body", "unit", "expected"),
    [
        (5, "TB", "UBND", None, "05/TB-UBND"),
        (1, "GM", "UBND", None, "01/GM-UBND"),
        (10, "BC", "UBND", None, "10/BC-UBND"),
        (123, "BB", "UBND", None, "123/BB-UBND"),
        (12, None, "UBND", "VP", "12/UBND-VP"),
        (7, "KH", "UBND", None, "07/KH-UBND"),
    ],
)
def test_format_number(seq, kind, body, unit, expected):
    assert format_number(seq, kind, body, unit) == expected


@pytest.mark.parametrize(
    ("args", "needle"),
    [((0, "TB", "UBND"), "nguyên dương"), ((5, "XX", "UBND"), "XX"), ((5, "TB", "UB ND"), "khoảng trắng")],
)
def test_format_number_errors(args, needle):
    with pytest.raises(ValueError, match=needle):
        format_number(*args)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2019, 2, 5), "Đắk Song, ngày 05 tháng 02 năm 2019"),
        (date(2026, 1, 15), "Đắk Song, ngày 15 tháng 01 năm 2026"),
        (date(2026, 3, 9), "Đắk Song, ngày 09 tháng 3 năm 2026"),
        (date(2026, 12, 31), "Đắk Song, ngày 31 tháng 12 năm 2026"),
    ],
)
def test_date_line(day, expected):
    assert date_line("Đắk Song", day) == expected


def test_recipients_lines():
    assert recipients_lines(("Như trên", "TT HĐND xã;"), ("VT", "VP")) == [
        "- Như trên;",
        "- TT HĐND xã;",
        "- Lưu: VT, VP.",
    ]
    assert recipients_lines((), ()) == ["- Lưu: VT."]


def test_conclusion_notice_content():
    text = _text(build(samples.conclusion_notice()))
    assert "08 giờ 00 phút, thứ Năm, ngày 15/01/2026" in text
    assert "Hội trường Ủy ban nhân dân xã Đắk Song" in text
    assert "ông Nguyễn Văn Hùng - Chủ tịch Ủy ban nhân dân xã" in text
    assert "tổng số 177 người" in text
    assert "có 04 ý kiến, kiến nghị" in text
    assert "lĩnh vực đất đai: 02 ý kiến; lĩnh vực giao thông: 01 ý kiến" in text
    # One conclusion per outcome kind, with its deadline or authority.
    assert "Nội dung đã được trả lời trực tiếp tại hội nghị." in text
    assert "Giao Văn phòng Đăng ký đất đai chi nhánh Đắk Song chủ trì giải quyết" in text
    assert "trả lời bằng văn bản cho công dân trước ngày 27/02/2026" in text
    assert "chuyển kiến nghị đến Sở Y tế tỉnh Lâm Đồng" in text
    assert "niêm yết công khai tại trụ sở" in text and "truyền thanh cơ sở" in text
    assert text.count("Kết luận: ") == 4


def test_count_by_field_keeps_first_order():
    assert [(c.field, c.count) for c in count_by_field(samples.PETITIONS)] == [
        ("đất đai", 2), ("giao thông", 1), ("chính sách xã hội", 1),
    ]


def test_report_content():
    text = _text(build(samples.higher_level_report()))
    assert "Kính gửi: Ủy ban nhân dân tỉnh Lâm Đồng" in text
    assert "Thực hiện Kế hoạch số 03/KH-UBND" in text
    for line in (
        "Tổng số ý kiến, kiến nghị: 04",
        "Đã trả lời trực tiếp tại hội nghị: 01",
        "Đã giải quyết sau hội nghị: 00",
        "Đang giải quyết, kiểm tra, xác minh: 02",
        "Chuyển cơ quan có thẩm quyền giải quyết: 01",
        "I. CÔNG TÁC CHUẨN BỊ", "III. ĐÁNH GIÁ", "IV. KIẾN NGHỊ, ĐỀ XUẤT",
    ):
        assert line in text
    assert "Tổng cộng" in text


def test_reply_invitation_announcement_minutes_content():
    reply = _text(build(samples.verification_reply()))
    assert "Trước ngày 06/02/2026: Đo đạc hiện trạng" in reply
    assert "Chậm nhất ngày 27/02/2026" in reply
    assert "ông Lê Văn Tám" in reply
    inv = _text(build(samples.invitation()))
    assert "trân trọng kính mời: Ông (bà) Trưởng thôn, bon trên địa bàn xã" in inv
    assert "Nội dung: đối thoại về đất đai, xây dựng; giao thông nông thôn" in inv
    ann = _text(build(samples.announcement()))
    assert "ghi âm và phát trực tiếp trên hệ thống truyền thanh cơ sở" in ann
    assert "trước ngày 13/01/2026" in ann
    mins = _text(build(samples.minutes()))
    assert "Lượt 1 (08 giờ 45 phút): ông Nguyễn Văn Bình, thôn 3 - lĩnh vực đất đai" in mins
    assert "Trả lời (ông Nguyễn Văn Hùng, Chủ tịch Ủy ban nhân dân xã)" in mins
    assert "02 lượt phát biểu" in mins
    assert "kết thúc vào lúc 11 giờ 30 phút cùng ngày" in mins


def _replace_petition(i, **changes):
    data = samples.conclusion_notice()
    petitions = list(data.petitions)
    petitions[i] = dataclasses.replace(petitions[i], **changes)
    return dataclasses.replace(data, petitions=tuple(petitions))


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: _replace_petition(0, due=None), "document.petition_no_due"),
        (lambda: _replace_petition(2, unit=""), "document.petition_no_unit"),
        (lambda: _replace_petition(3, authority=" "), "document.petition_no_authority"),
        (lambda: _replace_petition(1, outcome=PetitionOutcome.ASSIGNED), "document.petition_no_unit"),
        (
            lambda: dataclasses.replace(
                samples.conclusion_notice(),
                header=dataclasses.replace(samples.HEADER, issued_on=None, year=None),
            ),
            "document.no_date",
        ),
        (
            lambda: dataclasses.replace(
                samples.conclusion_notice(), conference=dataclasses.replace(samples.CONFERENCE, chairs=())
            ),
            "document.no_chair",
        ),
        (
            lambda: dataclasses.replace(
                samples.higher_level_report(), totals=OpinionTotals(5, 1, 0, 2, 1)
            ),
            "document.bad_totals",
        ),
        (
            lambda: dataclasses.replace(
                samples.higher_level_report(), totals=OpinionTotals(5, 2, 0, 2, 1)
            ),
            "document.bad_totals",  # rows by field no longer add up
        ),
        (
            lambda: dataclasses.replace(
                samples.verification_reply(),
                timeline=(TimelineStep(date(2026, 3, 30), "quá hạn trả lời"),),
            ),
            "document.bad_timeline",
        ),
        (
            lambda: dataclasses.replace(
                samples.announcement(), petitions_until=date(2026, 1, 20)
            ),
            "document.bad_petitions_until",
        ),
        (
            lambda: dataclasses.replace(
                samples.minutes(), conference=dataclasses.replace(samples.CONFERENCE, secretary=None)
            ),
            "document.no_secretary",
        ),
        (lambda: object(), "document.unknown_kind"),
    ],
)
def test_bad_input_refused_with_code(make, code):
    with pytest.raises(DocumentInputError) as info:
        build(make())
    assert info.value.code == code
    assert str(info.value).startswith(code + ": ")
