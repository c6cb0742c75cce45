"""The 24-hour customer-service window, on an injected clock."""

from __future__ import annotations

import datetime as dt

from bot.whatsapp.window import CUSTOMER_SERVICE_WINDOW, utcnow, window_closes_at, within_window

WROTE = dt.datetime(2026, 5, 12, 8, 30, tzinfo=dt.timezone.utc)
MARGIN = dt.timedelta(minutes=5)


def test_the_window_is_24_hours_from_the_last_message() -> None:
    assert dt.timedelta(hours=24) == CUSTOMER_SERVICE_WINDOW
    assert window_closes_at(WROTE) == dt.datetime(2026, 5, 13, 8, 30, tzinfo=dt.timezone.utc)


def test_inside_and_outside_the_window() -> None:
    assert within_window(WROTE, WROTE)
    assert within_window(WROTE, WROTE + dt.timedelta(hours=23, minutes=59, seconds=59))
    assert not within_window(WROTE, WROTE + dt.timedelta(hours=24))
    assert not within_window(WROTE, WROTE + dt.timedelta(days=3))


def test_the_margin_closes_the_window_early() -> None:
    almost = WROTE + dt.timedelta(hours=23, minutes=56)
    assert within_window(WROTE, almost)
    assert not within_window(WROTE, almost, MARGIN)
    assert within_window(WROTE, WROTE + dt.timedelta(hours=23, minutes=54), MARGIN)


def test_a_citizen_who_never_wrote_has_no_window() -> None:
    assert not within_window(None, WROTE)


def test_time_zones_do_not_matter() -> None:
    jakarta = dt.timezone(dt.timedelta(hours=7))
    assert within_window(WROTE.astimezone(jakarta), WROTE + dt.timedelta(hours=20))
    assert not within_window(WROTE.astimezone(jakarta), WROTE + dt.timedelta(hours=25))


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
