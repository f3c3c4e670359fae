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


def by_day(day: date, *, start: bool = False) -> str:
    """The one phrase for a deadline, the day included: ``chậm nhất ngày 05/02/2026``
    (``Chậm nhất ngày ...`` at the start of a sentence)."""
    return f"{'Chậm' if start else 'chậm'} nhất ngày {short_date(day)}"


def count_text(n: int) -> str:
    """A count as every document writes it: ``không`` for zero, two digits below ten
    (``01`` ... ``09``, as document numbers are written under Decree 30/2020), the
    number itself from ten (``10``, ``177``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"Số lượng phải là số nguyên không âm (nhận được {n!r}).")
    if n == 0:
        return "không"
    return f"{n:02d}"


def clock(at: datetime) -> str:
    """``08 giờ 00 phút``."""
    return f"{at.hour:02d} giờ {at.minute:02d} phút"


def moment(at: datetime) -> str:
    """``08 giờ 00 phút, thứ Năm, ngày 15/01/2026``."""
    return f"{clock(at)}, {WEEKDAYS[at.weekday()]}, ngày {short_date(at.date())}"


def join_clauses(items: tuple[str, ...] | list[str], sep: str = "; ") -> str:
    return sep.join(s.strip().rstrip(";.") for s in items if s.strip())


#: Words that keep their capital inside a sentence (institutions, Nhân dân, Tết).
KEEP_CAPITAL: tuple[str, ...] = (
    "Nhân dân", "Nhà nước", "Đảng", "Chính phủ", "Quốc hội", "Mặt trận", "Ủy ban", "Hội đồng",
    "Văn phòng", "Trung ương", "Tết", "Công an",
)


def lower_first(text: str) -> str:
    """Lower-case the first letter of a phrase placed inside a sentence, where grammatical.

    A common noun or a phrase written as a sentence loses its capital ("Đất đai" ->
    "đất đai", "Trao đổi về ..." -> "trao đổi về ..."). It keeps it when the text starts
    with an abbreviation ("UBND"), a name of several capitalised words ("Sở Y tế",
    "Nguyễn Văn An") or a word that is always capitalised ("Nhân dân", "Ủy ban ...").
    """
    t = nfc(text.strip())
    words = t.split()
    if not words or not words[0][:1].isupper():
        return t
    first = words[0]
    if len(first) > 1 and first.isupper():
        return t  # UBND, HĐND
    if any(t == k.strip() or t.startswith(k.strip() + " ") for k in KEEP_CAPITAL):
        return t
    if len(words) > 1 and words[1][:1].isupper():
        return t  # a proper name: Sở Y tế, Nguyễn Văn An
    return t[:1].lower() + t[1:]


_GENERIC_PLACES = ("Thôn", "Bon", "Buôn", "Bản", "Ấp", "Xóm", "Làng", "Tổ dân phố", "Khu phố", "Tổ")


def place_text(hamlet: str) -> str:
    """A hamlet inside a sentence: the generic word in lower case ("Thôn 3" -> "thôn 3",
    "Bon Bu Prăng" -> "bon Bu Prăng"), the name as typed."""
    t = nfc(hamlet.strip())
    for g in _GENERIC_PLACES:
        if t == g or t.startswith(g + " "):
            return g.lower() + t[len(g):]
    return t


def _folded(text: str) -> str:
    t = unicodedata.normalize("NFD", nfc(text).lower().replace("đ", "d"))
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def sentences_of(text: str) -> list[str]:
    """The sentences of a text (split after ``.``, ``!``, ``?``), trimmed."""
    return [s for s in (x.strip() for x in re.split(r"(?<=[.!?])\s+", nfc(text.strip()))) if s]


def without_repeats(text: str, *already: str) -> str:
    """``text`` less every sentence said already (in ``already`` or earlier in ``text``),
    compared without case, diacritics and punctuation; a sentence that is a part of
    one said already counts as said."""
    said = [_folded(s) for a in already for s in sentences_of(a) if _folded(s)]
    said += [_folded(a) for a in already if _folded(a)]
    kept: list[str] = []
    for s in sentences_of(text):
        f = _folded(s)
        if not f or any(f == x or f in x for x in said):
            continue
        kept.append(s)
        said.append(f)
    return " ".join(sentence(s) for s in kept)


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
