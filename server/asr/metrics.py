"""Word error rate as the benchmarks count it: NFC, lower-cased, punctuation removed."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def normalize_for_wer(text: str) -> str:
    """NFC, lower case, every punctuation character replaced by a space, spaces collapsed."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join(text.split())


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER (errors over all reference words) with jiwer, after normalisation."""
    import jiwer

    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    refs = [normalize_for_wer(r) for r in references]
    hyps = [normalize_for_wer(h) for h in hypotheses]
    if not any(refs):
        raise ValueError("references hold no words")
    return float(jiwer.wer(refs, hyps))
