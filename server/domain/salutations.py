"""How a person is addressed in a document: "Kính gửi: Ông Nguyễn Văn An", pure.

Each participant and petitioner may carry a salutation: "Ông", "Bà", "Đồng chí", or a
free title ("Linh mục", "Già làng"). The common ones are written with a capital at the
start of a line ("Kính gửi: Ông ...") and in lower case inside a sentence ("... để ông
Nguyễn Văn An được biết"); a free title is kept as typed. With no salutation recorded a
document uses the name alone, never "Ông (bà)".
"""

from __future__ import annotations

import re

from server.domain.errors import Invalid
from server.domain.limits import SALUTATION
from server.domain.text import clean_line

#: Salutations written in lower case inside a sentence (their canonical stored form).
COMMON: tuple[str, ...] = ("Ông", "Bà", "Đồng chí", "Anh", "Chị", "Cô", "Chú", "Cụ")
_BY_FOLDED = {s.lower(): s for s in COMMON}
_ALLOWED = re.compile(r"^[^\W\d_]+(?:[ .'-][^\W\d_]+)*\.?$")


def clean_salutation(text: str | None) -> str:
    """The stored form of a typed salutation: "ông" -> "Ông", "đồng chí" -> "Đồng chí", a
    free title trimmed; empty stays empty. Raises Invalid for digits or signs."""
    t = clean_line(text or "")
    if not t:
        return ""
    if len(t) > SALUTATION:
        raise Invalid("bad_salutation", f"Danh xưng tối đa {SALUTATION} ký tự.")
    if not _ALLOWED.match(t):
        raise Invalid("bad_salutation",
                      f"Danh xưng '{t}' chỉ gồm chữ (ví dụ: Ông, Bà, Đồng chí, Linh mục).")
    return _BY_FOLDED.get(t.lower(), t)


def _starts_with(name: str, salutation: str) -> bool:
    n, s = name.lower(), salutation.lower()
    return n == s or n.startswith(s + " ")


def with_salutation(salutation: str | None, name: str, *, start: bool = False) -> str:
    """"Ông Nguyễn Văn An" at the start of a line, "ông Nguyễn Văn An" inside a sentence;
    the name alone when there is no salutation (or the name already begins with it)."""
    name = clean_line(name)
    s = clean_salutation(salutation)
    if not s or _starts_with(name, s):
        head = name
    else:
        common = s.lower() in _BY_FOLDED
        word = s if start or not common else s[:1].lower() + s[1:]
        head = f"{word} {name}"
    if start and head:
        head = head[:1].upper() + head[1:]
    return head


def addressee(salutation: str | None, name: str, *details: str) -> str:
    """The addressee of a letter or invitation: "Ông Nguyễn Văn An, thôn 3, xã Đức An"."""
    parts = [with_salutation(salutation, name, start=True), *(clean_line(d) for d in details)]
    return ", ".join(p for p in parts if p)


def kinh_gui(salutation: str | None, name: str, *details: str) -> str:
    """The line above a letter's text: "Kính gửi: Ông Nguyễn Văn An"."""
    return f"Kính gửi: {addressee(salutation, name, *details)}"
