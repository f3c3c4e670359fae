"""DOCX -> PDF with the real LibreOffice, then PDF -> PNG with poppler's pdftoppm; every
kind of document read back from its PDF with pdftotext."""

import dataclasses
import re
import subprocess
import unicodedata

import pytest

from server.documents import PdfUnavailable, build, to_pdf, write_docx
from server.documents.pdf import to_pdfs
from tests.documents import samples
from tests.documents.test_content import EXPECTED


@pytest.fixture(scope="module")
def notice_pdf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    docx = write_docx(build(samples.conclusion_notice()), folder / "thong-bao-ket-luan.docx")
    return to_pdf(docx)


def _pdftotext(pdf, page):
    out = subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    return unicodedata.normalize("NFC", out)


def test_pdf_pages_text_and_page_numbers(notice_pdf):
    assert notice_pdf.name == "thong-bao-ket-luan.pdf" and notice_pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(notice_pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == 2
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    assert abs(float(size[2]) - 595.28) < 0.5 and abs(float(size[4]) - 841.89) < 0.5  # A4 in points
    assert "Author:          Ủy ban nhân dân xã Đắk Song" in unicodedata.normalize("NFC", info)
    first = _pdftotext(notice_pdf, 1)
    for needle in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 05/TB-UBND",
        "Đắk Song, ngày 03 tháng 02 năm 2026",
        "THÔNG BÁO",
    ):
        assert needle in first, needle
    assert first.lstrip().startswith("ỦY BAN NHÂN DÂN")  # no page number on page 1
    second = _pdftotext(notice_pdf, 2)
    assert second.lstrip().startswith("2")  # page number at the top of page 2
    assert "Nơi nhận:" in second and "Nguyễn Văn Hùng" in second
    fonts = subprocess.run(["pdffonts", str(notice_pdf)], capture_output=True, text=True, check=True).stdout
    # Times New Roman, or its metric-compatible Liberation Serif where TNR is not installed.
    assert "TimesNewRoman" in fonts.replace(" ", "") or "LiberationSerif" in fonts


def test_pdf_renders_to_png(notice_pdf, tmp_path):
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(notice_pdf), str(tmp_path / "page")],
        check=True, timeout=60,
    )
    png = tmp_path / "page-1.png"
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_no_libreoffice_is_a_clear_error(tmp_path, monkeypatch):
    docx = write_docx(build(samples.invitation()), tmp_path / "giay-moi.docx")
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without soffice
    with pytest.raises(PdfUnavailable, match="pdf.unavailable"):
        to_pdf(docx)
    assert not (tmp_path / "giay-moi.pdf").exists()


def test_missing_docx(tmp_path):
    with pytest.raises(FileNotFoundError):
        to_pdf(tmp_path / "khong-co.docx")


@pytest.fixture(scope="module")
def all_pdfs(tmp_path_factory):
    """Every kind of the reference conference, and a draft notice, in one LibreOffice run."""
    folder = tmp_path_factory.mktemp("kinds")
    paths = [write_docx(build(make()), folder / f"{name}.docx") for name, make in samples.ALL.items()]
    notice = samples.conclusion_notice()
    draft = dataclasses.replace(notice, header=dataclasses.replace(
        notice.header, number=None, issued_on=None, year=2026))
    paths.append(write_docx(build(draft), folder / "du-thao.docx"))
    return {p.stem: p for p in to_pdfs(paths, folder)}


def _flat(pdf) -> str:
    """The PDF's text with lines joined and spaces collapsed, so a justified, wrapped
    sentence reads as it was written; the page numbers at the top of pages 2, 3, ... are
    left out (a sentence may run on from one page to the next)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    lines = [ln for ln in unicodedata.normalize("NFC", out).splitlines() if not ln.strip().isdigit()]
    return re.sub(r"\s+", " ", " ".join(lines))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pdf_reads_back_the_same_sentences(all_pdfs, name):
    text = _flat(all_pdfs[name])
    for line in EXPECTED[name]:
        assert line in text, line
    assert "DỰ THẢO" not in text  # issued: numbered, no draft mark


def test_draft_pdf_is_marked_on_every_page(all_pdfs):
    pdf = all_pdfs["du-thao"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    for page in range(1, pages + 1):
        assert "DỰ THẢO" in _pdftotext(pdf, page), page
