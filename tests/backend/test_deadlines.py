"""Working-day deadlines: weekends and Indonesian public holidays are skipped."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from backend.deadlines import add_working_days, is_working_day, working_days_between

D = dt.date
HOLIDAYS_2026 = holidays.country_holidays("ID", years=2026)


def test_the_chosen_2026_holidays_are_indonesian_public_holidays() -> None:
    # These dates anchor the tests below; the `holidays` package is pinned.
    for day in (D(2026, 3, 19), D(2026, 3, 20), D(2026, 8, 17), D(2026, 12, 25)):
        assert day in HOLIDAYS_2026, day
        assert day.weekday() < 5
    assert "Independence" in HOLIDAYS_2026[D(2026, 8, 17)]
    assert D(2027, 1, 1) in holidays.country_holidays("ID", years=2027)


def test_weekdays_are_working_days_and_weekends_are_not() -> None:
    assert is_working_day(D(2026, 11, 27))  # Friday
    assert not is_working_day(D(2026, 11, 28))  # Saturday
    assert not is_working_day(D(2026, 11, 29))  # Sunday
    assert is_working_day(D(2026, 11, 30))  # Monday


def test_public_holidays_on_weekdays_are_not_working_days() -> None:
    assert not is_working_day(D(2026, 8, 17))  # Independence Day, a Monday
    assert not is_working_day(D(2026, 3, 19))  # Nyepi, a Thursday
    assert not is_working_day(D(2026, 12, 25))  # Christmas, a Friday


def test_adding_zero_days_is_the_same_day() -> None:
    assert add_working_days(D(2026, 11, 28), 0) == D(2026, 11, 28)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2026, 11, 27), -1)


def test_one_working_day_after_friday_is_monday() -> None:
    assert add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 30)


@pytest.mark.parametrize("weekend_day", [D(2026, 11, 28), D(2026, 11, 29)])
def test_a_report_filed_on_the_weekend_counts_from_monday(weekend_day: dt.date) -> None:
    assert add_working_days(weekend_day, 1) == D(2026, 11, 30)
    assert add_working_days(weekend_day, 3) == D(2026, 12, 2)


def test_three_days_within_one_week() -> None:
    assert add_working_days(D(2026, 11, 23), 3) == D(2026, 11, 26)  # Mon -> Thu


def test_five_working_days_span_a_weekend() -> None:
    assert add_working_days(D(2026, 11, 25), 5) == D(2026, 12, 2)  # Wed -> next Wed


def test_nyepi_and_eid_al_fitr_are_skipped() -> None:
    # Wed 18 March 2026; Thu 19 (Nyepi), Fri 20 (Eid al-Fitr), Sat 21 and Sun 22 are off.
    assert add_working_days(D(2026, 3, 18), 1) == D(2026, 3, 23)
    assert add_working_days(D(2026, 3, 18), 3) == D(2026, 3, 25)


def test_independence_day_after_a_weekend_is_skipped() -> None:
    # Fri 14 August 2026; Mon 17 August is Independence Day.
    assert add_working_days(D(2026, 8, 14), 1) == D(2026, 8, 18)
    assert add_working_days(D(2026, 8, 14), 5) == D(2026, 8, 24)


def test_deadline_crossing_the_year_skips_christmas_and_new_year() -> None:
    # Thu 24 Dec 2026; Fri 25 Dec (Christmas), Fri 1 Jan 2027 (New Year) are off.
    assert add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 28)
    assert add_working_days(D(2026, 12, 24), 5) == D(2027, 1, 4)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert working_days_between(D(2026, 11, 27), D(2026, 11, 27)) == 0
    assert working_days_between(D(2026, 11, 27), D(2026, 11, 30)) == 1
    assert working_days_between(D(2026, 3, 18), D(2026, 3, 25)) == 3
    assert working_days_between(D(2026, 11, 30), D(2026, 11, 27)) == 0


def test_working_days_between_is_the_inverse_of_add_working_days() -> None:
    start = D(2026, 3, 2)
    for days in range(0, 40):
        end = add_working_days(start, days)
        assert working_days_between(start, end) == days
        assert days == 0 or is_working_day(end)
