"""Text normalisation for casual Indonesian (and English) complaint messages.

Everything here is pure: no I/O, no global state besides constant tables.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from actions.routing.lexicon import (
    ABBREVIATIONS,
    ENGLISH_PHRASES,
    ENGLISH_WORDS,
    SERVICE_PHRASES,
    SERVICE_TERMS,
)

_URL_RE: Final = re.compile(r"https?://\S+|www\.\S+")
_REPEATED_LETTER_RE: Final = re.compile(r"([a-z])\1{2,}")
_TOKEN_RE: Final = re.compile(r"[a-z0-9]+")
_REDUPLICATION_RE: Final = re.compile(r"^([a-z]{2,})2$")
_DIGIT_LETTER_RE: Final = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
#: English and Indonesian multi-word expressions with their replacements.
_PHRASES: Final = {**SERVICE_PHRASES, **ENGLISH_PHRASES}
_PHRASE_RE: Final = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(_PHRASES, key=len, reverse=True)) + r")\b"
)


def expand_abbreviation(token: str) -> str:
    """The standard spelling of one lower-case chat token.

    Args:
        token: A single lower-case token such as ``"yg"`` or ``"jln"``.

    Returns:
        The expansion (possibly several words, e.g. ``"terima kasih"``), also for old or
        regional names of services (``"askes"`` -> ``"askes bpjs kesehatan"``), or the
        token itself when it is not a known abbreviation.
    """
    return ABBREVIATIONS.get(token) or SERVICE_TERMS.get(token, token)


def translate_english(token: str) -> str:
    """The Indonesian equivalent of an English complaint word, if the glossary has one.

    Args:
        token: A single lower-case token such as ``"garbage"`` or ``"bridges"``.

    Returns:
        The glossary translation (a plural ``-s`` is dropped when only the singular is
        listed), or the token itself.
    """
    if token in ENGLISH_WORDS:
        return ENGLISH_WORDS[token]
    if len(token) > 3 and token.endswith("s") and token[:-1] in ENGLISH_WORDS:
        return ENGLISH_WORDS[token[:-1]]
    return token


def _split_token(token: str) -> list[str]:
    """Split reduplication (``anak2``) and glued numbers (``3bulan``, ``200rb``)."""
    match = _REDUPLICATION_RE.match(token)
    if match:
        return [match.group(1), match.group(1)]
    return [part for part in _DIGIT_LETTER_RE.split(token) if part]


def normalise(text: str) -> str:
    """Normalise a chat message for classification.

    Lower-cases (Unicode-aware), drops URLs, shortens stretched letters (``gelaaap`` ->
    ``gelap``), expands reduplication (``anak2`` -> ``anak anak``), separates glued
    numbers (``3bln`` -> ``3 bulan``), expands common abbreviations (``yg`` ->
    ``yang``, ``gk`` -> ``tidak``, ``jln`` -> ``jalan``) and old or regional service
    names (``askes`` -> ``askes bpjs kesehatan``, ``bangjo`` -> ``lampu merah``,
    ``mati lampu`` -> ``listrik padam``) and maps English complaint
    words onto Indonesian ones (``street light`` -> ``lampu jalan``, ``garbage`` ->
    ``sampah``). Punctuation is removed.

    Args:
        text: The raw message.

    Returns:
        Space-separated normalised tokens (empty when nothing is left).
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _URL_RE.sub(" ", folded)
    folded = _REPEATED_LETTER_RE.sub(r"\1", folded)
    folded = " ".join(_TOKEN_RE.findall(folded))
    folded = _PHRASE_RE.sub(lambda m: _PHRASES[m.group(0)], folded)
    words: list[str] = []
    for token in folded.split():
        for part in _split_token(token):
            words.extend(translate_english(expand_abbreviation(part)).split())
    return " ".join(words)


def normalise_many(texts: Iterable[str]) -> list[str]:
    """Normalise every text of a batch (the first step of the classifier pipeline).

    Args:
        texts: Raw messages.

    Returns:
        The normalised messages, in the same order.
    """
    return [normalise(text) for text in texts]
