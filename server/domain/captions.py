"""Rules of the live captions (no I/O): how far the recogniser may fall behind before the
captions degrade (live -> finals only -> paused, and back, with hysteresis), when the
public may see them, what the tablet is told, and the commune's vocabulary that corrects
what the engine heard (hamlet, bon and people's names)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from server.domain import limits
from server.domain.text import clean_line, fold

LIVE, FINALS_ONLY, PAUSED, OFF, UNAVAILABLE = "live", "finals_only", "paused", "off", "unavailable"
MODES = (LIVE, FINALS_ONLY, PAUSED, OFF, UNAVAILABLE)
RUNNING_MODES = (LIVE, FINALS_ONLY, PAUSED)
LIVE_ENGINE = "viet-asr, phụ đề"  # the engine named on a draft made from the captions


# ---- degrading when the recogniser cannot keep up -----------------------------------------

@dataclass(frozen=True)
class Thresholds:
    """Seconds of audio sent to the recogniser and not yet recognised (the backlog)."""

    to_finals_only: float = 1.5  # live -> finals only: partial words would come late
    to_paused: float = 4.0  # finals only -> paused: finals would come too late
    back_to_finals_only: float = 0.5  # paused -> finals only, once it has drained...
    paused_at_least: float = 5.0  # ...and stayed paused this long (no flapping)
    back_to_live: float = 0.5  # finals only -> live, once the backlog stayed this small...
    calm_for: float = 3.0  # ...for this long
    max_backlog: float = 6.0  # audio beyond this is dropped, never queued (see limits)


DEFAULT_THRESHOLDS = Thresholds()


def next_mode(mode: str, backlog_s: float, dropped: bool, in_mode_s: float, calm_s: float,
              t: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """The running mode after one look at the recogniser's load.

    ``backlog_s``: audio waiting to be recognised; ``dropped``: audio was dropped since the
    last look (the channel to the recogniser was full); ``in_mode_s``: how long the current
    mode has lasted; ``calm_s``: how long the backlog has stayed below ``back_to_live``.
    Down is quick, up is slow: the tablet does not flicker between modes."""
    if mode not in RUNNING_MODES:
        return mode
    if mode == LIVE:
        if dropped or backlog_s > t.to_paused:
            return PAUSED
        if backlog_s > t.to_finals_only:
            return FINALS_ONLY
        return LIVE
    if mode == FINALS_ONLY:
        if dropped or backlog_s > t.to_paused:
            return PAUSED
        if backlog_s <= t.back_to_live and calm_s >= t.calm_for and in_mode_s >= t.calm_for:
            return LIVE
        return FINALS_ONLY
    # paused
    if backlog_s <= t.back_to_finals_only and in_mode_s >= t.paused_at_least:
        return FINALS_ONLY
    return PAUSED


def takes_audio(mode: str) -> bool:
    """Whether the recogniser is fed in this mode (paused: the audio is let go)."""
    return mode in (LIVE, FINALS_ONLY)


def sends_partials(mode: str) -> bool:
    return mode == LIVE


# ---- who sees the captions -----------------------------------------------------------------

@dataclass(frozen=True)
class Situation:
    """What the visibility and the tablet's message depend on."""

    enabled: bool  # the conference's setting
    available: bool  # the engine is installed and its worker runs
    mode: str  # the running mode (live, finals_only, paused) while available
    on_air: bool
    muted: bool
    show_when_muted: bool
    turn_id: str | None  # the turn on the floor, being captioned
    hidden_turn_id: str | None  # a turn the moderator hid


def shown_mode(s: Situation) -> str:
    """The mode the tablet sees: off and unavailable before any running mode."""
    if not s.available:
        return UNAVAILABLE
    if not s.enabled:
        return OFF
    return s.mode


def turn_hidden(s: Situation) -> bool:
    return s.turn_id is not None and s.turn_id == s.hidden_turn_id


def public(s: Situation) -> bool:
    """Lines go to the public (hall screen, phones) only when the captions are on, the
    engine runs, the broadcast is on air and not muted (unless the moderator chose to show
    them while muted), and the turn is not hidden."""
    return (s.enabled and s.available and s.on_air and (not s.muted or s.show_when_muted)
            and not turn_hidden(s))


def message(s: Situation) -> str:
    """One Vietnamese sentence for the tablet: what the captions do now, and why."""
    mode = shown_mode(s)
    if mode == UNAVAILABLE:
        return "Máy này chưa có bộ nhận dạng giọng nói, không có phụ đề."
    if mode == OFF:
        return "Phụ đề đang tắt."
    if mode == PAUSED:
        return "Máy đang quá tải: phụ đề tạm dừng, sẽ tự chạy lại khi máy rảnh."
    if turn_hidden(s):
        return "Phụ đề của lượt này đã được ẩn theo yêu cầu; chỉ cán bộ thấy."
    if not s.on_air:
        return "Chưa phát thanh: phụ đề chỉ hiện cho cán bộ."
    if s.muted and not s.show_when_muted:
        return "Phát thanh đang tắt tiếng: phụ đề chỉ hiện cho cán bộ."
    if mode == FINALS_ONLY:
        return "Máy đang bận: phụ đề chỉ hiện từng câu trọn vẹn."
    if s.turn_id is None:
        return "Phụ đề sẽ chạy khi có người phát biểu."
    return "Phụ đề đang chạy."


# ---- the commune's vocabulary --------------------------------------------------------------

_PREFIXES = ("xã ", "phường ", "thị trấn ")
MIN_FOLDED = 4  # shorter terms ("An") would correct ordinary words
MATCH_SCORE = 80.0  # rapidfuzz ratio (0-100) of the folded words


class VocabularyError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_terms(raw: Iterable[str]) -> list[str]:
    """The secretary's list: each term one line of at most ``limits.VOCABULARY_TERM``
    characters, duplicates (ignoring case and diacritics) dropped, at most
    ``limits.VOCABULARY_TERMS`` terms. Raises VocabularyError with a Vietnamese reason."""
    out: list[str] = []
    seen: set[str] = set()
    for item in raw:
        term = clean_line(item)
        if not term:
            continue
        if len(term) > limits.VOCABULARY_TERM:
            raise VocabularyError(
                f"Từ «{term[:30]}…» dài quá {limits.VOCABULARY_TERM} ký tự.")
        key = fold(term)
        if key in seen:
            continue
        seen.add(key)
        out.append(term)
    if len(out) > limits.VOCABULARY_TERMS:
        raise VocabularyError(f"Danh sách từ riêng có tối đa {limits.VOCABULARY_TERMS} mục.")
    return out


def terms_from_record(names: Iterable[str], texts: Iterable[str] = ()) -> list[str]:
    """Terms the record already knows: names of people, hamlets, officials (each as
    written, the commune's "Xã" dropped), and the runs of two or more capitalised words
    inside petitions' texts ("Buôn Đăk Rơ", "Suối Đá"). Sorted, without duplicates."""
    found: dict[str, str] = {}

    def keep(term: str) -> None:
        term = clean_line(term)
        for prefix in _PREFIXES:
            if term.lower().startswith(prefix):
                term = term[len(prefix):]
        key = fold(term)
        if len(key.replace(" ", "")) >= MIN_FOLDED and len(term) <= limits.VOCABULARY_TERM:
            found.setdefault(key, term)

    for name in names:
        if name:
            keep(name)
    for text in texts:
        for sentence in re.split(r"[.!?;:,\n()]+", text or ""):
            words = sentence.split()
            run: list[str] = []
            for index, word in enumerate([*words, ""]):
                capital = bool(word) and word[0].isupper() and index > 0
                if capital:
                    run.append(word)
                    continue
                if len(run) >= 2:
                    keep(" ".join(run[:5]))
                run = []
    return sorted(found.values(), key=lambda t: (fold(t), t))


def merge_terms(from_record: Iterable[str], edited: Iterable[str]) -> list[str]:
    """The vocabulary in use: the secretary's spelling wins over the record's."""
    out: dict[str, str] = {}
    for term in from_record:
        out[fold(term)] = term
    for term in edited:
        out[fold(term)] = term
    return [t for t in out.values() if len(fold(t).replace(" ", "")) >= MIN_FOLDED]


@dataclass(frozen=True)
class _Term:
    text: str
    words: tuple[str, ...]
    key: str  # folded words joined by one space


def _prepare(terms: Iterable[str]) -> list[_Term]:
    prepared = []
    for term in terms:
        words = tuple(term.split())
        key = fold(term)
        if words and len(key.replace(" ", "")) >= MIN_FOLDED:
            prepared.append(_Term(term, words, key))
    return prepared


_TOKEN = re.compile(r"\S+")
_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def correct(text: str, terms: Iterable[str], score: float = MATCH_SCORE) -> str:
    """``text`` with each run of words that sounds like a vocabulary term written as the
    term: the words are compared without case or diacritics (``fold``), with a fuzzy
    ratio, so "bôn đắc rơ" becomes "Buôn Đăk Rơ" and "nguyen van thuong" "Nguyễn Văn
    Thưởng". One-word terms must match exactly once folded (a near one-word match is too
    often an ordinary word). Longer terms are tried first; punctuation around the words
    is kept; the rest of the text is untouched."""
    prepared = _prepare(terms)
    if not prepared or not text:
        return text
    by_letter: dict[str, list[_Term]] = {}
    for term in prepared:
        by_letter.setdefault(_initial(term.key[0]), []).append(term)
    tokens = [m.group(0) for m in _TOKEN.finditer(text)]
    parts = [_EDGE.match(tok).groups() for tok in tokens]  # (lead, word, trail)
    folded = [fold(word) for _, word, _ in parts]
    out: dict[int, tuple[int, str]] = {}  # start -> (length, replacement)
    i = 0
    while i < len(tokens):
        best: tuple[float, int, str] | None = None
        for term in by_letter.get(_initial(folded[i][:1]), ()) if folded[i] else ():
            n = len(term.words)
            flat = term.key.replace(" ", "")
            # the same words, or one more or one fewer: "h mai ê ban" is "H Mai Êban"
            for size in (n + 1, n, n - 1):
                if size < 1 or i + size > len(tokens) or not all(folded[i:i + size]):
                    continue
                heard = folded[i:i + size]
                joined = "".join(heard)
                if joined == flat:
                    found = 100.0
                elif size == 1 or n == 1:
                    continue  # one word: only an exact match (diacritics and case aside)
                elif size == n and not _same_shape(heard, term.key.split()):
                    continue
                else:
                    found = fuzz.ratio(joined, flat)
                    if size != n:
                        found -= 10  # another number of words than the term: stricter
                if found >= score and (best is None or (found, size) > best[:2]):
                    best = (found, size, term.text)
        if best is None:
            i += 1
            continue
        out[i] = (best[1], best[2])
        i += best[1]
    if not out:
        return text
    result: list[str] = []
    i = 0
    while i < len(tokens):
        if i in out:
            n, replacement = out[i]
            lead, trail = parts[i][0], parts[i + n - 1][2]
            result.append(f"{lead}{replacement}{trail}")
            i += n
        else:
            result.append(tokens[i])
            i += 1
    return " ".join(result)


def _initial(letter: str) -> str:
    """A word's first letter as the matching sees it: any vowel is alike ("ia" for "Ea")."""
    return "*" if letter in "aeiouy" else letter


def _same_shape(heard: list[str], term: list[str]) -> bool:
    """Each word must resemble its counterpart (same first letter, any vowel alike, or
    close spelling), so a matching total never pairs two unrelated words."""
    for a, b in zip(heard, term, strict=True):
        if _initial(a[0]) != _initial(b[0]) and fuzz.ratio(a, b) < 50:
            return False
    return True
