"""What each document says, the pure formatting rules, and refusals of bad input."""

import dataclasses
import io
import re
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn

from server.documents import (
    DocumentInputError,
    build,
    count_by_field,
    date_line,
    format_number,
    recipients_lines,
)
from server.documents.builders import (
    conclusion_text,
    field_counts_sentence,
    topics_text,
    with_as_above,
)
from server.documents.formatting import (
    by_day,
    count_text,
    lower_first,
    place_text,
    without_repeats,
)
from server.documents.model import OpinionTotals, TimelineStep
from server.domain.rule_profiles import PetitionOutcome
from tests.documents import samples


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


def _body(data) -> list[str]:
    """The document's paragraphs outside the header and signature tables, as read back."""
    buf = io.BytesIO()
    build(data).save(buf)
    return [p.text for p in Document(io.BytesIO(buf.getvalue())).paragraphs if p.text.strip()]


# The exact sentences each document of the reference conference (tests/documents/samples.py)
# says; tests/documents/test_pdf.py reads the same sentences back from the PDFs.
EXPECTED: dict[str, list[str]] = {
    "thong-bao-ket-luan": [
        "Chủ trì hội nghị: ông Nguyễn Văn Hùng - Chủ tịch Ủy ban nhân dân xã; bà Trần Thị Hoa - Chủ "
        "tịch Ủy ban Mặt trận Tổ quốc Việt Nam xã; ông Y Bhăm Êban - Phó Chủ tịch Hội đồng nhân dân xã.",
        "Thành phần tham dự: 12 đại biểu Hội đồng nhân dân xã; 09 trưởng thôn, bon; 156 người dân các "
        "thôn, bon; tổng số 177 người.",
        "Hội nghị nhận được 05 ý kiến, kiến nghị của Nhân dân, gồm: lĩnh vực đất đai: 02 ý kiến; lĩnh "
        "vực giao thông: 01 ý kiến; lĩnh vực chính sách xã hội: 01 ý kiến; lĩnh vực môi trường: 01 ý kiến.",
        "Kết luận: Hồ sơ đã đủ điều kiện, đang trình cấp có thẩm quyền ký. Giao Văn phòng Đăng ký đất "
        "đai chi nhánh Đắk Song chủ trì giải quyết, báo cáo kết quả về Ủy ban nhân dân xã chậm nhất "
        "ngày 27/02/2026.",
        "Kết luận: Đã đưa vào kế hoạch sửa chữa năm 2026, khởi công trong quý II. Nội dung đã được "
        "trả lời trực tiếp tại hội nghị.",
        "3. Kiến nghị của ông Phạm Đức Thắng, thôn Thuận Hạnh (lĩnh vực đất đai): Tranh chấp ranh "
        "giới thửa đất với hộ liền kề.",
        "Kết luận: Cần đo đạc, đối chiếu hồ sơ địa chính. Nội dung cần kiểm tra, xác minh; giao công "
        "chức Địa chính - Nông nghiệp - Xây dựng và Môi trường thực hiện. Chậm nhất ngày 05/03/2026, "
        "Ủy ban nhân dân xã trả lời bằng văn bản cho công dân về nội dung, yêu cầu, thời gian và người "
        "chịu trách nhiệm xác minh; kết quả giải quyết được trả lời chậm nhất ngày 31/03/2026.",
        "Kết luận: Mức trợ cấp do Trung ương và tỉnh quy định. Nội dung không thuộc thẩm quyền giải "
        "quyết của Ủy ban nhân dân xã; Ủy ban nhân dân xã chuyển kiến nghị đến Sở Y tế tỉnh Lâm Đồng "
        "để xem xét, giải quyết theo quy định.",
        "5. Kiến nghị của Lò Văn Páo, thôn 5 (lĩnh vực môi trường): Khói từ lò đốt rác gần khu dân cư "
        "thôn 5.",
        "Kết luận: Hội nghị chưa kết luận nội dung này; Ủy ban nhân dân xã tiếp tục xem xét và trả lời "
        "bằng văn bản cho công dân.",
        "Ủy ban nhân dân xã Đắk Song thông báo để các cơ quan, đơn vị, tổ chức và Nhân dân biết, thực "
        "hiện./.",
    ],
    "tra-loi-xac-minh": [
        "Kính gửi: Ông Phạm Đức Thắng, thôn Thuận Hạnh, xã Đắk Song",
        "Ngày 15/01/2026, tại Hội nghị đối thoại với Nhân dân năm 2026, ông Phạm Đức Thắng có kiến "
        "nghị với Ủy ban nhân dân xã Đắk Song. Vụ việc cần có thêm thời gian để kiểm tra, xác minh; "
        "Ủy ban nhân dân xã Đắk Song thông báo như sau:",
        "- Chậm nhất ngày 06/02/2026: đo đạc hiện trạng với sự có mặt của các hộ liền kề.",
        "- Chậm nhất ngày 13/02/2026: tổ chức hòa giải tại Ủy ban nhân dân xã.",
        "- Chậm nhất ngày 27/02/2026, Ủy ban nhân dân xã Đắk Song trả lời kết quả giải quyết bằng văn "
        "bản cho ông Phạm Đức Thắng.",
        "Ủy ban nhân dân xã Đắk Song trả lời để ông Phạm Đức Thắng được biết./.",
    ],
    "bao-cao-cap-tren": [
        "Kính gửi: Ủy ban nhân dân tỉnh Lâm Đồng",
        "Tổng số ý kiến, kiến nghị: 05, trong đó:",
        "- Đã trả lời trực tiếp tại hội nghị: 01;",
        "- Đã giải quyết sau hội nghị: không;",
        "- Đang giải quyết, kiểm tra, xác minh: 03;",
        "- Chuyển cơ quan có thẩm quyền giải quyết: 01.",
        "- Đề nghị Ủy ban nhân dân tỉnh chỉ đạo Sở Y tế xem xét, giải quyết kiến nghị của Nhân dân về "
        "mức trợ cấp cho người cao tuổi.",
        "Trên đây là báo cáo kết quả tổ chức Hội nghị đối thoại với Nhân dân năm 2026 của Ủy ban nhân "
        "dân xã Đắk Song./.",
    ],
    "giay-moi": [
        "Ủy ban nhân dân xã Đắk Song trân trọng kính mời: Trưởng thôn, bon trên địa bàn xã đến dự hội nghị.",
        "Thời gian: bắt đầu từ 08 giờ 00 phút, thứ Năm, ngày 15/01/2026.",
        "Nội dung: đất đai, xây dựng; giao thông nông thôn; chính sách an sinh xã hội.",
        "Rất mong được đón tiếp./.",
    ],
    "thong-bao-hoi-nghi": [
        "4. Nội dung: đất đai, xây dựng; giao thông nông thôn; chính sách an sinh xã hội.",
        "- Ý kiến, kiến nghị bằng văn bản gửi tại bộ phận Một cửa Ủy ban nhân dân xã chậm nhất ngày "
        "13/01/2026.",
        "Ủy ban nhân dân xã Đắk Song thông báo để Nhân dân được biết và tham gia./.",
    ],
    "bien-ban": [
        "Hội nghị có 02 lượt phát biểu:",
        "Lượt 01 (08 giờ 45 phút): ông Nguyễn Văn Bình, thôn 3 - lĩnh vực đất đai",
        "Kết luận của chủ trì: Giao Văn phòng Đăng ký đất đai giải quyết chậm nhất ngày 27/02/2026.",
        "IV. KẾT LUẬN CHUNG CỦA CHỦ TRÌ HỘI NGHỊ",
        "Hội nghị kết thúc vào lúc 11 giờ 30 phút cùng ngày. Biên bản được lập thành 02 bản có giá "
        "trị như nhau./.",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_document_says_exactly(name):
    body = _body(samples.ALL[name]())
    for line in EXPECTED[name]:
        assert line in body, line
    text = "\n".join(body)
    assert "Ông (bà)" not in text and "ông (bà)" not in text
    assert not re.search(r"\b00\b", text.replace("00 phút", "")), "zero is written 'không'"
    assert "trước ngày" not in text  # one phrase for a deadline: "chậm nhất ngày"


def test_the_notice_lists_every_petition_once_with_one_conclusion_each():
    data = samples.conclusion_notice()
    body = _body(data)
    assert sum(1 for p in body if p.startswith("Kết luận: ")) == len(data.petitions) == 5
    report = samples.higher_level_report()
    assert report.totals.total == len(data.petitions)  # the notice and the report count alike


def test_the_report_table_header_repeats_on_each_page():
    buf = io.BytesIO()
    build(samples.higher_level_report()).save(buf)
    table = Document(io.BytesIO(buf.getvalue())).tables[1]
    header = table.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    assert [c.text for c in table.rows[0].cells][:3] == ["TT", "Lĩnh vực", "Tổng số"]
    assert [c.text for c in table.rows[-1].cells] == ["", "Tổng cộng", "05", "01", "không", "03", "01"]
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])


def test_report_and_reply_recipients_start_as_above():
    report = dataclasses.replace(samples.higher_level_report(), header=dataclasses.replace(
        samples.higher_level_report().header,
        recipients=("Ủy ban nhân dân tỉnh Lâm Đồng", "Thường trực Đảng ủy xã")))
    buf = io.BytesIO()
    build(report).save(buf)
    sig = Document(io.BytesIO(buf.getvalue())).tables[-1]
    lines = [p.text for p in sig.rows[0].cells[0].paragraphs if p.text.strip()]
    assert lines == ["Nơi nhận:", "- Như trên;", "- Thường trực Đảng ủy xã;", "- Lưu: VT."]


# ---- the pure rules of the wording -------------------------------------------------------


@pytest.mark.parametrize(("n", "text"), [(0, "không"), (1, "01"), (9, "09"), (10, "10"), (177, "177")])
def test_count_text(n, text):
    assert count_text(n) == text


def test_count_text_refuses_what_is_not_a_count():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            count_text(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đất đai", "đất đai"),
        ("Trao đổi, đối thoại về tình hình an ninh", "trao đổi, đối thoại về tình hình an ninh"),
        ("UBND xã Đức An", "UBND xã Đức An"),
        ("Sở Y tế tỉnh Lâm Đồng", "Sở Y tế tỉnh Lâm Đồng"),
        ("Nhân dân thôn 3", "Nhân dân thôn 3"),
        ("Ủy ban nhân dân xã", "Ủy ban nhân dân xã"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("đã thấp", "đã thấp"),
    ],
)
def test_lower_first(text, expected):
    assert lower_first(text) == expected


def test_place_by_day_and_topics():
    assert place_text("Thôn 3") == "thôn 3" and place_text("Bon Bu Prăng") == "bon Bu Prăng"
    assert place_text("Tổ dân phố 2") == "tổ dân phố 2" and place_text("Tân Lập") == "Tân Lập"
    assert by_day(date(2026, 3, 5)) == "chậm nhất ngày 05/03/2026"
    assert by_day(date(2026, 3, 5), start=True) == "Chậm nhất ngày 05/03/2026"
    # whatever the content says, "Nội dung:" reads once and right
    assert topics_text(("Trao đổi, đối thoại về tình hình an ninh, trật tự",)) == \
        "trao đổi, đối thoại về tình hình an ninh, trật tự."
    assert topics_text(("Đất đai;", "Giao thông nông thôn.")) == "đất đai; giao thông nông thôn."


def test_no_conclusion_sentence_said_twice():
    base = samples.PETITIONS[1]  # answered at the conference
    p = dataclasses.replace(base, conclusion="Đã trả lời tại hội nghị. Đường sẽ được sửa. Đường sẽ được sửa.")
    assert conclusion_text(p) == "Đường sẽ được sửa. Nội dung đã được trả lời trực tiếp tại hội nghị."
    p = dataclasses.replace(base, conclusion="Nội dung đã được trả lời trực tiếp tại hội nghị")
    assert conclusion_text(p) == "Nội dung đã được trả lời trực tiếp tại hội nghị."
    assert without_repeats("A b. C d.", "c d") == "A b."


def test_as_above_first_and_the_addressee_not_twice():
    assert with_as_above(("Ủy ban nhân dân tỉnh Lâm Đồng", "TT HĐND xã"), ("Ủy ban nhân dân tỉnh Lâm Đồng",)) \
        == ("Như trên", "TT HĐND xã")
    assert with_as_above(("Như trên;", "TT HĐND xã"), ()) == ("Như trên", "TT HĐND xã")


def test_field_counts_sentence_zero():
    assert field_counts_sentence(()) == "Hội nghị không nhận được ý kiến, kiến nghị nào của Nhân dân."


def test_count_by_field_keeps_first_order():
    assert [(c.field, c.count) for c in count_by_field(samples.PETITIONS)] == [
        ("đất đai", 2), ("giao thông", 1), ("chính sách xã hội", 1), ("Môi trường", 1),
    ]


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
