"""Text rules: Unicode NFC on the way in, diacritic-insensitive search keys."""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Characters that NFD does not split into base + combining mark.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"})
_CONTROL = {c for c in range(32) if chr(c) not in "\t\n\r"} | {0x7F}
_DROP_CONTROL = dict.fromkeys(_CONTROL)  # a translate table that removes them


def nfc(text: str) -> str:
    """The canonical form every stored text takes."""
    return unicodedata.normalize("NFC", text)


def clean_line(text: str) -> str:
    """NFC, control characters removed, inner whitespace collapsed, trimmed."""
    text = nfc(text).translate(_DROP_CONTROL)
    return _SPACE.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """NFC for multi-line text: control characters removed, line ends kept, trimmed."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_DROP_CONTROL).strip()


def fold(text: str) -> str:
    """Search key: lower case, no diacritics, single spaces ("Nguyễn Văn Ấ" -> "nguyen van a")."""
    if len(text) <= 200:  # names and hamlets: the queue folds the same few over and over
        return _fold_short(text)
    return _fold(text)


@functools.lru_cache(maxsize=8192)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _SPACE.sub(" ", bare.casefold()).strip()


def search_key(*parts: str | None) -> str:
    """One folded string from several fields, for LIKE search in any database."""
    return " | ".join(fold(p) for p in parts if p)
