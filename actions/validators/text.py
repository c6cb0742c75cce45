"""Small checks of free-text answers: the complaint description, the privacy choice, skips.

Choices (pinned by the tests):

* A description is "too_short" with fewer than 4 different meaningful words (words of 2+
  letters that are not fillers like "di", "ada", "tolong", "saya") or fewer than 15
  letters; "too_long" above 4000 characters (checked first).
* `privacy_from_text`: a phrase about hiding the NAME or IDENTITY ("sembunyikan nama saya",
  "rahasiakan identitas", "jangan tampilkan nama saya") is "anonymous"; hiding the REPORT
  ("rahasia", "jangan dipublikasikan") is "confidential"; a negated choice ("tidak usah
  anonim", "gak rahasia") is "public". Text that asks for two different choices ("anonim
  dan rahasia") is unclear: None, so the bot asks with buttons.
* `is_skip`: the whole answer must be a refusal ("tidak ada", "ga ada foto", "skip");
  a sentence that merely contains one ("tidak ada lampu di jalan") is not a skip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

#: Description limits.
MAX_DESCRIPTION_CHARS: Final = 4000
MIN_MEANINGFUL_WORDS: Final = 4
MIN_LETTERS: Final = 15

#: Problem codes of `description_problem`.
TOO_SHORT: Final = "too_short"
TOO_LONG: Final = "too_long"

#: Privacy values (the backend's names).
PUBLIC: Final = "public"
ANONYMOUS: Final = "anonymous"
CONFIDENTIAL: Final = "confidential"

#: Words that carry no information about a problem.
_FILLER_WORDS: Final = frozenset(
    {
        "di", "ke", "dari", "yang", "yg", "dan", "atau", "ada", "ini", "itu", "tolong",
        "mohon", "pak", "bu", "kak", "min", "admin", "saya", "aku", "sy", "gw", "gue",
        "nya", "ya", "dong", "deh", "sih", "aja", "saja", "juga", "jg", "sudah", "udah",
        "sdh", "masih", "lagi", "banget", "sekali", "the", "is", "are", "a", "an", "of",
        "in", "at", "to", "and", "please", "help", "there", "it", "my", "i", "hal", "halo",
        "hai", "assalamualaikum", "permisi", "terima", "kasih", "makasih", "masalah",
        "problem", "lapor", "melapor", "mau", "ingin", "pengen", "bang",
    }
)  # fmt: skip

#: Negation words: "tidak anonim" is a public report.
_NEGATIONS: Final = frozenset(
    {"tidak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "engga", "ndak", "no", "not"}
    | {"jangan", "jgn", "gausah", "gaperlu", "usah", "perlu", "dont", "don"}
)
#: Words (prefixes) for "identity": hiding it means an anonymous report.
_IDENTITY_WORDS: Final = ("nama", "identitas", "name", "identity", "data diri", "siapa saya")
#: Words that hide the identity.
_ANONYMOUS_WORDS: Final = ("anonim", "anonym", "anon", "tanpa nama", "tidak dikenal")
#: Words that keep the report itself private.
_CONFIDENTIAL_WORDS: Final = (
    "rahasia", "dirahasia", "confidential", "private", "privat", "secret",
)  # fmt: skip
#: Verbs of publishing: negated, they mean a confidential report.
_PUBLISH_WORDS: Final = (
    "publikasi", "dipublikasi", "publish", "disebar", "sebar", "umumkan", "diumumkan", "tampil",
    "ditampilkan",
)  # fmt: skip
#: Verbs of hiding: with an identity word, they mean an anonymous report.
_HIDE_WORDS: Final = (
    "sembunyi", "disembunyi", "rahasiakan", "dirahasiakan", "samarkan", "disamarkan", "hide",
    "tutup", "ditutup", "jangan tampil",
)  # fmt: skip
#: Words for a public report.
_PUBLIC_WORDS: Final = (
    "publik", "public", "umum", "terbuka", "biasa", "normal", "boleh dipublikasi",
    "gak apa", "ga apa", "tidak apa", "gpp", "nggak apa",
)  # fmt: skip

_SKIP_PHRASES: Final = frozenset(
    {
        "tidak ada", "tdk ada", "gak ada", "ga ada", "g ada", "nggak ada", "ngga ada",
        "enggak ada", "ndak ada", "gada", "gaada", "belum ada", "blm ada", "tidak punya",
        "gak punya", "ga punya", "nggak punya", "tidak", "tdk", "gak", "ga", "nggak",
        "enggak", "ndak", "no", "none", "nope", "nothing", "lewati", "lewat", "skip",
        "lanjut", "lanjutkan", "next", "nanti", "tidak usah", "gak usah", "ga usah",
        "gausah", "nggak usah", "tidak perlu", "gak perlu", "ga perlu", "gaperlu",
        "no thanks", "not now", "later", "kosong",
    }
)  # fmt: skip
#: Words that may accompany a skip ("ga ada FOTO nya KAK").
_SKIP_EXTRA_WORDS: Final = frozenset(
    {
        "foto", "fotonya", "gambar", "gambarnya", "lampiran", "lampirannya", "file",
        "dokumen", "video", "photo", "photos", "picture", "pictures", "attachment",
        "attachments", "bukti", "aja", "saja", "dulu", "deh", "ya", "sih", "kak", "pak",
        "bu", "min", "nya", "thanks", "makasih", "dong", "kok", "yang", "yg", "apa", "apa2",
    }
)  # fmt: skip


def description_problem(text: str) -> str | None:
    """Whether a complaint description is usable as it is.

    Args:
        text: The citizen's description.

    Returns:
        "too_long" above `MAX_DESCRIPTION_CHARS` characters, "too_short" when it has fewer
        than `MIN_MEANINGFUL_WORDS` meaningful words or `MIN_LETTERS` letters (e.g. "jalan
        rusak"), else None.
    """
    stripped = text.strip()
    if len(stripped) > MAX_DESCRIPTION_CHARS:
        return TOO_LONG
    letters = sum(1 for char in stripped if char.isalpha())
    meaningful = {word for word in _words(stripped) if _is_meaningful(word)}
    if letters < MIN_LETTERS or len(meaningful) < MIN_MEANINGFUL_WORDS:
        return TOO_SHORT
    return None


def privacy_from_text(text: str) -> str | None:
    """Maps a free-text privacy answer to the backend's privacy value.

    Args:
        text: e.g. "anonim", "sembunyikan nama saya", "rahasia", "biasa aja", "public".

    Returns:
        "public", "anonymous" or "confidential", or None when the answer is unclear.
    """
    phrase = " ".join(_words(text))
    if not phrase:
        return None
    choices: set[str] = set()
    identity = _has_any(phrase, _IDENTITY_WORDS)
    hides_identity = identity and (
        _has_any(phrase, _HIDE_WORDS) or _negated(phrase, _PUBLISH_WORDS)
    )
    if _has_any(phrase, _ANONYMOUS_WORDS) or hides_identity:
        choices.add(PUBLIC if _negated(phrase, _ANONYMOUS_WORDS) else ANONYMOUS)
    if _negated(phrase, _PUBLISH_WORDS) and not identity:
        choices.add(CONFIDENTIAL)
    elif _has_any(phrase, _CONFIDENTIAL_WORDS) and not (identity and "rahasiakan" in phrase):
        choices.add(PUBLIC if _negated(phrase, _CONFIDENTIAL_WORDS) else CONFIDENTIAL)
    if not choices and _has_any(phrase, _PUBLIC_WORDS):
        choices.add(PUBLIC)
    return choices.pop() if len(choices) == 1 else None


def is_skip(text: str) -> bool:
    """Whether the answer declines an optional step (no photo, skip, later).

    Args:
        text: e.g. "tidak ada", "ga ada foto", "lewati", "skip", "nanti aja", "no photo".

    Returns:
        True when the whole answer is a refusal.
    """
    words = [word for word in _words(text) if word not in _SKIP_EXTRA_WORDS]
    return bool(words) and " ".join(words) in _SKIP_PHRASES


def _words(text: str) -> list[str]:
    """Lower-case words of letters and digits (punctuation and emoji dropped)."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def _is_meaningful(word: str) -> bool:
    """Whether a word can describe a problem (2+ letters, not a filler word)."""
    return sum(char.isalpha() for char in word) >= 2 and word not in _FILLER_WORDS


def _has_any(phrase: str, needles: Iterable[str]) -> bool:
    """Whether a word of `phrase` starts with one of the needles (multi-word needles too)."""
    padded = f" {phrase}"
    return any(f" {needle}" in padded for needle in needles)


def _negated(phrase: str, needles: Iterable[str]) -> bool:
    """Whether one of the needles starts a word among the three after a negation word."""
    words = phrase.split()
    for index, word in enumerate(words):
        if word not in _NEGATIONS:
            continue
        window = " " + " ".join(words[index + 1 : index + 4])
        if any(f" {needle}" in window for needle in needles):
            return True
    return False
