"""Reads the date of an incident from a citizen's casual Indonesian or English answer.

The entry point is `parse_incident_date`: it tries hand-written rules first (fast, and
right about Indonesian habits such as "kemarin lusa" or "minggu lalu"), then falls back to
dateparser, which is created lazily on first use because it is slow to import. For dates
the citizen only roughly knows ("minggu lalu", "awal agustus", "lupa"), with a precision to
store, use `actions.validators.approximate_dates.read_incident_date`, which builds on it.

Choices for ambiguous phrases (the tests pin every one of them):

* "minggu" is both "Sunday" and "week". It means a WEEK after a number ("2 minggu lalu"),
  after "akhir"/"awal"/"tengah", or before "lalu", "yang lalu", "depan", "ini", "lagi"
  ("minggu lalu" = 7 days ago); it means SUNDAY after "hari" ("hari minggu lalu"),
  before "kemarin" ("minggu kemarin" = the last Sunday before today), and alone.
* A weekday alone is the most recent such day, today included ("senin" on a Monday is
  today); with "kemarin", "lalu", "yang lalu", "lewat" after it, or "last"/"past"/"kemarin"
  before it, it is strictly before today ("senin lalu" on a Monday is 7 days ago).
* A weekday followed by "minggu lalu"/"pekan lalu"/"N minggu lalu" is that weekday in the
  previous (Monday-first) calendar week: "jumat minggu lalu" on Sunday 29 Nov 2026 is
  Friday 20 Nov.
* "tadi malam" is today (the brief's reading); "semalam" and "last night" are yesterday.
* Day/month without a year is in the current year, or in the previous one when that would
  be in the future; a two-digit year is 20YY. A month without a day ("mei 2026", "bulan
  mei") is unreadable rather than guessed, as is a bare number ("5").
* "N jam/menit lalu" is today. Words pointing forward ("besok", "lusa", "minggu depan",
  "senin depan", "2 hari lagi", "tomorrow") give the future date and the "future" problem.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

#: Problem codes (machine readable; the bot words them).
UNREADABLE: Final = "unreadable"
FUTURE: Final = "future"
TOO_OLD: Final = "too_old"

#: An incident more than this many days before today is "too_old".
MAX_AGE_DAYS: Final = 365

_ID_DAYS: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_EN_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ID_MONTH_NAMES: Final = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
EN_MONTH_NAMES: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_MONTHS: Final[dict[str, int]] = {
    "jan": 1, "januari": 1, "january": 1,
    "feb": 2, "peb": 2, "februari": 2, "pebruari": 2, "february": 2,
    "mar": 3, "maret": 3, "march": 3,
    "apr": 4, "april": 4,
    "mei": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6,
    "jul": 7, "juli": 7, "july": 7,
    "agu": 8, "agt": 8, "ags": 8, "agus": 8, "agust": 8, "agustus": 8, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10,
    "nov": 11, "nop": 11, "november": 11, "nopember": 11,
    "des": 12, "desember": 12, "dec": 12, "december": 12,
}  # fmt: skip

_WEEKDAYS: Final[dict[str, int]] = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "sabtu": 5,
    "minggu": 6, "ahad": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip

_NUMBER_WORDS: Final[dict[str, int]] = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1,
}  # fmt: skip

#: Spelling variants and chat abbreviations, mapped to one canonical token.
_TOKEN_ALIASES: Final[dict[str, str]] = {
    "kmrn": "kemarin", "kemaren": "kemarin", "kmaren": "kemarin", "kmarin": "kemarin",
    "kmren": "kemarin", "kmrin": "kemarin", "kemarn": "kemarin",
    "smlm": "semalam", "semalem": "semalam", "td": "tadi", "tdi": "tadi",
    "skrg": "sekarang", "skrng": "sekarang", "skg": "sekarang", "brusan": "barusan",
    "hr": "hari", "hri": "hari", "mgg": "minggu", "mggu": "minggu", "mingu": "minggu",
    "bln": "bulan", "thn": "tahun", "yg": "yang", "jumaat": "jumat", "jmt": "jumat",
    "tgl": "tanggal", "tg": "tanggal", "tggl": "tanggal", "besuk": "besok", "bsk": "besok",
    "mlm": "malam", "pgi": "pagi", "ni": "ini", "days": "day", "weeks": "week",
    "months": "month", "years": "year", "hours": "hour", "minutes": "minute",
}  # fmt: skip

#: Unit words for the "N units ago" rule (minutes and hours count as "hour": today).
_UNITS: Final[dict[str, str]] = {
    "hari": "day", "day": "day", "minggu": "week", "pekan": "week", "week": "week",
    "bulan": "month", "month": "month", "tahun": "year", "year": "year",
    "jam": "hour", "hour": "hour", "menit": "hour", "minute": "hour",
}  # fmt: skip
#: Single words that already hold "one unit": "seminggu" = one week.
_ONE_UNIT_WORDS: Final[dict[str, str]] = {
    "sehari": "day", "seminggu": "week", "sepekan": "week", "sebulan": "month",
    "setahun": "year", "sejam": "hour",
}  # fmt: skip

_AGO: Final = frozenset({"lalu", "kemarin", "lewat", "silam", "ago", "sebelumnya"})
_AHEAD: Final = frozenset({"depan", "lagi", "kedepan", "mendatang", "later"})
_PAST_BEFORE: Final = frozenset({"last", "past", "kemarin"})
_TIME_OF_DAY: Final = frozenset({"pagi", "siang", "sore", "malam", "subuh", "petang", "hari"})

_MONTH_RE: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO_RE: Final = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_DAY_BULAN_RE: Final = re.compile(r"(?<!\d)(\d{1,2}) bulan (\d{1,2})(?: (?:tahun )?(\d{4}))?(?!\d)")
_NUMERIC_RE: Final = re.compile(
    r"(?<![\d/.-])(\d{1,2})([/-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/-])"
    r"|(?<![\d/.-])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d.])"
    r"|(?<!\d)(\d{1,2}) (\d{1,2}) (\d{4})(?!\d)"
)
_DAY_MONTH_RE: Final = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+|[-/]\s*)?({_MONTH_RE})\b\.?"
    r"(?:[\s,/-]*(\d{4})(?!\d))?"
)
_MONTH_DAY_RE: Final = re.compile(
    rf"\b({_MONTH_RE})\b\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{{4}})(?!\d))?"
)
_DAY_ONLY_RE: Final = re.compile(
    r"\b(?:tanggal|tgl|tggl|tg|date|the)\.?\s*(\d{1,2})(?:st|nd|rd|th)?\b"
)
_TIME_RE: Final = re.compile(
    r"\b(?:jam|pukul|pkl|at)\s*\d{1,2}(?:[.:]\d{2})?\b|\b\d{1,2}[.:]\d{2}\b"
    r"|\b\d{1,2}\s*(?:am|pm|wib|wita|wit)\b"
)


class _InvalidDateError(ValueError):
    """A date was written but does not exist (31/2, 12/13)."""


@dataclass(frozen=True)
class DateResult:
    """The outcome of reading an incident date.

    Attributes:
        value: The date understood, or None when nothing could be read. It is also set
            when the date is rejected as "future" or "too_old", so the bot can quote it.
        problem: None when the date is acceptable, else "unreadable", "future" or
            "too_old".
    """

    value: date | None
    problem: str | None

    @property
    def ok(self) -> bool:
        """Whether the date can be used as it is."""
        return self.value is not None and self.problem is None


def parse_incident_date(text: str, today: date) -> DateResult:
    """Reads the date of an incident from free text.

    Args:
        text: The citizen's answer, e.g. "kejadiannya kemarin sore sekitar jam 5".
        today: The reference day (the citizen's local date, Asia/Jakarta).

    Returns:
        The date and, when it cannot be used, the reason: "unreadable" (no date found),
        "future" (after `today`) or "too_old" (more than `MAX_AGE_DAYS` days before).
    """
    if isinstance(today, datetime):
        today = today.date()
    cleaned = _normalise(text)
    tokens = _tokenise(cleaned)
    try:
        found = (
            _absolute_date(cleaned, today)
            or _weekday_date(tokens, today)
            or _relative_date(tokens, today)
            or _word_date(tokens, today)
            or _dateparser_date(cleaned, today)
        )
    except _InvalidDateError:
        found = None
    return _judge(found, today)


def format_date_id(d: date) -> str:
    """Formats a date the Indonesian way.

    Args:
        d: The date.

    Returns:
        For example "Selasa, 12 Mei 2026".
    """
    return f"{_ID_DAYS[d.weekday()]}, {d.day} {ID_MONTH_NAMES[d.month - 1]} {d.year}"


def format_date_en(d: date) -> str:
    """Formats a date in English (day before month, as in Indonesia).

    Args:
        d: The date.

    Returns:
        For example "Tuesday, 12 May 2026".
    """
    return f"{_EN_DAYS[d.weekday()]}, {d.day} {EN_MONTH_NAMES[d.month - 1]} {d.year}"


def _judge(found: date | None, today: date) -> DateResult:
    """Attaches the problem code to a date found (or not)."""
    if found is None:
        return DateResult(None, UNREADABLE)
    if found > today:
        return DateResult(found, FUTURE)
    if (today - found).days > MAX_AGE_DAYS:
        return DateResult(found, TOO_OLD)
    return DateResult(found, None)


# --- normalisation -------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Lower-cases, drops apostrophes (jum'at -> jumat) and squeezes spaces."""
    lowered = re.sub(r"['\u2019`\u00b4]", "", text.lower())
    return " ".join(lowered.split())


def _tokenise(cleaned: str) -> list[str]:
    """Words and numbers, with chat spellings mapped to canonical words."""
    raw = re.findall(r"[a-z]+|\d+", cleaned)
    return [_TOKEN_ALIASES.get(word, word) for word in raw]


def _number(word: str) -> int | None:
    """The value of a number word ("3", "tiga", "three"), else None."""
    if word.isdigit():
        return int(word) if len(word) <= 3 else None
    return _NUMBER_WORDS.get(word)


# --- date arithmetic -----------------------------------------------------------------


def _safe_date(year: int, month: int, day: int) -> date | None:
    """date(year, month, day), or None when it does not exist."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _months_before(d: date, months: int) -> date:
    """The same day `months` months earlier, clamped to the end of a shorter month."""
    index = d.year * 12 + d.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def _shift(today: date, unit: str, amount: int) -> date:
    """`today` moved back by `amount` units (forward when negative)."""
    if unit == "day":
        return today - timedelta(days=amount)
    if unit == "week":
        return today - timedelta(weeks=amount)
    if unit == "month":
        return _months_before(today, amount)
    if unit == "year":
        return _months_before(today, 12 * amount)
    return today  # hours and minutes: still today


def _full_year(year: int, today: date) -> int:
    """A written year, with two digits read as 20YY (or 19YY when that is far ahead)."""
    if year >= 100:
        return year
    full = 2000 + year
    return full if full <= today.year + 20 else full - 100


def _dated(day: int, month: int, year: int | None, today: date) -> date:
    """The date for a day and month and an optional written year.

    Without a year, the most recent such day that is not after today.

    Raises:
        _InvalidDateError: When the day or month does not exist.
    """
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise _InvalidDateError(f"no such date: {day}/{month}")
    if year is not None:
        found = _safe_date(_full_year(year, today), month, day)
        if found is None:
            raise _InvalidDateError(f"no such date: {day}/{month}/{year}")
        return found
    for back in range(5):  # 29 February may be four years back
        found = _safe_date(today.year - back, month, day)
        if found is not None and found <= today:
            return found
    raise _InvalidDateError(f"no such date: {day}/{month}")


# --- rules ---------------------------------------------------------------------------


def _absolute_date(cleaned: str, today: date) -> date | None:
    """Written dates: 2026-05-12, 12/5, 12-5-2026, 12 Mei 2026, May 12, 2026, tgl 12 (bulan 5)."""
    if match := _ISO_RE.search(cleaned):
        year_text, _, month_text, day_text = match.groups()
        return _dated(int(day_text), int(month_text), int(year_text), today)
    if match := _DAY_BULAN_RE.search(cleaned):
        day_text, month_text, year_text = match.groups()
        return _dated(int(day_text), int(month_text), _optional_int(year_text), today)
    if match := _NUMERIC_RE.search(cleaned):
        groups = [group for group in match.groups() if group is not None and group not in "/-"]
        written_year = int(groups[2]) if len(groups) > 2 else None
        return _dated(int(groups[0]), int(groups[1]), written_year, today)
    if match := _DAY_MONTH_RE.search(cleaned):
        day_text, month_text, year_text = match.groups()
        return _dated(int(day_text), _MONTHS[month_text], _optional_int(year_text), today)
    if match := _MONTH_DAY_RE.search(cleaned):
        month_text, day_text, year_text = match.groups()
        return _dated(int(day_text), _MONTHS[month_text], _optional_int(year_text), today)
    if match := _DAY_ONLY_RE.search(cleaned):
        return _day_of_month(int(match.group(1)), today)
    return None


def _optional_int(text: str | None) -> int | None:
    """int(text), or None for None."""
    return None if text is None else int(text)


def _day_of_month(day: int, today: date) -> date:
    """The most recent day with this day of the month ("tanggal 12"), today included.

    Raises:
        _InvalidDateError: When the day cannot exist.
    """
    if not 1 <= day <= 31:
        raise _InvalidDateError(f"no such day of the month: {day}")
    for back in range(3):  # "tanggal 31" may skip a 30-day month and February
        month_start = _months_before(today.replace(day=1), back)
        found = _safe_date(month_start.year, month_start.month, day)
        if found is not None and found <= today:
            return found
    raise _InvalidDateError(f"no such day of the month: {day}")  # pragma: no cover


def _minggu_is_week(tokens: list[str], index: int) -> bool:
    """Whether "minggu" at `index` means "week" (True) or "Sunday" (False)."""
    before = tokens[index - 1] if index > 0 else ""
    after = tokens[index + 1] if index + 1 < len(tokens) else ""
    if before == "hari":
        return False
    if _number(before) is not None or before in {"beberapa", "akhir", "awal", "tengah"}:
        return True
    return after in _AHEAD | {"lalu", "yang", "ini", "lewat", "silam", "terakhir"}


def _weekday_date(tokens: list[str], today: date) -> date | None:
    """Weekday names: "senin", "jumat kemarin", "last friday", "jumat minggu lalu"."""
    for index, word in enumerate(tokens):
        weekday = _WEEKDAYS.get(word)
        if weekday is None or (word == "minggu" and _minggu_is_week(tokens, index)):
            continue
        return _resolve_weekday(weekday, tokens, index, today)
    return None


def _resolve_weekday(weekday: int, tokens: list[str], index: int, today: date) -> date:
    """The date a weekday name at `index` refers to, given the words around it."""
    before = tokens[index - 1] if index > 0 else ""
    following = [word for word in tokens[index + 1 : index + 5] if word not in _TIME_OF_DAY]
    weeks_back = _weeks_back_after(following)
    if weeks_back:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(weeks=weeks_back) + timedelta(days=weekday)
    if before in {"next", "coming"} or (following and following[0] in {"depan", "besok"}):
        return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    days_back = (today.weekday() - weekday) % 7
    if days_back == 0 and _is_past_modified(before, following):
        days_back = 7
    return today - timedelta(days=days_back)


def _weeks_back_after(following: list[str]) -> int:
    """N for "... minggu lalu", "... N minggu lalu", "... last week" after a weekday."""
    words = [word for word in following if word != "yang"]
    count = 1
    if words and _number(words[0]) is not None:
        count = _number(words[0]) or 1
        words = words[1:]
    if len(words) >= 2 and words[0] in {"minggu", "pekan", "week"} and words[1] in _AGO:
        return count
    if words[:2] == ["last", "week"]:
        return 1
    return 0


def _is_past_modified(before: str, following: list[str]) -> bool:
    """Whether a weekday is marked as past ("senin lalu", "last monday", "kemarin senin")."""
    if before in _PAST_BEFORE:
        return True
    words = [word for word in following[:2] if word != "yang"]
    return bool(words) and words[0] in {"kemarin", "lalu", "lewat"}


def _relative_date(tokens: list[str], today: date) -> date | None:
    """Amounts of time: "2 hari lalu", "dua minggu yang lalu", "sebulan lalu", "last week".

    Consecutive amounts add up: "1 minggu 2 hari lalu" is 9 days ago.
    """
    for index, word in enumerate(tokens):
        unit = _ONE_UNIT_WORDS.get(word)
        amount: int | None = 1
        if unit is None:
            unit = _UNITS.get(word)
            if unit is None or (word == "minggu" and not _minggu_is_week(tokens, index)):
                continue
            amount = _amount_before(tokens, index)
        if amount is None:
            continue
        parts, last = _more_amounts(tokens, index)
        direction = _direction(tokens, index, last)
        if direction == 0 and not _has_number_before(tokens, index) and word in _UNITS:
            continue  # "bulan" alone: no amount, no direction
        found = today
        for part_unit, part_amount in [(unit, amount), *parts]:
            found = _shift(found, part_unit, -part_amount if direction < 0 else part_amount)
        return found
    return None


def _more_amounts(tokens: list[str], index: int) -> tuple[list[tuple[str, int]], int]:
    """Further "N unit" pairs after the unit at `index`, and the index of the last unit."""
    parts: list[tuple[str, int]] = []
    last = index
    position = index + 1
    while position < len(tokens):
        if tokens[position] in {"dan", "and", "lebih"}:
            position += 1
        number = _number(tokens[position]) if position < len(tokens) else None
        unit_word = tokens[position + 1] if position + 1 < len(tokens) else ""
        if number is None or unit_word not in _UNITS:
            break
        parts.append((_UNITS[unit_word], number))
        last = position + 1
        position += 2
    return parts, last


def _amount_before(tokens: list[str], index: int) -> int | None:
    """The amount written before a unit: "2", "dua", "a"; 1 after "last"/"past" or none."""
    before = tokens[index - 1] if index > 0 else ""
    number = _number(before)
    if number is not None:
        return number
    if before == "beberapa":
        return None  # "beberapa hari lalu": too vague to guess
    return 1


def _has_number_before(tokens: list[str], index: int) -> bool:
    """Whether a number or "last"/"past"/"next" stands just before a unit."""
    before = tokens[index - 1] if index > 0 else ""
    return _number(before) is not None or before in {"last", "past", "next"}


def _direction(tokens: list[str], index: int, last: int) -> int:
    """+1 for past ("lalu", "ago", "last"), -1 for future ("depan", "lagi", "next"), else 0.

    Looks before the first unit (`index`) and after the last one (`last`).
    """
    after = [word for word in tokens[last + 1 : last + 3] if word != "yang"]
    before = tokens[index - 1] if index > 0 else ""
    before2 = tokens[index - 2] if index > 1 else ""
    if (after and after[0] in _AHEAD) or before == "next" or before2 in {"in", "dalam"}:
        return -1
    if (after and after[0] in _AGO) or before in {"last", "past"}:
        return 1
    if before2 in {"sejak", "sudah", "udah", "dah", "sdh", "udh", "selama", "sekitar"}:
        return 1
    return 0


_TODAY_PHRASES: Final = (
    ("hari", "ini"), ("tadi",), ("barusan",), ("baru", "saja"), ("baru", "aja"),
    ("sekarang",), ("today",), ("tonight",), ("just", "now"), ("this", "morning"),
    ("this", "afternoon"), ("this", "evening"), ("pagi", "ini"), ("siang", "ini"),
    ("sore", "ini"), ("malam", "ini"), ("now",),
)  # fmt: skip
_YESTERDAY_PHRASES: Final = (
    ("kemarin",), ("semalam",), ("yesterday",), ("last", "night"),
)  # fmt: skip
_TWO_DAYS_PHRASES: Final = (
    ("kemarin", "lusa"), ("day", "before", "yesterday"),
)  # fmt: skip
_FUTURE_PHRASES: Final = (
    (("besok",), 1), (("tomorrow",), 1), (("lusa",), 2),
)  # fmt: skip


def _word_date(tokens: list[str], today: date) -> date | None:
    """Day words: "kemarin lusa", "kemarin", "semalam", "tadi pagi", "hari ini", "besok"."""
    if any(_contains(tokens, phrase) for phrase in _TWO_DAYS_PHRASES):
        return today - timedelta(days=2)
    if any(_contains(tokens, phrase) for phrase in _YESTERDAY_PHRASES):
        return today - timedelta(days=1)
    if any(_contains(tokens, phrase) for phrase in _TODAY_PHRASES):
        return today
    for phrase, days in _FUTURE_PHRASES:
        if _contains(tokens, phrase):
            return today + timedelta(days=days)
    return None


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` occurs as consecutive tokens."""
    size = len(phrase)
    return any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1))


# --- dateparser fallback -------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _date_parser(today: date) -> Any:
    """A dateparser parser relative to `today` (imported and built on first use only)."""
    # Imported here, not at module level: importing dateparser takes about half a second.
    from dateparser.date import DateDataParser

    settings = {
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
    }
    return DateDataParser(languages=["id", "en"], settings=settings)


def _dateparser_date(cleaned: str, today: date) -> date | None:
    """dateparser's reading of the text, when it names a day (not just a month or a time)."""
    without_times = " ".join(_TIME_RE.sub(" ", cleaned).split())
    if not re.search(r"[a-z]{3,}", without_times):
        return None  # a bare number or a time of day is not a date
    data = _date_parser(today).get_date_data(without_times)
    parsed = getattr(data, "date_obj", None)
    if not isinstance(parsed, datetime) or getattr(data, "period", None) not in {"day", "week"}:
        return None
    return parsed.date()
