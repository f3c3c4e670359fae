"""Pure text rules of Decree 30/2020 (number line, place and date line) and
the Vietnamese ways of writing dates and times used in the documents."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

KINDS: dict[str, str] = {
    "TB": "THÔNG BÁO",
    "BC": "BÁO CÁO",
    "KH": "KẾ HOẠCH",
    "GM": "GIẤY MỜI",
    "BB": "BIÊN BẢN",
}
_CODE = re.compile(r"^[A-ZĐ0-9]+(?:[.&][A-ZĐ0-9]+)*$")
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def format_number(seq: int | None, kind: str | None, body_code: str, unit_code: str | None = None) -> str:
    """The part after "Số: ": ``05/TB-UBND``; a letter without kind: ``12/UBND-VP``.

    Numbers below 10 are zero-padded; ``seq=None`` leaves room for a draft.
    """
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or seq < 1):
        raise ValueError(f"Số văn bản phải là số nguyên dương (nhận được {seq!r}).")
    for label, code in (("loại văn bản", kind), ("cơ quan", body_code), ("đơn vị soạn thảo", unit_code)):
        if code is not None and not _CODE.match(nfc(code)):
            raise ValueError(f"Mã {label} '{code}' chỉ gồm chữ in hoa và số, không có khoảng trắng.")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"Loại văn bản '{kind}' không hỗ trợ; dùng: {', '.join(KINDS)}.")
    number = f"{seq:02d}" if seq is not None else "\u00a0" * 6
    tail = f"{kind}-{body_code}" if kind else body_code
    if unit_code:
        tail = f"{tail}-{unit_code}"
    return nfc(f"{number}/{tail}")


def number_line(seq: int | None, kind: str | None, body_code: str, unit_code: str | None = None) -> str:
    return f"Số: {format_number(seq, kind, body_code, unit_code)}"


def date_line(place: str, day: date | None, year: int | None = None) -> str:
    """``Đắk Song, ngày 05 tháng 02 năm 2026``: day < 10 and months 1-2 zero-padded.

    Without a day (a draft) day and month are left blank: ``ngày      tháng      năm 2026``.
    """
    if day is None:
        if year is None:
            raise ValueError("Cần năm cho dòng ngày tháng của dự thảo.")
        gap = "\u00a0" * 6
        return nfc(f"{place}, ngày{gap}tháng{gap}năm {year}")
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return nfc(f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}")


def short_date(day: date) -> str:
    """``05/02/2026``, the form used inside the text."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def clock(at: datetime) -> str:
    """``08 giờ 00 phút``."""
    return f"{at.hour:02d} giờ {at.minute:02d} phút"


def moment(at: datetime) -> str:
    """``08 giờ 00 phút, thứ Năm, ngày 15/01/2026``."""
    return f"{clock(at)}, {WEEKDAYS[at.weekday()]}, ngày {short_date(at.date())}"


def join_clauses(items: tuple[str, ...] | list[str], sep: str = "; ") -> str:
    return sep.join(s.strip().rstrip(";.") for s in items if s.strip())


def sentence(text: str) -> str:
    """Capitalise the first letter and end with a full stop."""
    t = nfc(text.strip())
    if not t:
        return t
    t = t[0].upper() + t[1:]
    return t if t[-1] in ".!?:" else t + "."


def recipients_lines(recipients: tuple[str, ...], archive: tuple[str, ...]) -> list[str]:
    """``- Như trên;`` ... ``- Lưu: VT, VP.`` (Decree 30/2020, Appendix I)."""
    lines = [f"- {nfc(r.strip().rstrip(';.'))};" for r in recipients if r.strip()]
    codes = [nfc(a.strip()) for a in archive if a.strip()] or ["VT"]
    lines.append(f"- Lưu: {', '.join(codes)}.")
    return lines
