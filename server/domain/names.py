"""Name masking for anything shown in public (the hall screen, the stream page).

Showing a name on the public screen is publishing personal data, so by default
the public sees the surname and initials plus the hamlet ("Nguyễn V. A. - Thôn 3");
the full name only when the person gave recorded consent. Phone numbers and
addresses are never part of a public name.
"""

from __future__ import annotations

from server.domain.text import clean_line

# Joins the name and the hamlet on the public screen.
SEPARATOR = " - "


def _initial(word: str) -> str:
    """First letter of a word, upper case, with a full stop ("văn" -> "V.", "k'rư" -> "K.")."""
    for char in word:
        if char.isalpha():
            return char.upper() + "."
    return ""


def short_name(full: str) -> str:
    """Keep the first word, reduce every other word to its initial.

    "Nguyễn Văn An" -> "Nguyễn V. A."; "Y Bih Niê" -> "Y B. N."; a one-word name
    becomes its initial ("Hùng" -> "H.") so it is not published in full.
    """
    words = clean_line(full).split(" ")
    words = [w for w in words if w]
    if not words:
        return ""
    if len(words) == 1:
        return _initial(words[0])
    first = words[0]
    if first.isupper() or first.islower():
        first = first[:1].upper() + first[1:].lower() if first.isalpha() else first
    rest = [i for i in (_initial(w) for w in words[1:]) if i]
    return " ".join([first, *rest])


def public_name(full: str, hamlet: str | None, consent: bool) -> str:
    """The text the public screen shows for a citizen.

    Full name only with consent; the hamlet is added when known.
    """
    name = clean_line(full) if consent else short_name(full)
    place = clean_line(hamlet or "")
    if name and place:
        return f"{name}{SEPARATOR}{place}"
    return name or place
