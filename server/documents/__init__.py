"""Official documents of a dialogue conference (DOCX, Decree 30/2020 layout; PDF via LibreOffice)."""

from server.documents.builders import (
    build,
    build_conclusion_notice,
    build_conference_announcement,
    build_higher_level_report,
    build_invitation,
    build_minutes,
    build_verification_reply,
    count_by_field,
    kind_code,
)
from server.documents.formatting import date_line, format_number, number_line, recipients_lines
from server.documents.layout import write_docx
from server.documents.model import DocumentInputError
from server.documents.pdf import PdfConversionError, PdfUnavailable, to_pdf

__all__ = [
    "DocumentInputError",
    "PdfConversionError",
    "PdfUnavailable",
    "build",
    "build_conclusion_notice",
    "build_conference_announcement",
    "build_higher_level_report",
    "build_invitation",
    "build_minutes",
    "build_verification_reply",
    "count_by_field",
    "date_line",
    "format_number",
    "kind_code",
    "number_line",
    "recipients_lines",
    "to_pdf",
    "write_docx",
]
