"""Normalised words of a place text, and the small word lists that say "this is a place"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Generic, TypeVar

T = TypeVar("T")

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


class SpellingIndex(Generic[T]):
    """Known spellings by their number of words and joined length.

    The matchers compare each run of consecutive words of a text with the spellings it
    could match: one word more or fewer, a joined length within the spelling's allowed
    typos. Looking those up by shape, instead of trying every spelling against every
    run, makes matching a sentence some ten times faster.
    """

    def __init__(self, spellings: Sequence[tuple[tuple[str, ...], int, T]]) -> None:
        """`spellings`: (words, allowed typos, item) each, in the order hits are wanted."""
        self._exact: dict[str, list[tuple[int, int, T]]] = {}  # joined -> (words, order, item)
        self._by_shape: dict[tuple[int, int], list[tuple[int, int, T]]] = {}  # typo-tolerant
        self._longest = 1
        self._widest = 0
        for order, (words, edits, item) in enumerate(spellings):
            joined = "".join(words)
            if edits:
                shape = (len(words), len(joined))
                self._by_shape.setdefault(shape, []).append((order, edits, item))
            else:
                self._exact.setdefault(joined, []).append((len(words), order, item))
            self._longest = max(self._longest, len(words))
            self._widest = max(self._widest, edits)

    def candidates(self, words: list[str]) -> list[tuple[T, int, int, str]]:
        """(item, first word, number of words, joined run) for every run of `words`
        whose shape one of the spellings could match, ordered as a scan of the
        spellings in their order, each over runs of increasing length, left to right."""
        found: list[tuple[int, int, int, T, str]] = []
        for n in range(1, min(self._longest + 1, len(words)) + 1):
            for start in range(len(words) - n + 1):
                joined = "".join(words[start : start + n])
                for size, order, item in self._exact.get(joined, ()):
                    if abs(size - n) <= 1:
                        found.append((order, n, start, item, joined))
                length = len(joined)
                for size in (n - 1, n, n + 1):
                    for delta in range(-self._widest, self._widest + 1):
                        for order, edits, item in self._by_shape.get((size, length + delta), ()):
                            if abs(delta) <= edits:
                                found.append((order, n, start, item, joined))
        found.sort(key=lambda hit: hit[:3])
        return [(item, start, n, joined) for _, n, start, item, joined in found]
