"""Reading an incident date that the citizen only roughly knows, or does not know.

`read_incident_date` extends `dates.parse_incident_date` (which it uses for exact dates)
with a precision the form stores next to the ISO date, for officers to see:

* "exact": a day ("kemarin sore", "senin kemarin", "tadi pagi", "12/11", "3 hari lalu").
* "approximate": a day roughly ("minggu lalu", "lupa, sekitar 2 mingguan lalu",
  "awal agustus", "sejak 3 bulan", "beberapa hari lalu", "about two weeks ago").
* "month": only the month; the date is its 1st ("dari bulan agustus", "bulan lalu",
  "agustus 2026", "last month").
* "unknown": no date, because the citizen says so ("tidak ingat", "lupa", "gk inget",
  "udh lama", "don't remember"). That is an answer, not a problem: nothing to ask again.

A date is never after today: an approximation that would be ("akhir bulan ini" on the 7th)
is today; a written future date keeps the "future" problem of `parse_incident_date`.
"Sejak"/"dari"/"since" mark a problem still going on (`since`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from actions.validators import dates as _dates
from actions.validators.dates import (
    EN_MONTH_NAMES,
    FUTURE,
    ID_MONTH_NAMES,
    MAX_AGE_DAYS,
    TOO_OLD,
    UNREADABLE,
    format_date_en,
    format_date_id,
    parse_incident_date,
)

EXACT: Final = "exact"
APPROXIMATE: Final = "approximate"
MONTH: Final = "month"
UNKNOWN: Final = "unknown"

#: Note for "udh lama": long ago, no date.
LONG_AGO: Final = "long_ago"


#: Words that make a date approximate.
_ROUGHLY: Final = frozenset(
    {"sekitar", "sekitaran", "kira", "kurang", "kisaran", "kayaknya", "kayanya", "sepertinya",
     "mungkin", "about", "around", "roughly", "approximately", "approx", "maybe", "probably",
     "perhaps", "lupa", "beberapa", "some", "few", "several", "kurleb", "kl", "an", "ish"}
)  # fmt: skip
#: Words that say "I do not know the date".
_FORGOT: Final = frozenset(
    {"lupa", "lali", "poho", "hilap", "forgot", "forget", "forgotten", "unknown", "entah",
     "ntah", "gatau", "gatahu", "gtau", "gktau", "gaingat", "gainget", "gakinget"}
)  # fmt: skip
_NOT: Final = frozenset(
    {"tidak", "tdk", "gak", "ga", "gk", "nggak", "ngga", "enggak", "engga", "kagak", "ora",
     "teu", "ndak", "nda", "dont", "do", "not", "kurang", "no", "cant", "belum"}
)  # fmt: skip
_REMEMBER: Final = frozenset(
    {"ingat", "inget", "tau", "tahu", "yakin", "remember", "know", "sure", "recall", "idea",
     "apal", "hafal", "emut", "eling", "kelingan"}
)  # fmt: skip
#: Phrases for "long ago".
_LONG_AGO: Final = (
    ("lama",), ("dari", "dulu"), ("sejak", "dulu"), ("long", "time"), ("long", "ago"),
    ("a", "while"), ("bertahun",), ("menahun",), ("ages",), ("lawas",), ("kapungkur",),
)  # fmt: skip
_SINCE: Final = frozenset({"sejak", "dari", "since", "semenjak", "mulai", "started"})

#: Start, middle and end of a period, and the day of the month they stand for.
_PART_OF_MONTH: Final[dict[str, int]] = {
    "awal": 5, "early": 5, "beginning": 5, "start": 5, "permulaan": 5,
    "tengah": 15, "pertengahan": 15, "mid": 15, "middle": 15,
    "akhir": 25, "late": 25, "end": 25, "ujung": 25,
}  # fmt: skip
_THIS: Final = frozenset({"ini", "this", "sekarang"})
_LAST: Final = frozenset({"lalu", "kemarin", "last", "previous", "kemaren", "kmrn", "lewat"})
_WEEK_UNITS: Final = frozenset(
    {"minggu", "pekan", "week", "bulan", "month", "tahun", "year", "seminggu", "sepekan",
     "sebulan", "setahun"}
)  # fmt: skip
_FEW: Final[dict[str, int]] = {"hari": 3, "day": 3, "minggu": 14, "pekan": 14, "week": 14}
_FEW_MONTHS: Final[dict[str, int]] = {"bulan": 2, "month": 2, "tahun": 12, "year": 12}
_FEW_WORDS: Final = frozenset({"beberapa", "few", "several", "some"})


@dataclass(frozen=True)
class IncidentDate:
    """An incident date with how precisely it is known.

    Attributes:
        value: The date (for "month", the 1st of the month), or None when unknown or
            unreadable. Also set with the "future"/"too_old" problems, to quote it.
        precision: "exact", "approximate", "month" or "unknown".
        problem: None when usable (an "unknown" date is usable), else "unreadable",
            "future" or "too_old".
        since: Whether the problem started then and is still going on ("sejak ...").
        note: "long_ago" for "udh lama" (unknown, but long ago), else None.
    """

    value: date | None
    precision: str
    problem: str | None = None
    since: bool = False
    note: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the form can take this answer (a date, or "I don't know")."""
        return self.problem is None

    @property
    def iso(self) -> str | None:
        """The date as YYYY-MM-DD for the `incident_date` slot, or None."""
        return self.value.isoformat() if self.value else None


def read_incident_date(text: str, today: date) -> IncidentDate:
    """Reads an incident date, exact, approximate, by month, or "I don't know".

    Args:
        text: The citizen's answer, e.g. "lupa, sekitar 2 mingguan lalu".
        today: The reference day (the citizen's local date, Asia/Jakarta).

    Returns:
        The date, its precision and any problem (see the module docstring).
    """
    if isinstance(today, datetime):
        today = today.date()
    cleaned = _dates._normalise(text)
    stretched = re.search(r"\b(?:se)?(?:hari|minggu|pekan|bulan|tahun)an\b", cleaned)
    cleaned = re.sub(r"\b((?:se)?(?:hari|minggu|pekan|bulan|tahun))an\b", r"\1", cleaned)
    cleaned = re.sub(r"\bkurang lebih\b|\bkira[- ]?kira\b|\bkurleb\b", " sekitar ", cleaned)
    tokens = _dates._tokenise(cleaned)
    since = any(word in _SINCE for word in tokens)
    roughly = bool(stretched) or any(word in _ROUGHLY for word in tokens)
    few = _few_ago(tokens, today)
    if few is not None:
        return _judged(few, APPROXIMATE, today, since)
    period = _period(tokens, today)
    if period is not None:
        value, precision = period
        return _judged(value, precision, today, since)
    exact = parse_incident_date(cleaned, today)
    if exact.value is not None:
        approximate = roughly or _counts_weeks_or_more(tokens, today)
        precision = APPROXIMATE if approximate else EXACT
        return IncidentDate(exact.value, precision, exact.problem, since)
    if _says_forgot(tokens):
        return IncidentDate(None, UNKNOWN)
    if any(_dates._contains(tokens, phrase) for phrase in _LONG_AGO):
        return IncidentDate(None, UNKNOWN, note=LONG_AGO)
    return IncidentDate(None, UNKNOWN, UNREADABLE)


def describe_incident_date(result: IncidentDate, *, english: bool = False) -> str:
    """The date as officers and citizens read it, with its precision.

    "Selasa, 12 Mei 2026"; "sekitar Selasa, 12 Mei 2026"; "Mei 2026"; "tidak diketahui";
    "sejak ..." for a problem still going on. English with `english`.

    Args:
        result: A `read_incident_date` result.
        english: Whether to write English.

    Returns:
        The text.
    """
    if result.value is None:
        if result.note == LONG_AGO:
            return "long ago (date unknown)" if english else "sudah lama (tanggal tidak diketahui)"
        return "unknown" if english else "tidak diketahui"
    value = result.value
    if result.precision == MONTH:
        months = EN_MONTH_NAMES if english else ID_MONTH_NAMES
        text = f"{months[value.month - 1]} {value.year}"
    else:
        text = format_date_en(value) if english else format_date_id(value)
        if result.precision == APPROXIMATE:
            text = ("about " if english else "sekitar ") + text
    if result.since:
        text = ("since " if english else "sejak ") + text
    return text


# --- rules ---------------------------------------------------------------------------


def _judged(value: date, precision: str, today: date, since: bool) -> IncidentDate:
    """An approximation clamped to today; a month after today is "future"."""
    if precision == MONTH and value > today:
        return IncidentDate(value, precision, FUTURE, since)
    value = min(value, today)
    slack = 31 if precision == MONTH else 0  # a month that began over a year ago may not be
    problem = TOO_OLD if (today - value).days > MAX_AGE_DAYS + slack else None
    return IncidentDate(value, precision, problem, since)


def _says_forgot(tokens: list[str]) -> bool:
    """Whether the answer says the citizen does not know or remember the date."""
    if any(word in _FORGOT for word in tokens):
        return True
    for index, word in enumerate(tokens):
        if word in _REMEMBER and any(w in _NOT for w in tokens[max(0, index - 3) : index]):
            return True
    return False


def _counts_weeks_or_more(tokens: list[str], today: date) -> bool:
    """Whether the date came from weeks, months or years back ("minggu lalu", "last week").

    A weekday ("jumat minggu lalu") or a written day keeps it exact.
    """
    if _dates._weekday_date(tokens, today) is not None:
        return False
    if re.search(r"\d", " ".join(tokens)) and _dates._absolute_date(" ".join(tokens), today):
        return False
    return any(word in _WEEK_UNITS for word in tokens)


def _few_ago(tokens: list[str], today: date) -> date | None:
    """ "Beberapa hari/minggu/bulan lalu": a few units back (3 days, 2 weeks, 2 months)."""
    for index, word in enumerate(tokens[:-1]):
        if word not in _FEW_WORDS:
            continue
        unit = tokens[index + 1]
        if unit in _FEW:
            return today - timedelta(days=_FEW[unit])
        if unit in _FEW_MONTHS:
            return _dates._months_before(today, _FEW_MONTHS[unit])
    return None


def _period(tokens: list[str], today: date) -> tuple[date, str] | None:
    """Months and parts of periods: "awal agustus", "bulan lalu", "dari bulan agustus"."""
    for index, word in enumerate(tokens):
        day = _PART_OF_MONTH.get(word)
        if day is None:
            continue
        rest = [w for w in tokens[index + 1 : index + 5] if w not in {"of", "the", "bulan"}]
        if rest and rest[0] == "month" and len(rest) > 1:
            rest = rest[1:]
        month = _month_named(rest, today) or _this_or_last_month(rest, today)
        if month is not None:
            return _day_in(month, day), APPROXIMATE
        year = _this_or_last_year(tokens[index + 1 : index + 4], today)
        if year is not None:
            return date(year, {5: 1, 15: 6, 25: 12}[day], 1), MONTH
    for index, word in enumerate(tokens):
        if word not in _dates._MONTHS:
            continue
        before = tokens[index - 1] if index else ""
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        if _dates._number(before) is not None or (after.isdigit() and len(after) <= 2):
            return None  # "12 agustus", "agustus 12": a day, read by parse_incident_date
        if len(word) <= 3 and before != "bulan":
            continue  # "mar", "des", "jun" alone may be other words
        found = _month_named(tokens[index:], today)
        if found is not None:
            return found, MONTH
    for index, word in enumerate(tokens):
        if word in {"bulan", "month"} and _dates._number(tokens[index - 1] if index else ""):
            continue  # "3 bulan lalu": an amount, read by parse_incident_date
        before = tokens[index - 1] if index else ""
        if word == "month" and before in _THIS | _LAST | {"previous"}:
            return _this_or_last_month([before], today) or today.replace(day=1), MONTH
        if word in {"bulan", "month"}:
            found = _this_or_last_month(tokens[index + 1 : index + 3], today)
            if found is not None and not (index and tokens[index - 1] in {"se", "a", "one"}):
                return found, MONTH
    return None


def _month_named(words: list[str], today: date) -> date | None:
    """The 1st of the month named first in `words` (with an optional year after it)."""
    if not words or words[0] not in _dates._MONTHS:
        return None
    month = _dates._MONTHS[words[0]]
    year_word = next((w for w in words[1:3] if w.isdigit() and len(w) == 4), None)
    if year_word is not None:
        return date(int(year_word), month, 1)
    year = today.year if month <= today.month else today.year - 1
    said_year = _this_or_last_year(words[1:4], today)
    if said_year is not None:
        return date(said_year, month, 1)
    if len(words) > 1 and words[1] in _LAST and month == today.month:
        year -= 1
    return date(year, month, 1)


def _this_or_last_month(words: list[str], today: date) -> date | None:
    """The 1st of this month ("bulan ini") or of the last one ("bulan lalu")."""
    first = words[0] if words else ""
    if first in {"month"} and len(words) > 1:
        first = words[1]
    if first in _THIS:
        return today.replace(day=1)
    if first in _LAST or (first == "yang" and len(words) > 1 and words[1] in _LAST):
        return _dates._months_before(today.replace(day=1), 1)
    return None


def _this_or_last_year(words: list[str], today: date) -> int | None:
    """This year ("tahun ini") or the last one ("tahun lalu")."""
    words = [w for w in words if w != "yang"]
    if len(words) >= 2 and words[1] in {"tahun", "year"} and words[0] in _THIS | _LAST:
        words = [words[1], words[0]]  # "last year", "this year"
    if len(words) < 2 or words[0] not in {"tahun", "year"}:
        return None
    if words[1] in _THIS:
        return today.year
    if words[1] in _LAST:
        return today.year - 1
    return None


def _day_in(month_start: date, day: int) -> date:
    """That day of the month, clamped to the month's length."""
    last = calendar.monthrange(month_start.year, month_start.month)[1]
    return month_start.replace(day=min(day, last))
