"""Service-level deadlines in Indonesian working days (weekends and public holidays off)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _indonesian_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    """True on Monday to Friday unless it is an Indonesian public holiday."""
    return day.weekday() < 5 and day not in _indonesian_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (the start day itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after `start` up to and including `end`."""
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
