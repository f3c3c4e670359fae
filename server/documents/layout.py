"""Page and paragraph layout of Decree 30/2020/NĐ-CP (Appendix I) with python-docx.

Every number of the layout is a constant here, so the tests read the DOCX
back and compare against the same numbers the decree gives.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from server.documents.formatting import date_line, nfc, number_line, recipients_lines
from server.documents.model import DocumentHeader, Signer

FONT = "Times New Roman"
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM = 20, 20  # 20-25
MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 30, 15  # 30-35, 15-20
HEADER_DISTANCE_MM = 10  # page number sits in the top margin

SIZE_PARENT_BODY = 12  # governing body, regular capitals (12-13)
SIZE_BODY_NAME = 12  # issuing body, bold capitals (12-13)
SIZE_NATIONAL_TITLE = 12  # bold capitals (12-13)
SIZE_MOTTO = 13  # bold (13-14)
SIZE_NUMBER = 13
SIZE_LETTER_SUBJECT = 12  # "V/v ..." under the number of a letter (12-13)
SIZE_DATE = 14  # italic (13-14)
SIZE_KIND = 14  # bold capitals (13-14)
SIZE_SUBJECT = 14  # bold (13-14)
SIZE_TEXT = 14  # body (13-14)
SIZE_SIGNATURE = 14  # bold capitals (13-14)
SIZE_SIGNER = 14  # bold (13-14)
SIZE_RECIPIENTS_TITLE = 12  # "Nơi nhận:" bold italic
SIZE_RECIPIENTS = 11
SIZE_PAGE_NUMBER = 14  # 13-14
SIZE_TABLE = 13
SIZE_DRAFT_MARK = 13  # "DỰ THẢO", bold, in a box at the top right of every page of a draft
DRAFT_MARK = "DỰ THẢO"
DRAFT_BOX_MM = 32

FIRST_LINE_INDENT_CM = 1.27  # 1-1.27
SPACE_AFTER_PT = 6  # >= 6
LINE_SPACING = 1.15  # single to 1.5
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 165
LEFT_COLUMN_MM = 62
RIGHT_COLUMN_MM = TEXT_WIDTH_MM - LEFT_COLUMN_MM
SIGNATURE_SPACE_LINES = 4
RULE_GAP_PT = 3
BODY_RULE_MM = 20  # under "ỦY BAN NHÂN DÂN" (about 40 mm at 12 pt bold): 1/2
MOTTO_RULE_MM = 56  # the motto's width at 13 pt bold Times New Roman
SUBJECT_CHAR_MM = 2.2  # mean width of a character at 14 pt bold, to size the subject's rule

Segments = str | Sequence[tuple[str, str]]  # text, or (text, style) with style in "", b, i, bi

CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
LEFT = WD_ALIGN_PARAGRAPH.LEFT


def _set_run_font(run, size: float, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic


def _border(element, side: str, size_eighths: int = 6) -> None:
    ppr = element.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size_eighths))
    edge.set(qn("w:space"), "1")
    edge.set(qn("w:color"), "000000")
    bdr.append(edge)


class DocWriter:
    """One official document being written, top to bottom."""

    def __init__(self, author: str = "", title: str = "") -> None:
        self.doc: DocxDocument = Document()
        props = self.doc.core_properties
        # the file's properties hold at most 255 characters (a long title is cut there;
        # the document's own text keeps it whole)
        props.author = props.last_modified_by = nfc(author)[:255]
        props.title = nfc(title)[:255]
        props.comments = props.keywords = props.subject = ""
        self._fresh_cells: set = set()  # cells whose first empty paragraph is unused
        self._setup_page()
        self._setup_styles()
        self._setup_page_numbers()

    # -- page ---------------------------------------------------------------
    def _setup_page(self) -> None:
        s = self.doc.sections[0]
        s.page_width, s.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        s.top_margin, s.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
        s.left_margin, s.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
        s.header_distance = Mm(HEADER_DISTANCE_MM)
        s.footer_distance = Mm(HEADER_DISTANCE_MM)

    def _setup_styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(SIZE_TEXT)
        rpr = normal.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "vi-VN")
        rpr.append(lang)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.line_spacing = 1.0

    def _setup_page_numbers(self) -> None:
        s = self.doc.sections[0]
        s.different_first_page_header_footer = True  # no number on page 1
        p = s.header.paragraphs[0]
        p.alignment = CENTER
        self._field(p, "PAGE", SIZE_PAGE_NUMBER)
        first = s.first_page_header.paragraphs[0]
        first.text = ""

    def _field(self, p: Paragraph, instruction: str, size: float) -> None:
        def fld(kind: str) -> None:
            r = p.add_run()
            _set_run_font(r, size)
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            r._element.append(el)

        fld("begin")
        r = p.add_run()
        _set_run_font(r, size)
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = f" {instruction} "
        r._element.append(instr)
        fld("separate")
        r = p.add_run("2")
        _set_run_font(r, size)
        fld("end")

    # -- paragraphs ---------------------------------------------------------
    def para(
        self,
        content: Segments,
        *,
        size: float = SIZE_TEXT,
        bold: bool = False,
        italic: bool = False,
        align=JUSTIFY,
        indent: bool = False,
        space_before: float = 0,
        space_after: float = 0,
        line_spacing: float = 1.0,
        container=None,
        keep_with_next: bool = False,
    ) -> Paragraph:
        p = self._new_paragraph(container)
        segments = [(content, "")] if isinstance(content, str) else list(content)
        for text, style in segments:
            r = p.add_run(nfc(text))
            _set_run_font(r, size, bold=bold or "b" in style, italic=italic or "i" in style)
        pf = p.paragraph_format
        pf.alignment = align
        pf.space_before = Pt(space_before)
        pf.space_after = Pt(space_after)
        pf.line_spacing = line_spacing
        pf.first_line_indent = Cm(FIRST_LINE_INDENT_CM) if indent else None
        if keep_with_next:
            pf.keep_with_next = True
        return p

    def _new_paragraph(self, container) -> Paragraph:
        target = container if container is not None else self.doc
        if isinstance(target, _Cell) and target._tc in self._fresh_cells:
            # A new cell starts with one empty paragraph: write into it.
            self._fresh_cells.discard(target._tc)
            return target.paragraphs[0]
        return target.add_paragraph()

    def text(self, content: Segments, **kw) -> Paragraph:
        """A body paragraph: justified, first-line indent, 6 pt after."""
        kw.setdefault("indent", True)
        kw.setdefault("space_after", SPACE_AFTER_PT)
        kw.setdefault("line_spacing", LINE_SPACING)
        return self.para(content, **kw)

    def heading(self, content: str) -> Paragraph:
        return self.text(content, bold=True, keep_with_next=True)

    def rule(self, container, length_mm: float, column_mm: float, space_after: float = 0) -> Paragraph:
        """A solid line of ``length_mm``, centred in a column, drawn as a paragraph border."""
        p = self._new_paragraph(container)
        side = max(0.0, (column_mm - length_mm) / 2 - 1.9)  # minus the cell's side padding
        pf = p.paragraph_format
        pf.left_indent = Mm(side)
        pf.right_indent = Mm(side)
        pf.space_before = Pt(0)
        pf.space_after = Pt(space_after)
        pf.line_spacing = Pt(RULE_GAP_PT)  # exact height: the line sits this far under the text
        r = p.add_run("")
        _set_run_font(r, 1)
        _border(p._p, "bottom")
        return p

    # -- blocks ------------------------------------------------------------
    def _table(self, widths_mm: Sequence[float], rows: int = 1) -> Table:
        t = self.doc.add_table(rows=rows, cols=len(widths_mm))
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        grid = t._tbl.tblGrid
        for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
            col.set(qn("w:w"), str(int(Mm(w).twips)))
        for row in t.rows:
            for cell, w in zip(row.cells, widths_mm, strict=True):
                cell.width = Mm(w)
                self._fresh_cells.add(cell._tc)
        return t

    def draft_mark(self) -> None:
        """"DỰ THẢO" in a box at the top right of every page (the first page too), so a
        draft printed or converted to PDF is never taken for the issued document."""
        s = self.doc.sections[0]
        for part in (s.first_page_header, s.header):
            first = part.paragraphs[0]
            p = first if not first.text.strip() and part is s.first_page_header else part.add_paragraph()
            p.alignment = CENTER  # centred in a box at the right edge of the text
            p.paragraph_format.left_indent = Mm(TEXT_WIDTH_MM - DRAFT_BOX_MM)
            p.paragraph_format.space_before = Pt(0)
            p.paragraph_format.space_after = Pt(0)
            _set_run_font(p.add_run(DRAFT_MARK), SIZE_DRAFT_MARK, bold=True)
            for side in ("top", "left", "bottom", "right"):
                _border(p._p, side)
        self.doc.core_properties.keywords = DRAFT_MARK

    def header_block(self, header: DocumentHeader, kind: str | None, letter_subject: str | None = None) -> None:
        """Issuing body | national title and motto; number | place and date. A draft (no
        number yet) is marked "DỰ THẢO" on every page."""
        if header.number is None:
            self.draft_mark()
        t = self._table((LEFT_COLUMN_MM, RIGHT_COLUMN_MM), rows=2)
        left, right = t.rows[0].cells
        for line in header.body.parent_lines:
            self.para(line.upper(), size=SIZE_PARENT_BODY, align=CENTER, container=left)
        for line in header.body.name_lines:
            self.para(line.upper(), size=SIZE_BODY_NAME, bold=True, align=CENTER, container=left)
        self.rule(left, length_mm=BODY_RULE_MM, column_mm=LEFT_COLUMN_MM)
        self.para(
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=SIZE_NATIONAL_TITLE, bold=True, align=CENTER,
            container=right,
        )
        self.para("Độc lập - Tự do - Hạnh phúc", size=SIZE_MOTTO, bold=True, align=CENTER, container=right)
        self.rule(right, length_mm=MOTTO_RULE_MM, column_mm=RIGHT_COLUMN_MM)
        left, right = t.rows[1].cells
        self.para(
            number_line(header.number, kind, header.body.code, header.unit_code),
            size=SIZE_NUMBER, align=CENTER, space_before=6, container=left,
        )
        if letter_subject:
            self.para(f"V/v {letter_subject}", size=SIZE_LETTER_SUBJECT, align=CENTER, container=left)
        year = header.year or (header.issued_on.year if header.issued_on else None)
        self.para(
            date_line(header.place, header.issued_on, year),
            size=SIZE_DATE, italic=True, align=CENTER, space_before=6, container=right,
        )

    def title_block(self, kind_title: str, subject: str) -> None:
        self.para(kind_title.upper(), size=SIZE_KIND, bold=True, align=CENTER, space_before=18, keep_with_next=True)
        self.para(subject, size=SIZE_SUBJECT, bold=True, align=CENTER, keep_with_next=True)
        # The rule under the subject is 1/3 of its longest line (1/3-1/2 allowed).
        longest = min(TEXT_WIDTH_MM, len(subject) * SUBJECT_CHAR_MM)
        self.rule(self.doc, length_mm=longest / 3, column_mm=TEXT_WIDTH_MM + 3.8, space_after=SPACE_AFTER_PT * 2)

    def addressee(self, names: Sequence[str], space_before: float = 12) -> None:
        """``Kính gửi: ...`` centred for one addressee, a list for several."""
        if len(names) == 1:
            self.para(
                [("Kính gửi: ", ""), (names[0], "")], size=SIZE_TEXT, align=CENTER,
                space_before=space_before, space_after=12,
            )
            return
        self.para("Kính gửi:", size=SIZE_TEXT, align=CENTER, space_before=space_before)
        for i, n in enumerate(names):
            end = "." if i == len(names) - 1 else ";"
            self.para(f"- {n}{end}", size=SIZE_TEXT, align=LEFT, container=None).paragraph_format.left_indent = Mm(55)
        self.doc.paragraphs[-1].paragraph_format.space_after = Pt(12)

    def _keep_last_with_signature(self) -> None:
        """The closing paragraph travels with the signature: never a signature alone on a page."""
        if self.doc.paragraphs:
            self.doc.paragraphs[-1].paragraph_format.keep_with_next = True

    def _signature(self, cell: _Cell, signer: Signer) -> None:
        if signer.authority:
            self.para(signer.authority.upper(), size=SIZE_SIGNATURE, bold=True, align=CENTER, container=cell)
        self.para(signer.title.upper(), size=SIZE_SIGNATURE, bold=True, align=CENTER, container=cell)
        for _ in range(SIGNATURE_SPACE_LINES):
            self.para("", size=SIZE_TEXT, align=CENTER, container=cell)
        self.para(signer.name, size=SIZE_SIGNER, bold=True, align=CENTER, container=cell)

    def signature_block(self, header: DocumentHeader) -> None:
        """``Nơi nhận:`` and recipients on the left, the signature on the right."""
        self._keep_last_with_signature()
        self.para("", space_after=6, keep_with_next=True)
        t = self._table((LEFT_COLUMN_MM + 20, RIGHT_COLUMN_MM - 20))
        left, right = t.rows[0].cells
        self.para("Nơi nhận:", size=SIZE_RECIPIENTS_TITLE, bold=True, italic=True, align=LEFT, container=left)
        for line in recipients_lines(header.recipients, header.archive):
            self.para(line, size=SIZE_RECIPIENTS, align=LEFT, container=left)
        self._signature(right, header.signer)
        _keep_table_together(t)

    def two_signatures(self, left_signer: Signer, right_signer: Signer) -> None:
        """Minutes: the secretary on the left, the chair on the right."""
        self._keep_last_with_signature()
        self.para("", space_after=6, keep_with_next=True)
        t = self._table((TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2))
        left, right = t.rows[0].cells
        self._signature(left, left_signer)
        self._signature(right, right_signer)
        _keep_table_together(t)

    def recipients_only(self, header: DocumentHeader) -> None:
        self.para("Nơi nhận:", size=SIZE_RECIPIENTS_TITLE, bold=True, italic=True, align=LEFT, space_before=12)
        for line in recipients_lines(header.recipients, header.archive):
            self.para(line, size=SIZE_RECIPIENTS, align=LEFT)

    def grid_table(self, header_row: Sequence[str], rows: Sequence[Sequence[str]], widths_mm: Sequence[float]) -> Table:
        """A table with a header row that repeats at the top of each page it runs onto;
        no row is split across pages."""
        t = self._table(widths_mm, rows=1 + len(rows))
        t.style = self.doc.styles["Table Grid"]
        for i, row in enumerate(t.rows):
            trpr = row._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:cantSplit"))
            if i == 0:
                trpr.append(OxmlElement("w:tblHeader"))
        for r, values in enumerate([header_row, *rows]):
            for c, value in enumerate(values):
                cell = t.rows[r].cells[c]
                self.para(
                    value, size=SIZE_TABLE, bold=(r == 0 or (r == len(rows) and values[0] == "")),
                    align=CENTER if (c != 1 or r == 0) else LEFT, container=cell,
                    space_before=2, space_after=2,
                )
        self.para("", space_after=SPACE_AFTER_PT)
        return t

    # -- output ------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def _keep_table_together(t: Table) -> None:
    """Ask Word/LibreOffice not to split the signature table across pages."""
    for row in t.rows:
        trpr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        trpr.append(cant)
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def write_docx(document: DocxDocument, path: str | Path) -> Path:
    """Save atomically: a temporary file next to the target, then rename."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        document.save(str(tmp))
        tmp.replace(p)
    finally:
        if tmp.exists():
            tmp.unlink()
    return p
