"""DOCX -> PDF through LibreOffice (``soffice --headless --convert-to pdf``)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SOFFICE_NAMES = ("soffice", "libreoffice")
DEFAULT_TIMEOUT_S = 120


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed: PDF cannot be made (the DOCX still can)."""


class PdfConversionError(RuntimeError):
    """LibreOffice ran but did not produce the PDF."""


def find_soffice() -> str | None:
    for name in SOFFICE_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def to_pdf(docx_path: str | Path, out_dir: str | Path | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> Path:
    """Convert a DOCX to PDF beside it (or in ``out_dir``); returns the PDF's path.

    Each call uses its own LibreOffice profile folder, so conversions can run
    while someone has LibreOffice open, and in parallel.
    """
    src = Path(docx_path).resolve()
    return to_pdfs([src], out_dir or src.parent, timeout_s)[0]


def to_pdfs(docx_paths: list[str | Path], out_dir: str | Path,
            timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Path]:
    """Convert several DOCX files in one LibreOffice run (it starts once); the PDFs'
    paths, in the same order."""
    sources = [Path(p).resolve() for p in docx_paths]
    for src in sources:
        if not src.is_file():
            raise FileNotFoundError(f"Không tìm thấy tệp DOCX: {src}")
    soffice = find_soffice()
    if soffice is None:
        raise PdfUnavailable(
            "pdf.unavailable: Chưa cài LibreOffice nên không tạo được PDF; vẫn tải được bản DOCX. "
            "Cài bằng: apt-get install libreoffice-writer"
        )
    dest = Path(out_dir).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    names = ", ".join(s.name for s in sources)
    with tempfile.TemporaryDirectory(prefix="doithoai-soffice-") as profile:
        cmd = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(dest),
            *(str(s) for s in sources),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise PdfConversionError(
                f"pdf.timeout: LibreOffice không chuyển xong {names} trong {timeout_s:.0f} giây."
            ) from None
    pdfs = [dest / (s.stem + ".pdf") for s in sources]
    if proc.returncode != 0 or not all(p.is_file() for p in pdfs):
        detail = (proc.stderr or proc.stdout).strip()[-500:]
        raise PdfConversionError(f"pdf.failed: LibreOffice không tạo được PDF từ {names}: {detail}")
    return pdfs
