"""Normalised words of a place text, and the small word lists that say "this is a place"."""

from __future__ import annotations

import re
from typing import Final

_TOKEN_ALIASES: Final[dict[str, str]] = {
    "kec": "kecamatan", "kab": "kabupaten", "ps": "pasar", "psr": "pasar",
    "jl": "jalan", "jln": "jalan", "ds": "desa", "kp": "kampung", "kmp": "kampung",
    "perum": "perumahan", "gg": "gang", "gn": "gunung", "gng": "gunung",
    "tanggerang": "tangerang", "tangerag": "tangerang", "bdr": "bandara",
    "kelurahaan": "kelurahan", "kelrahan": "kelurahan", "kelurhan": "kelurahan",
}  # fmt: skip
#: Abbreviations of "Tangerang" that only mean it after "kota" or "kabupaten".
_TANGERANG_ABBREVIATIONS: Final = frozenset({"tgr", "tng", "tangerang"})
#: Punctuation that separates the parts of an address ("SDN Kemiri 2, Kemiri").
_SEGMENT_BREAK: Final = re.compile(r"[,;\n]+")


def normalise_words(text: str) -> list[str]:
    """Lower-case words of a place text, with abbreviations expanded.

    "Kec. Ps Kemis" -> ["kecamatan", "pasar", "kemis"]; "kelapa 2" -> ["kelapa", "dua"];
    "kota tgr" -> ["kota", "tangerang"].

    Args:
        text: Free text.

    Returns:
        The words.
    """
    return normalise_segments(text)[0]


def normalise_segments(text: str) -> tuple[list[str], list[int]]:
    """The normalised words and, for each, the number of its comma-separated part.

    "SDN Kemiri 2, Kemiri" -> (["sdn", "kemiri", "2", "kemiri"], [0, 0, 0, 1]).

    Args:
        text: Free text.

    Returns:
        The words and their part numbers.
    """
    raw: list[str] = []
    segments: list[int] = []
    for number, part in enumerate(_SEGMENT_BREAK.split(text.lower())):
        tokens = re.sub(r"[^a-z0-9]+", " ", part).split()
        raw.extend(tokens)
        segments.extend([number] * len(tokens))
    words: list[str] = []
    for index, token in enumerate(raw):
        before = words[-1] if words else ""
        after = raw[index + 1] if index + 1 < len(raw) else ""
        words.append(_normalise_token(token, before, after))
    return words, _renumber(segments)


def _renumber(segments: list[int]) -> list[int]:
    """Part numbers counted over the parts that have words (empty parts skipped)."""
    numbers: dict[int, int] = {}
    return [numbers.setdefault(segment, len(numbers)) for segment in segments]


def _normalise_token(raw: str, before: str, after: str) -> str:
    """One normalised word, given the (normalised) word before and the raw word after."""
    if raw in _TANGERANG_ABBREVIATIONS and before in {"kota", "kabupaten"}:
        return "tangerang"
    if raw == "2" and before in {"kelapa", "klp", "kel"}:
        return "dua"
    if raw == "3" and after == "raksa":
        return "tiga"
    if raw in {"kelapa2", "klp2"}:
        return "kelapadua"
    return _TOKEN_ALIASES.get(raw, raw)
