"""Approximate, month-only and unknown incident dates, relative to a fixed Monday."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actions.validators.approximate_dates import (
    APPROXIMATE,
    EXACT,
    LONG_AGO,
    MONTH,
    UNKNOWN,
    IncidentDate,
    describe_incident_date,
    read_incident_date,
)
from actions.validators.dates import FUTURE, TOO_OLD, UNREADABLE

MONDAY = date(2026, 11, 30)


def test_the_fixed_day_is_a_monday() -> None:
    assert MONDAY.weekday() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kemarin sore", date(2026, 11, 29)),
        ("senin kemarin", date(2026, 11, 23)),
        ("tadi pagi", MONDAY),
        ("jumat minggu lalu", date(2026, 11, 27)),  # the previous Monday-first week
        ("12 agustus", date(2026, 8, 12)),
        ("12/11", date(2026, 11, 12)),
        ("3 hari lalu", date(2026, 11, 27)),
        ("sejak kemarin", date(2026, 11, 29)),
    ],
)
def test_exact_dates_keep_the_old_reading(text: str, expected: date) -> None:
    result = read_incident_date(text, MONDAY)
    assert (result.value, result.precision, result.problem) == (expected, EXACT, None)
    assert result.iso == expected.isoformat()
    assert result.ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("minggu lalu", date(2026, 11, 23)),
        ("lupa, sekitar 2 mingguan lalu", date(2026, 11, 16)),
        ("2 minggu lalu", date(2026, 11, 16)),
        ("seminggu yang lalu", date(2026, 11, 23)),
        ("awal agustus", date(2026, 8, 5)),
        ("pertengahan oktober", date(2026, 10, 15)),
        ("akhir bulan lalu", date(2026, 10, 25)),
        ("akhir bulan ini", date(2026, 11, 25)),
        ("sejak 3 bulan", date(2026, 8, 30)),
        ("beberapa hari lalu", date(2026, 11, 27)),
        ("beberapa minggu yang lalu", date(2026, 11, 16)),
        ("beberapa bulan lalu", date(2026, 9, 30)),
        ("kira kira 3 hari lalu", date(2026, 11, 27)),
        ("kayaknya kemarin", date(2026, 11, 29)),
        ("sebulanan", date(2026, 10, 30)),
        ("last week", date(2026, 11, 23)),
        ("about two weeks ago", date(2026, 11, 16)),
        ("end of last month", date(2026, 10, 25)),
        ("early november", date(2026, 11, 5)),
    ],
)
def test_approximate_dates(text: str, expected: date) -> None:
    result = read_incident_date(text, MONDAY)
    assert (result.value, result.precision, result.problem) == (expected, APPROXIMATE, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dari bulan agustus", date(2026, 8, 1)),
        ("bulan lalu", date(2026, 10, 1)),
        ("bulan ini", date(2026, 11, 1)),
        ("agustus 2026", date(2026, 8, 1)),
        ("bulan mei", date(2026, 5, 1)),
        ("november", date(2026, 11, 1)),
        ("desember", date(2025, 12, 1)),  # the last December, not the coming one
        ("desember tahun lalu", date(2025, 12, 1)),
        ("agustus kemarin", date(2026, 8, 1)),
        ("last month", date(2026, 10, 1)),
        ("this month", date(2026, 11, 1)),
        ("since august", date(2026, 8, 1)),
        ("awal tahun ini", date(2026, 1, 1)),
    ],
)
def test_month_only_dates_are_the_first_of_the_month(text: str, expected: date) -> None:
    result = read_incident_date(text, MONDAY)
    assert (result.value, result.precision, result.problem) == (expected, MONTH, None)


@pytest.mark.parametrize(
    "text",
    [
        "tidak ingat", "lupa", "gk inget", "ga tau", "gatau", "saya lupa tanggalnya",
        "kurang tau tanggalnya", "don't remember", "I don't know", "not sure", "poho",
    ],
)  # fmt: skip
def test_not_remembering_is_an_answer(text: str) -> None:
    result = read_incident_date(text, MONDAY)
    assert result == IncidentDate(None, UNKNOWN)
    assert result.ok
    assert result.iso is None


@pytest.mark.parametrize("text", ["udh lama", "sudah lama banget", "dari dulu", "long time ago"])
def test_long_ago_is_unknown_with_a_note(text: str) -> None:
    assert read_incident_date(text, MONDAY) == IncidentDate(None, UNKNOWN, note=LONG_AGO)


@pytest.mark.parametrize("text", ["", "hmm", "mar", "2025", "jalan rusak"])
def test_unreadable_answers(text: str) -> None:
    result = read_incident_date(text, MONDAY)
    assert result == IncidentDate(None, UNKNOWN, UNREADABLE)
    assert not result.ok


def test_since_marks_a_problem_still_going_on() -> None:
    assert read_incident_date("dari bulan agustus", MONDAY).since
    assert read_incident_date("sejak 3 bulan", MONDAY).since
    assert not read_incident_date("awal agustus", MONDAY).since


def test_dates_are_never_in_the_future() -> None:
    assert read_incident_date("besok", MONDAY).problem == FUTURE
    assert read_incident_date("bulan depan", MONDAY).problem == FUTURE
    assert read_incident_date("desember 2026", MONDAY).problem == FUTURE
    for text in ("akhir bulan ini", "awal desember", "minggu lalu", "bulan ini"):
        result = read_incident_date(text, MONDAY)
        assert result.value is not None and result.value <= MONDAY, text


def test_too_old_dates_are_flagged() -> None:
    assert read_incident_date("september tahun lalu", MONDAY).problem == TOO_OLD
    assert read_incident_date("awal september 2025", MONDAY).problem == TOO_OLD
    assert read_incident_date("desember tahun lalu", MONDAY).problem is None  # within a year


def test_a_datetime_today_is_accepted() -> None:
    assert read_incident_date("kemarin", datetime(2026, 11, 30, 23, 0)).value == date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "indonesian", "english"),
    [
        ("kemarin", "Minggu, 29 November 2026", "Sunday, 29 November 2026"),
        ("minggu lalu", "sekitar Senin, 23 November 2026", "about Monday, 23 November 2026"),
        ("dari bulan agustus", "sejak Agustus 2026", "since August 2026"),
        ("lupa", "tidak diketahui", "unknown"),
        ("udh lama", "sudah lama (tanggal tidak diketahui)", "long ago (date unknown)"),
    ],
)
def test_describe_incident_date(text: str, indonesian: str, english: str) -> None:
    result = read_incident_date(text, MONDAY)
    assert describe_incident_date(result) == indonesian
    assert describe_incident_date(result, english=True) == english
