"""Spoken Vietnamese numbers written as digits, the way minutes write them.

Speech recognition writes what was said ("thế kỷ mười chín", "hai nghìn
không trăm hai mươi sáu hộ"); minutes and petitions write numbers as digits
("thế kỷ 19", "2026 hộ"). :func:`write_numbers` turns each run of number
words that forms one well-formed number into digits, when the number is 10
or more or holds a magnitude word (trăm, nghìn, triệu, tỷ). Single words
below ten stay words: "một" is also "a", "năm" also "year", "ba" also
"father", and style spells small numbers out anyway.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

# Digits as they are said on their own or before a multiplier.
UNITS = {
    "không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5,
    "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
}
# The last digit after "mười"/"mươi" has its own forms: mốt (1, after mươi),
# tư (4, after mươi), lăm (5). "năm" there is the year, not five: "mười năm"
# is ten years, fifteen is "mười lăm".
AFTER_TENS = {w: v for w, v in UNITS.items() if w != "năm"} | {"lăm": 5, "nhăm": 5}
AFTER_MUOI = AFTER_TENS | {"mốt": 1, "tư": 4}
MULTIPLIERS = {"nghìn": 1_000, "ngàn": 1_000, "triệu": 1_000_000, "tỷ": 1_000_000_000, "tỉ": 1_000_000_000}
ZERO_TENS = {"linh", "lẻ"}
MAGNITUDE_WORDS = {"trăm", *MULTIPLIERS}

_WORD_RUN = re.compile(r"\w+(?: \w+)*")


def _word(tokens: list[str], i: int) -> str | None:
    return tokens[i].lower() if i < len(tokens) else None


def _tens(tokens: list[str], i: int) -> tuple[int, int] | None:
    """10-99 from position i: "mười [u]" or "u mươi [u]"; (value, next index)."""
    w = _word(tokens, i)
    if w == "mười":
        nxt = _word(tokens, i + 1)
        if nxt in AFTER_TENS and AFTER_TENS[nxt] > 0:
            return 10 + AFTER_TENS[nxt], i + 2
        return 10, i + 1
    if w in UNITS and UNITS[w] >= 2 and _word(tokens, i + 1) == "mươi":
        nxt = _word(tokens, i + 2)
        if nxt in AFTER_MUOI and AFTER_MUOI[nxt] > 0:
            return UNITS[w] * 10 + AFTER_MUOI[nxt], i + 3
        return UNITS[w] * 10, i + 2
    return None


def _below_thousand(tokens: list[str], i: int, leading: bool) -> tuple[int, int] | None:
    """0-999 from position i, as (value, next index).

    ``leading`` is false for the part after a multiplier, where "không trăm"
    (2026 = "hai nghìn không trăm hai mươi sáu") and "linh/lẻ u" are said.
    """
    w = _word(tokens, i)
    if w in UNITS and _word(tokens, i + 1) == "trăm" and (UNITS[w] > 0 or not leading):
        hundreds = UNITS[w] * 100
        j = i + 2
        tens = _tens(tokens, j)
        if tens is not None:
            return hundreds + tens[0], tens[1]
        if _word(tokens, j) in ZERO_TENS and _word(tokens, j + 1) in UNITS and UNITS[_word(tokens, j + 1)] > 0:
            return hundreds + UNITS[_word(tokens, j + 1)], j + 2
        # "một trăm hai" is said for 120 when nothing follows in the number.
        nxt = _word(tokens, j)
        if nxt in UNITS and UNITS[nxt] > 0 and _word(tokens, j + 1) not in MAGNITUDE_WORDS | {"mươi"}:
            return hundreds + UNITS[nxt] * 10, j + 1
        return hundreds, j
    tens = _tens(tokens, i)
    if tens is not None:
        return tens
    if not leading and w in ZERO_TENS and _word(tokens, i + 1) in UNITS and UNITS[_word(tokens, i + 1)] > 0:
        return UNITS[_word(tokens, i + 1)], i + 2
    if w in UNITS:
        return UNITS[w], i + 1
    return None


def parse_number(tokens: list[str], i: int) -> tuple[int, int] | None:
    """The longest well-formed number starting at word i: (value, next index), or None.

    ``tokens`` holds words only. Multipliers must fall (tỷ > triệu > nghìn).
    """
    first = _below_thousand(tokens, i, leading=True)
    if first is None:
        return None
    value, j = 0, i
    group, j = first
    last_multiplier = None
    while True:
        mult_word = _word(tokens, j)
        mult = MULTIPLIERS.get(mult_word) if mult_word else None
        if mult is None or (last_multiplier is not None and mult >= last_multiplier):
            return value + group, j
        value += group * mult
        last_multiplier = mult
        j += 1
        nxt = _below_thousand(tokens, j, leading=False)
        if nxt is None:
            return value, j
        group, k = nxt
        # A bare digit after a multiplier is a shortened form ("hai nghìn hai" = 2200)
        # only when it ends the number; before another multiplier it is a group.
        if k == j + 1 and _word(tokens, j) in UNITS and _word(tokens, k) not in MULTIPLIERS:
            if group == 0:
                return value, j
            return value + group * (mult // 10), k
        j = k


def _is_written(words: list[str], start: int, end: int, value: int) -> bool:
    return value >= 10 or any(w.lower() in MAGNITUDE_WORDS for w in words[start:end])


def write_numbers(text: str) -> str:
    """``text`` with every spoken number of 10 or more (or with trăm/nghìn/triệu/tỷ) in digits.

    A number runs over words separated by single spaces; punctuation ends it.
    """
    text = unicodedata.normalize("NFC", text)
    return _WORD_RUN.sub(lambda m: _write_run(m.group(0).split(" ")), text)


def _write_run(words: list[str]) -> str:
    """Words joined by single spaces, with numbers written as digits."""
    result: list[str] = []
    i = 0
    while i < len(words):
        parsed = parse_number(words, i)
        if parsed is not None and _is_written(words, i, parsed[1], parsed[0]):
            result.append(str(parsed[0]))
            i = parsed[1]
        else:
            result.append(words[i])
            i += 1
    return " ".join(result)
