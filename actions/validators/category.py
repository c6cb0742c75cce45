"""Turning a citizen's words into a category code."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from rapidfuzz import fuzz

from actions.routing.dataset import CategoryInfo

#: Words around a category name that carry no meaning ("soal sampah", "masalah jalan").
_FILLER = re.compile(
    r"\b(soal|masalah|tentang|kategori|kategorinya|bagian|urusan|terkait|about|the|category|"
    r"issue|problem|itu|ini|aja|saja|yang|yg)\b"
)
_LABEL_MATCH_SCORE = 85
_CLASSIFIER_MIN_CONFIDENCE = 0.45

Ranker = Callable[[str], Sequence[tuple[str, float]]]


def _clean(text: str) -> str:
    words = _FILLER.sub(" ", text.lower().replace("&", " "))
    return " ".join(re.sub(r"[^\w\s]", " ", words).split())


def category_from_text(
    text: str, categories: Mapping[str, CategoryInfo], rank: Ranker
) -> str | None:
    """The category a short answer names ("soal sampah", "jalan", "pju"), or None.

    Names and codes are matched first (fuzzy, so "sampa" still works); otherwise the
    classifier's best guess is used when it is confident enough.

    Args:
        text: What the citizen wrote.
        categories: The taxonomy by code.
        rank: Returns (category, confidence) pairs for a text, best first.
    """
    cleaned = _clean(text)
    if not cleaned:
        return None
    if cleaned.replace(" ", "_") in categories:
        return cleaned.replace(" ", "_")
    best_code, best_score = None, 0.0
    for code, info in categories.items():
        for name in (info.label_id, info.label_en, code.replace("_", " ")):
            parts = re.split(r"\s*(?:&|/|\band\b|\bdan\b)\s*", name.lower())
            for part in [_clean(name), *parts]:
                score = fuzz.ratio(cleaned, part) if part else 0.0
                if score > best_score:
                    best_code, best_score = code, score
    if best_code is not None and best_score >= _LABEL_MATCH_SCORE:
        return best_code
    ranked = rank(text)
    if ranked and ranked[0][1] >= _CLASSIFIER_MIN_CONFIDENCE:
        return ranked[0][0]
    return None
