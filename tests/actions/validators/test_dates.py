"""Incident dates from casual Indonesian and English, relative to a fixed today."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from actions.validators.dates import (
    FUTURE,
    TOO_OLD,
    UNREADABLE,
    DateResult,
    format_date_en,
    format_date_id,
    parse_incident_date,
)

SUNDAY = date(2026, 11, 29)
MONDAY = date(2026, 11, 30)
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_the_fixed_days_are_a_sunday_and_a_monday() -> None:
    assert SUNDAY.weekday() == 6
    assert MONDAY.weekday() == 0


@pytest.mark.parametrize(
    "text",
    [
        "hari ini",
        "Hari Ini",
        "tadi pagi",
        "tadi siang",
        "tadi sore",
        "tadi malam",  # the brief's reading: earlier tonight, i.e. today
        "barusan",
        "sekarang",
        "today",
        "this morning",
        "tonight",
        "TADI PAGI sekitar jam 7",
        "td pagi",
        "baru saja",
        "hari ini jam 10.30",
        "2 jam yang lalu",
    ],
)
def test_today_words(text: str) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(SUNDAY, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # yesterday
        ("kemarin", date(2026, 11, 28)),
        ("kemaren", date(2026, 11, 28)),
        ("kmrn", date(2026, 11, 28)),
        ("KEMARIN", date(2026, 11, 28)),
        ("kemarin sore", date(2026, 11, 28)),
        ("kemarin malam", date(2026, 11, 28)),
        ("semalam", date(2026, 11, 28)),
        ("yesterday", date(2026, 11, 28)),
        ("kejadiannya kemarin sore sekitar jam 5", date(2026, 11, 28)),
        ("sejak kemarin sampai hari ini", date(2026, 11, 28)),
        # two days
        ("kemarin lusa", date(2026, 11, 27)),
        ("2 hari lalu", date(2026, 11, 27)),
        ("dua hari yang lalu", date(2026, 11, 27)),
        ("2 hari yg lalu", date(2026, 11, 27)),
        ("the day before yesterday", date(2026, 11, 27)),
        ("2 hari yang lalu jam 17.00", date(2026, 11, 27)),
        # N days
        ("satu hari yang lalu", date(2026, 11, 28)),
        ("3 hari lalu", date(2026, 11, 26)),
        ("tiga hari yang lalu", date(2026, 11, 26)),
        ("lima hari lalu", date(2026, 11, 24)),
        ("sepuluh hari lalu", date(2026, 11, 19)),
        ("4 days ago", date(2026, 11, 25)),
        ("3 hr yg lalu", date(2026, 11, 26)),
        ("jalan rusak sudah 3 hari", date(2026, 11, 26)),
        # weeks
        ("seminggu lalu", date(2026, 11, 22)),
        ("seminggu yang lalu", date(2026, 11, 22)),
        ("1 minggu lalu", date(2026, 11, 22)),
        ("minggu lalu", date(2026, 11, 22)),
        ("minggu yang lalu", date(2026, 11, 22)),
        ("pekan lalu", date(2026, 11, 22)),
        ("last week", date(2026, 11, 22)),
        ("a week ago", date(2026, 11, 22)),
        ("2 minggu lalu", date(2026, 11, 15)),
        ("dua minggu yang lalu", date(2026, 11, 15)),
        ("3 minggu lalu", date(2026, 11, 8)),
        ("1 minggu 2 hari lalu", date(2026, 11, 20)),
        # months and years
        ("sebulan lalu", date(2026, 10, 29)),
        ("bulan lalu", date(2026, 10, 29)),
        ("last month", date(2026, 10, 29)),
        ("2 bulan lalu", date(2026, 9, 29)),
        ("tahun lalu", date(2025, 11, 29)),
    ],
)
def test_relative_dates(text: str, expected: date) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(expected, None)


def test_a_month_back_is_clamped_to_the_end_of_a_shorter_month() -> None:
    assert parse_incident_date("sebulan lalu", date(2026, 3, 31)).value == date(2026, 2, 28)
    assert parse_incident_date("bulan lalu", date(2028, 3, 30)).value == date(2028, 2, 29)
    assert parse_incident_date("last month", date(2026, 1, 15)).value == date(2025, 12, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("senin", date(2026, 11, 23)),
        ("selasa", date(2026, 11, 24)),
        ("rabu", date(2026, 11, 25)),
        ("kamis", date(2026, 11, 26)),
        ("jumat", date(2026, 11, 27)),
        ("jum'at", date(2026, 11, 27)),
        ("Jum\u2019at kemarin", date(2026, 11, 27)),
        ("sabtu", date(2026, 11, 28)),
        ("sabtu kemarin", date(2026, 11, 28)),
        ("hari sabtu yang lalu", date(2026, 11, 28)),
        ("monday", date(2026, 11, 23)),
        ("last friday", date(2026, 11, 27)),
        ("kamis lalu", date(2026, 11, 26)),
        ("kejadian hari senin pagi jam 7.30", date(2026, 11, 23)),
        # Sunday on a Sunday: alone it is today, marked as past it is a week ago.
        ("minggu", SUNDAY),
        ("ahad", SUNDAY),
        ("hari minggu", SUNDAY),
        ("minggu pagi", SUNDAY),
        ("minggu kemarin", date(2026, 11, 22)),
        ("hari minggu lalu", date(2026, 11, 22)),
        ("last sunday", date(2026, 11, 22)),
        # A weekday of the previous (Monday-first) calendar week.
        ("jumat minggu lalu", date(2026, 11, 20)),
        ("kamis pekan lalu", date(2026, 11, 19)),
        ("senin 2 minggu lalu", date(2026, 11, 9)),
    ],
)
def test_weekdays_on_a_sunday(text: str, expected: date) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Monday on a Monday: alone it is today, marked as past it is a week ago.
        ("senin", MONDAY),
        ("monday", MONDAY),
        ("hari senin", MONDAY),
        ("senin kemarin", date(2026, 11, 23)),
        ("senin lalu", date(2026, 11, 23)),
        ("senin yang lalu", date(2026, 11, 23)),
        ("last monday", date(2026, 11, 23)),
        ("kemarin senin", date(2026, 11, 23)),
        ("selasa", date(2026, 11, 24)),
        ("jumat", date(2026, 11, 27)),
        ("sabtu", date(2026, 11, 28)),
        # "minggu": Sunday unless it reads as "week".
        ("minggu", date(2026, 11, 29)),
        ("hari minggu", date(2026, 11, 29)),
        ("minggu kemarin", date(2026, 11, 29)),  # last Sunday = yesterday, not last week
        ("hari minggu lalu", date(2026, 11, 29)),
        ("minggu lalu", date(2026, 11, 23)),  # last week
        ("minggu yang lalu", date(2026, 11, 23)),
        ("2 minggu lalu", date(2026, 11, 16)),
        ("jumat minggu lalu", date(2026, 11, 27)),
        ("kemarin", date(2026, 11, 29)),
    ],
)
def test_weekdays_on_a_monday(text: str, expected: date) -> None:
    assert parse_incident_date(text, MONDAY) == DateResult(expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/5", date(2026, 5, 12)),
        ("12-5", date(2026, 5, 12)),
        ("12/5/2026", date(2026, 5, 12)),
        ("12/05/26", date(2026, 5, 12)),
        ("12-05-2026", date(2026, 5, 12)),
        ("12.05.2026", date(2026, 5, 12)),
        ("12 Mei 2026", date(2026, 5, 12)),
        ("12 mei", date(2026, 5, 12)),
        ("tgl 12 mei", date(2026, 5, 12)),
        ("tanggal 12 Mei 2026 sore", date(2026, 5, 12)),
        ("Senin, 23 November 2026", date(2026, 11, 23)),
        ("May 12, 2026", date(2026, 5, 12)),
        ("May 12", date(2026, 5, 12)),
        ("12th of May", date(2026, 5, 12)),
        ("2026-05-12", date(2026, 5, 12)),
        ("2026/05/12", date(2026, 5, 12)),
        ("tgl 12 bulan 5", date(2026, 5, 12)),
        ("12 bulan 5 2026", date(2026, 5, 12)),
        ("20 11 2026", date(2026, 11, 20)),
        ("kemarin tgl 28", date(2026, 11, 28)),
        # Indonesian month names and abbreviations
        ("3 jan", date(2026, 1, 3)),
        ("3 januari", date(2026, 1, 3)),
        ("3 feb", date(2026, 2, 3)),
        ("3 februari", date(2026, 2, 3)),
        ("3 mar", date(2026, 3, 3)),
        ("3 maret", date(2026, 3, 3)),
        ("3 apr", date(2026, 4, 3)),
        ("3 april", date(2026, 4, 3)),
        ("3 jun", date(2026, 6, 3)),
        ("3 juni", date(2026, 6, 3)),
        ("3 jul", date(2026, 7, 3)),
        ("3 juli", date(2026, 7, 3)),
        ("3 agu", date(2026, 8, 3)),
        ("3 agt", date(2026, 8, 3)),
        ("3 ags", date(2026, 8, 3)),
        ("3 agustus", date(2026, 8, 3)),
        ("3 sep", date(2026, 9, 3)),
        ("3 sept", date(2026, 9, 3)),
        ("3 september", date(2026, 9, 3)),
        ("3 okt", date(2026, 10, 3)),
        ("3 oktober", date(2026, 10, 3)),
        ("3 nov", date(2026, 11, 3)),
        ("3 nopember", date(2026, 11, 3)),
        ("3 Agt. 2026", date(2026, 8, 3)),
        # Without a year: this year, or last year when this year's would be ahead.
        ("3 des", date(2025, 12, 3)),
        ("3 desember", date(2025, 12, 3)),
        ("12/12", date(2025, 12, 12)),
        ("29/11", SUNDAY),
        ("30/11", date(2025, 11, 30)),
        # A day of the month alone: the most recent one.
        ("tgl 5", date(2026, 11, 5)),
        ("sekitar tanggal 31", date(2026, 10, 31)),
    ],
)
def test_absolute_dates(text: str, expected: date) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("twelve may", date(2026, 5, 12)),  # dateparser's English number words
        ("fri", date(2026, 11, 27)),  # dateparser's weekday abbreviations
    ],
)
def test_dateparser_is_the_fallback(text: str, expected: date) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("besok", date(2026, 11, 30)),
        ("tomorrow", date(2026, 11, 30)),
        ("lusa", date(2026, 12, 1)),
        ("2 hari lagi", date(2026, 12, 1)),
        ("minggu depan", date(2026, 12, 6)),
        ("next week", date(2026, 12, 6)),
        ("bulan depan", date(2026, 12, 29)),
        ("senin depan", date(2026, 11, 30)),
        ("12/5/2027", date(2027, 5, 12)),
        ("1 Desember 2026", date(2026, 12, 1)),
    ],
)
def test_future_dates_are_rejected_with_the_date(text: str, expected: date) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(expected, FUTURE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Mei 2024", date(2024, 5, 12)),
        ("28/11/2025", date(2025, 11, 28)),  # 366 days before
        ("2 tahun lalu", date(2024, 11, 29)),
        ("29/2", date(2024, 2, 29)),  # the most recent 29 February
        ("2 years ago", date(2024, 11, 29)),
    ],
)
def test_dates_over_a_year_old_are_rejected_with_the_date(text: str, expected: date) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(expected, TOO_OLD)


def test_exactly_365_days_before_is_accepted() -> None:
    assert parse_incident_date("29/11/2025", SUNDAY) == DateResult(date(2025, 11, 29), None)


@pytest.mark.parametrize(
    "text",
    [
        "gak tau",
        "lupa",
        "saya lupa tanggalnya",
        "",
        "   ",
        "tolong",
        "jalan rusak",
        "jam 5",  # a time, not a date
        "pukul 10",
        "5",  # a bare number is not a day of the month
        "31/2",  # no such date
        "13/13",
        "mei 2026",  # a month without a day is not guessed
        "bulan mei",
        "beberapa hari lalu",  # too vague
        "minggu ini",
    ],
)
def test_unreadable(text: str) -> None:
    assert parse_incident_date(text, SUNDAY) == DateResult(None, UNREADABLE)


def test_ok_property() -> None:
    assert parse_incident_date("kemarin", SUNDAY).ok
    assert not parse_incident_date("besok", SUNDAY).ok
    assert not parse_incident_date("lupa", SUNDAY).ok


def test_a_datetime_today_is_read_as_its_date() -> None:
    now = datetime(2026, 11, 29, 23, 59)
    assert parse_incident_date("kemarin", now) == DateResult(date(2026, 11, 28), None)


def test_the_year_boundary() -> None:
    new_year = date(2027, 1, 2)
    assert parse_incident_date("kemarin lusa", new_year).value == date(2026, 12, 31)
    assert parse_incident_date("30/12", new_year).value == date(2026, 12, 30)
    assert parse_incident_date("1/1", new_year).value == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("day", "indonesian", "english"),
    [
        (date(2026, 5, 12), "Selasa, 12 Mei 2026", "Tuesday, 12 May 2026"),
        (date(2026, 11, 30), "Senin, 30 November 2026", "Monday, 30 November 2026"),
        (date(2026, 11, 29), "Minggu, 29 November 2026", "Sunday, 29 November 2026"),
        (date(2026, 8, 7), "Jumat, 7 Agustus 2026", "Friday, 7 August 2026"),
    ],
)
def test_formatting(day: date, indonesian: str, english: str) -> None:
    assert format_date_id(day) == indonesian
    assert format_date_en(day) == english


def test_importing_the_module_does_not_import_dateparser() -> None:
    code = "import sys, actions.validators.dates; print('dateparser' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - fixed command, our own interpreter
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
