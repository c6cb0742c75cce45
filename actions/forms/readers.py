"""The form's view of the place and date readers (`actions.places.finder`,
`actions.validators.approximate_dates`).

A thin adapter giving the form one shape: a place with its kecamatan, desa and the
choices to offer when a name is ambiguous; a date with its precision:

* `day`: an exact date;
* `approximate`: about that day ("sekitar 2 minggu lalu", "2 mingguan lalu");
* `month`: some day of that month (stored as its first day: "dari bulan agustus");
* `unknown`: the citizen does not remember ("lupa", "udh lama", the button
  "Tidak ingat tanggalnya"); no date is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from actions.places.finder import find_place
from actions.validators.approximate_dates import read_incident_date

DAY: Final = "day"
APPROXIMATE: Final = "approximate"
MONTH: Final = "month"
UNKNOWN: Final = "unknown"

#: The date reader's precision names, as the form stores them.
_PRECISIONS: Final = {"exact": DAY}


@dataclass(frozen=True)
class DateReading:
    """An incident date read from an answer: the date, how precise, what is wrong."""

    value: dt.date | None
    precision: str
    problem: str | None = None


@dataclass(frozen=True)
class PlaceReading:
    """A place read from an answer.

    `choices` lists (button label, kecamatan) pairs when the name is ambiguous (a desa
    in several kecamatan, a misspelt kecamatan); `candidates` their kecamatan names.
    """

    text: str
    kecamatan: str | None
    desa: str | None = None
    outside: str | None = None
    candidates: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How the place is shown to the citizen: "Desa Sukamulya, Kec. Sukamulya"."""
        if self.desa and self.kecamatan:
            return f"Desa {self.desa}, Kec. {self.kecamatan}"
        return f"Kec. {self.kecamatan}" if self.kecamatan else self.text


def read_place(text: str) -> PlaceReading | None:
    """The place an answer names (None for an empty answer)."""
    text = text.strip()
    if not text:
        return None
    match = find_place(text)
    choices = [(choice.label, choice.kecamatan or "") for choice in match.choices]
    candidates = [c.kecamatan for c in match.choices if c.kecamatan and not c.desa]
    return PlaceReading(
        text=text,
        kecamatan=match.kecamatan if not match.choices else None,
        desa=match.desa,
        outside=match.outside if not match.choices else None,
        candidates=candidates,
        choices=choices,
    )


def read_date(text: str, today: dt.date) -> DateReading:
    """The incident date of an answer, with its precision (see the module docstring)."""
    found = read_incident_date(text, today)
    precision = _PRECISIONS.get(found.precision, found.precision)
    if precision == UNKNOWN and found.problem is not None:
        return DateReading(None, DAY, found.problem)
    return DateReading(found.value, precision, found.problem)
