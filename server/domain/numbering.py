"""Numbering issued documents (Decree 30/2020/NĐ-CP, Art. 15 and Appendix I), pure.

- A register is one issuing body's year: numbers restart on 1 January and follow one
  another across kinds (01/TB-UBND, 02/BC-UBND, 03/UBND-VP).
- An issue date is never earlier than the date of the last number issued in the same
  register (a later number cannot carry an earlier day), and never later than today.
- The drafting unit (đơn vị soạn thảo) is a setting of the commune, for every kind or
  per kind: its code ends a letter's number (``07/UBND-VP``; documents with a kind name
  carry only the kind and the body, ``05/TB-UBND``) and follows "VT" in the archive
  line of every document (``- Lưu: VT, VP.``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from server.domain.documents import DocumentKind
from server.domain.errors import Invalid
from server.domain.limits import BODY_CODE

#: The key of the unit used for every kind that has none of its own.
DEFAULT_UNIT = "default"
_CODE = re.compile(r"^[A-ZĐ0-9]+(?:[.&][A-ZĐ0-9]+)*$")


def check_issue_date(issued_on: date, last_issued_on: date | None, today: date,
                     last_number: str = "") -> None:
    """Refuse an issue date earlier than the register's last one, or later than today."""
    if issued_on > today:
        raise Invalid("issue_date_in_future",
                      f"Ngày ban hành {issued_on:%d/%m/%Y} sau ngày hôm nay ({today:%d/%m/%Y}); "
                      "chỉ cấp số cho văn bản ban hành từ hôm nay trở về trước.")
    if last_issued_on is not None and issued_on < last_issued_on:
        which = f"số {last_number} " if last_number else "số trước "
        raise Invalid("issue_date_before_last",
                      f"Ngày ban hành {issued_on:%d/%m/%Y} trước ngày của văn bản {which}"
                      f"({last_issued_on:%d/%m/%Y}) trong cùng sổ năm {issued_on.year}; số sau "
                      "không được mang ngày sớm hơn số trước.")


def validate_drafting_units(value: Any) -> dict[str, str]:
    """The commune's setting as typed: a code for every kind (``"VP"``), or an object
    ``{"default": "VP", "reply": "ĐC"}``; an empty code removes the entry.

    Raises Invalid with a Vietnamese message naming the wrong entry.
    """
    if value is None:
        return {}
    if isinstance(value, str):
        value = {DEFAULT_UNIT: value}
    if not isinstance(value, Mapping):
        raise Invalid("bad_drafting_units",
                      "Đơn vị soạn thảo là một mã (ví dụ \"VP\") hoặc một đối tượng "
                      "{\"default\": \"VP\", \"reply\": \"ĐC\"}.")
    allowed = {DEFAULT_UNIT, *(str(k) for k in DocumentKind)}
    out: dict[str, str] = {}
    for key, code in value.items():
        if key not in allowed:
            raise Invalid("bad_drafting_units",
                          f"Loại văn bản '{key}' không có; dùng: {', '.join(sorted(allowed))}.")
        if not isinstance(code, str):
            raise Invalid("bad_drafting_units", f"Mã đơn vị soạn thảo của '{key}' phải là chuỗi ký tự.")
        code = unicodedata.normalize("NFC", code.strip())
        if not code:
            continue
        if len(code) > BODY_CODE or not _CODE.match(code):
            raise Invalid("bad_drafting_units",
                          f"Mã đơn vị soạn thảo '{code}' ({key}) chỉ gồm chữ in hoa và số, không có "
                          f"khoảng trắng, tối đa {BODY_CODE} ký tự (ví dụ VP, ĐC).")
        out[key] = code
    return out


def drafting_unit(units: Mapping[str, Any] | None, kind: str) -> str | None:
    """The drafting unit's code for a kind of document: its own, else the commune's
    default, else none."""
    units = units or {}
    code = units.get(kind) or units.get(DEFAULT_UNIT)
    return code if isinstance(code, str) and code.strip() else None


def archive_codes(unit: str | None) -> tuple[str, ...]:
    """The archive line's codes: "VT" (the clerical office), then the drafting unit."""
    return ("VT", unit) if unit and unit != "VT" else ("VT",)
