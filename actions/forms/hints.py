"""What a citizen's message already says about the report's other questions.

Pure readers: a place, a date or a privacy wish found in any message (the first one
above all) becomes a *suggestion* that the form asks the citizen to confirm instead
of asking the question from scratch. Suggestions live in the `suggestions` slot as
`{form slot: {"values": {slot: value, ...}, "label": shown text}}`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from actions.forms.readers import read_date, read_place
from actions.validators.text import privacy_from_text

#: The irritated "I wrote it already": never a place, a date or a choice in itself.
_ALREADY_SAID = re.compile(
    r"\b(?:kan|udah|udh|sudah|sdh|dah|tadi|td)\b.{0,25}\b(?:tulis|bilang|sebut|kasih tau|"
    r"kasih tahu|kasi tau|jelasin|jelaskan|ketik|sampaikan|ceritain|kirim)\w*"
    r"|\b(?:already|just)\s+(?:said|told|wrote|written|mentioned)\b"
    r"|\b(?:see|read)\s+(?:above|my (?:first )?message)\b",
    re.IGNORECASE,
)
#: Words that say nothing about a place once "I said it already" is taken out.
_FILLERS = frozenset(
    {
        "kan", "udh", "udah", "sudah", "sdh", "dah", "tadi", "td", "sy", "saya", "aku",
        "gw", "gue", "pak", "bu", "kak", "min", "bang", "mas", "mbak", "di", "ya", "yg",
        "yang", "itu", "ini", "dong", "loh", "lho", "sih", "deh", "kok", "mah", "atuh",
        "nya", "juga", "jg", "tulis", "nulis", "bilang", "sebut", "ketik", "kasih", "tau",
        "tahu", "kirim", "sampaikan", "jelasin", "jelaskan", "ceritain", "already", "said",
        "told", "wrote", "written", "mentioned", "i", "it", "above", "my", "message", "first",
    }
)  # fmt: skip


def says_already_said(text: str) -> bool:
    """Whether the answer is "I told you already" ("kan udh sy tulis tadi pak")."""
    return bool(_ALREADY_SAID.search(text))


def without_already_said(text: str) -> str:
    """What is left of an "I said it already" answer once the complaint is taken out.

    "kan udh sy tulis tadi pak, di desa Sukamulya" -> "desa Sukamulya"; "kan udh sy
    tulis tadi" -> "".
    """
    words = re.findall(r"[\w.'/-]+", text)
    kept = [word for word in words if word.lower().strip(".,") not in _FILLERS]
    return " ".join(kept).strip(" ,.")


def location_hint(text: str) -> dict[str, Any] | None:
    """A place inside the regency named in `text`, as a suggestion, or None.

    Only a clear match counts (a kecamatan, or a desa in one kecamatan); an ambiguous
    or outside place is left to the location question itself.
    """
    place = read_place(text)
    if place is None or place.outside or not place.kecamatan or place.choices:
        return None
    label = place.label
    return {
        "values": {
            # A hint comes from a message about something else (the description):
            # the place's name, not the whole message, is the location text.
            "complaint_location": label,
            "complaint_kecamatan": place.kecamatan,
            "complaint_desa": place.desa,
        },
        "label": label,
    }


def date_hint(text: str, today: dt.date) -> dict[str, Any] | None:
    """A readable, acceptable incident date in `text`, as a suggestion, or None."""
    reading = read_date(text, today)
    if reading.value is None or reading.problem is not None:
        return None
    return {
        "values": {
            "incident_date": reading.value.isoformat(),
            "incident_date_precision": reading.precision,
        },
        "label": reading.value.isoformat(),
    }


def privacy_hint(text: str) -> dict[str, Any] | None:
    """A privacy wish stated in passing ("saya minta dirahasiakan"), or None.

    Stricter than the privacy answer reader: a long description only counts when it
    names the choice itself (anonim, rahasia, "jangan tampilkan nama").
    """
    value = privacy_from_text(text)
    if value is None or value == "public":
        return None
    return {"values": {"privacy": value}, "label": value}
