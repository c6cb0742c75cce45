"""Reading the citizen's answer to "is it one of these reports?".

Buttons carry the tracking ID; typed answers work too: "iya sama" (the only one
offered), "yg pertama", "nomor 2", the tracking ID itself, "bukan itu pak", "beda".
"""

from __future__ import annotations

from dataclasses import dataclass

from actions.status import canonical_id
from actions.validators.answers import read_yes_no, words_of

#: The answer meaning "file my own report".
NEW = "new"
_ORDINALS = {
    "1": 1, "satu": 1, "pertama": 1, "kesatu": 1, "first": 1, "one": 1,
    "2": 2, "dua": 2, "kedua": 2, "second": 2, "two": 2,
    "3": 3, "tiga": 3, "ketiga": 3, "third": 3, "three": 3,
}  # fmt: skip
_LAST = frozenset({"terakhir", "last"})
_NEGATIONS = frozenset(
    {"bukan", "bkn", "beda", "berbeda", "lain", "lainnya", "tidak", "tdk", "gak", "ga", "nggak",
     "enggak", "engga", "ngga", "no", "not", "different", "another", "other"}
)  # fmt: skip
_NEW_WORDS = frozenset({"baru", "new", "sendiri"})
_SAME_WORDS = frozenset({"sama", "same", "itu", "ini", "yes", "ya", "iya", "betul", "benar"})


@dataclass(frozen=True)
class Choice:
    """What an answer chose: a tracking ID, NEW, or "yes" without saying which (`unclear`)."""

    value: str | None = None
    unclear: bool = False


def read_choice(text: str, tracking_ids: list[str], entity: str | None = None) -> Choice:
    """The report an answer picks from `tracking_ids` (in their offered order).

    Returns `Choice(tracking_id)`, `Choice(NEW)`, `Choice(unclear=True)` for a bare yes
    when several were offered, or `Choice()` when the answer is no choice at all.
    """
    offered = {tid.upper(): tid for tid in tracking_ids}
    named = canonical_id(entity) if entity else None
    if named is None and text and not text.startswith("/"):
        named = canonical_id(text) if any(ch.isdigit() for ch in text) else None
    if named is not None and named.upper() in offered:
        return Choice(offered[named.upper()])
    if text.startswith("/"):
        return Choice(NEW) if text.startswith("/deny") else Choice()
    words = _numbered(words_of(text))
    numbers = _numbers(words, len(tracking_ids))
    negated = any(word in _NEGATIONS for word in words)
    if numbers and len(set(numbers)) == 1:
        return Choice(tracking_ids[numbers[0] - 1])
    if negated or any(word in _NEW_WORDS for word in words):
        return Choice(NEW)
    said = read_yes_no(text)
    if said is False:
        return Choice(NEW)
    if said is True or any(word in _SAME_WORDS for word in words):
        return Choice(tracking_ids[0]) if len(tracking_ids) == 1 else Choice(unclear=True)
    return Choice()


def _numbered(words: list[str]) -> list[str]:
    """ "no" before a number is "nomor" ("no. 2", "yes, same as no. 1"), not a refusal."""
    return [
        "nomor" if word == "no" and words[i + 1 : i + 2] and words[i + 1].isdigit() else word
        for i, word in enumerate(words)
    ]


def _numbers(words: list[str], count: int) -> list[int]:
    """The entry numbers an answer names and does not negate ("bukan yang pertama")."""
    numbers: list[int] = []
    for position, word in enumerate(words):
        number = count if word in _LAST else _ORDINALS.get(word)
        if number is None or not 1 <= number <= count:
            continue
        before = words[max(0, position - 2) : position]
        if not any(w in _NEGATIONS for w in before):
            numbers.append(number)
    return numbers
