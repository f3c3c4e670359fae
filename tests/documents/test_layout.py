"""Read every generated DOCX back and check the Decree 30/2020 layout numbers."""

import io
import unicodedata
from datetime import date

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from server.documents import build, kind_code, write_docx
from tests.documents import samples

MM = Mm(1)
KIND_TITLES = {
    "thong-bao-ket-luan": "THÔNG BÁO",
    "bao-cao-cap-tren": "BÁO CÁO",
    "giay-moi": "GIẤY MỜI",
    "thong-bao-hoi-nghi": "THÔNG BÁO",
    "bien-ban": "BIÊN BẢN",
}


def _reload(doc):
    buf = io.BytesIO()
    doc.save(buf)
    return Document(io.BytesIO(buf.getvalue()))


@pytest.fixture(scope="module", params=sorted(samples.ALL))
def built(request):
    data = samples.ALL[request.param]()
    return request.param, data, _reload(build(data))


def _cell_paragraphs(table):
    return [p for row in table.rows for cell in row.cells for p in cell.paragraphs]


def _text_runs(paragraphs):
    return [r for p in paragraphs for r in p.runs if r.text.strip()]


def _pt(length):
    return None if length is None else round(length.pt, 1)


def _has_border(p, side):
    bdr = p._p.pPr.find(qn("w:pBdr")) if p._p.pPr is not None else None
    return bdr is not None and bdr.find(qn(f"w:{side}")) is not None


def test_page_a4_and_margins(built):
    _, _, doc = built
    s = doc.sections[0]
    assert (round(s.page_width / MM), round(s.page_height / MM)) == (210, 297)
    assert 20 <= round(s.top_margin / MM) <= 25
    assert 20 <= round(s.bottom_margin / MM) <= 25
    assert 30 <= round(s.left_margin / MM) <= 35
    assert 15 <= round(s.right_margin / MM) <= 20


def test_every_run_is_times_new_roman_and_nfc(built):
    _, _, doc = built
    paragraphs = list(doc.paragraphs)
    for t in doc.tables:
        paragraphs += _cell_paragraphs(t)
    runs = _text_runs(paragraphs)
    assert len(runs) > 20
    for r in runs:
        assert r.font.name == "Times New Roman", r.text
        fonts = r._element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == "Times New Roman"
        assert fonts.get(qn("w:cs")) == "Times New Roman"
        assert unicodedata.is_normalized("NFC", r.text)
        assert r.font.color.rgb is None  # black (automatic)
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_header_block(built):
    name, data, doc = built
    header = doc.tables[0]
    left = [p for p in header.rows[0].cells[0].paragraphs if p.text.strip()]
    right = [p for p in header.rows[0].cells[1].paragraphs if p.text.strip()]
    # Issuing body: capitals, bold, 12-13 pt, centred, a short rule under it.
    assert [p.text for p in left] == ["ỦY BAN NHÂN DÂN", "XÃ ĐẮK SONG"]
    for p in left:
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
        for r in p.runs:
            assert r.bold and 12 <= _pt(r.font.size) <= 13
    assert _has_border(header.rows[0].cells[0].paragraphs[-1], "bottom")
    # National title 12-13 bold capitals; motto 13-14 bold with a rule under it.
    assert right[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert all(r.bold and 12 <= _pt(r.font.size) <= 13 for r in right[0].runs)
    assert right[1].text == "Độc lập - Tự do - Hạnh phúc"
    assert all(r.bold and 13 <= _pt(r.font.size) <= 14 for r in right[1].runs)
    assert _has_border(header.rows[0].cells[1].paragraphs[-1], "bottom")
    # Number line 13 pt, zero-padded, no spaces; place and date italic 13-14 pt.
    number = header.rows[1].cells[0].paragraphs[0]
    kind = kind_code(data)
    h = data.header
    expected = f"Số: {h.number:02d}/{kind}-UBND" if kind else f"Số: {h.number:02d}/UBND-{h.unit_code}"
    assert number.text == expected
    assert all(_pt(r.font.size) == 13 and not r.bold for r in number.runs)
    date_p = header.rows[1].cells[1].paragraphs[0]
    d = h.issued_on
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    assert date_p.text == f"Đắk Song, ngày {d.day:02d} tháng {month} năm {d.year}"
    assert all(r.italic and 13 <= _pt(r.font.size) <= 14 for r in date_p.runs)


def test_kind_and_subject(built):
    name, data, doc = built
    body = [p for p in doc.paragraphs if p.text.strip()]
    if name == "tra-loi-xac-minh":
        vv = doc.tables[0].rows[1].cells[0].paragraphs[1]
        assert vv.text == "V/v trả lời kiến nghị của công dân"
        assert all(12 <= _pt(r.font.size) <= 13 and not r.bold for r in vv.runs)
        assert body[0].text.startswith("Kính gửi: Ông Phạm Đức Thắng")
        return
    kind, subject = body[0], body[1]
    assert kind.text == KIND_TITLES[name]
    assert kind.alignment == subject.alignment == WD_ALIGN_PARAGRAPH.CENTER
    for p in (kind, subject):
        assert all(r.bold and 13 <= _pt(r.font.size) <= 14 for r in p.runs)
    assert "Hội nghị đối thoại với Nhân dân năm 2026" in subject.text
    idx = [p._p for p in doc.paragraphs].index(subject._p)
    assert _has_border(doc.paragraphs[idx + 1], "bottom")


def test_body_paragraphs(built):
    _, _, doc = built
    body = [
        p for p in doc.paragraphs
        if p.text.strip() and p.paragraph_format.first_line_indent is not None
    ]
    assert len(body) >= 5
    for p in body:
        pf = p.paragraph_format
        assert p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY, p.text
        assert 1.0 <= round(pf.first_line_indent.cm, 2) <= 1.27
        assert _pt(pf.space_after) >= 6
        assert 1.0 <= pf.line_spacing <= 1.5
        for r in p.runs:
            if r.text.strip():
                assert 13 <= _pt(r.font.size) <= 14
    assert body[-1].text.endswith("./.")
    # The closing paragraph is kept with the signature (no signature alone on a page).
    assert body[-1].paragraph_format.keep_with_next


def test_signature_and_recipients(built):
    name, data, doc = built
    sig = doc.tables[-1]
    if name == "bien-ban":
        left = [p.text for p in sig.rows[0].cells[0].paragraphs if p.text.strip()]
        right = [p.text for p in sig.rows[0].cells[1].paragraphs if p.text.strip()]
        assert left == ["THƯ KÝ", "Lê Thị Mỹ Duyên"]
        assert right == ["CHỦ TRÌ", "Nguyễn Văn Hùng"]
        for p in _cell_paragraphs(sig):
            assert all(r.bold and 13 <= _pt(r.font.size) <= 14 for r in p.runs if r.text.strip())
        return
    left = [p for p in sig.rows[0].cells[0].paragraphs if p.text.strip()]
    right = [p for p in sig.rows[0].cells[1].paragraphs if p.text.strip()]
    assert [p.text for p in right] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Hùng"]
    for p in right:
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert all(r.bold and 13 <= _pt(r.font.size) <= 14 for r in p.runs)
    # Space for the signature between the title and the name.
    empty = [p for p in sig.rows[0].cells[1].paragraphs if not p.text.strip()]
    assert len(empty) >= 3
    title = left[0]
    assert title.text == "Nơi nhận:"
    assert all(r.bold and r.italic and _pt(r.font.size) == 12 for r in title.runs)
    lines = [p.text for p in left[1:]]
    h = data.header
    assert len(lines) == len(h.recipients) + 1
    assert all(line.startswith("- ") and line.endswith(";") for line in lines[:-1])
    assert lines[-1] == f"- Lưu: {', '.join(h.archive)}."
    for p in left[1:]:
        assert all(_pt(r.font.size) == 11 and not r.bold for r in p.runs)


def test_page_numbers_in_header_except_first_page(built):
    _, _, doc = built
    s = doc.sections[0]
    assert s.different_first_page_header_footer
    assert not any(p.text.strip() for p in s.first_page_header.paragraphs)
    p = s.header.paragraphs[0]
    assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
    instr = [el.text for el in p._p.iter(qn("w:instrText"))]
    assert [i.strip() for i in instr] == ["PAGE"]
    assert all(13 <= _pt(r.font.size) <= 14 for r in p.runs)


def test_draft_leaves_number_and_date_blank():
    base = samples.conclusion_notice()
    draft = type(base)(**{**base.__dict__, "header": type(base.header)(
        **{**base.header.__dict__, "number": None, "issued_on": None, "year": 2026})})
    doc = _reload(build(draft))
    number = doc.tables[0].rows[1].cells[0].paragraphs[0].text
    date_line = doc.tables[0].rows[1].cells[1].paragraphs[0].text
    assert number.startswith("Số: ") and number.endswith("/TB-UBND") and not any(c.isdigit() for c in number)
    assert date_line.startswith("Đắk Song, ngày") and date_line.endswith("năm 2026")
    assert not any(c.isdigit() for c in date_line[: -len("2026")])
    # "DỰ THẢO" in a box at the top right of every page, the first one too
    s = doc.sections[0]
    for part in (s.first_page_header, s.header):
        marks = [p for p in part.paragraphs if p.text == "DỰ THẢO"]
        assert len(marks) == 1
        assert all(_has_border(marks[0], side) for side in ("top", "left", "bottom", "right"))
        assert all(r.bold and 13 <= _pt(r.font.size) <= 14 for r in marks[0].runs)
    assert [i.strip() for i in (el.text for el in s.header.paragraphs[0]._p.iter(qn("w:instrText")))] \
        == ["PAGE"]
    assert doc.core_properties.keywords == "DỰ THẢO"


def test_issued_document_has_no_draft_mark(built):
    _, _, doc = built
    s = doc.sections[0]
    assert all(p.text != "DỰ THẢO" for part in (s.first_page_header, s.header) for p in part.paragraphs)


def test_write_docx_atomic(tmp_path):
    path = write_docx(build(samples.invitation()), tmp_path / "giay-moi.docx")
    assert path.stat().st_size > 5000
    assert [p.name for p in tmp_path.iterdir()] == ["giay-moi.docx"]
    assert Document(str(path)).paragraphs


def test_month_padding_in_march():
    base = samples.invitation()
    data = type(base)(**{**base.__dict__, "header": type(base.header)(
        **{**base.header.__dict__, "issued_on": date(2026, 3, 9), "number": 123})})
    doc = _reload(build(data))
    assert doc.tables[0].rows[1].cells[1].paragraphs[0].text == "Đắk Song, ngày 09 tháng 3 năm 2026"
    assert doc.tables[0].rows[1].cells[0].paragraphs[0].text == "Số: 123/GM-UBND"
