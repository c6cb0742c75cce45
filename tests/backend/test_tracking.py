"""Tracking IDs: formatting and reading back what citizens type."""

from __future__ import annotations

import pytest

from backend.tracking import format_tracking_id, normalise_tracking_id


def test_format_pads_the_sequence_to_six_digits() -> None:
    assert format_tracking_id("TNG", 2026, 123) == "TNG-2026-000123"
    assert format_tracking_id("TNG", 2026, 1) == "TNG-2026-000001"
    assert format_tracking_id("TNG", 2026, 999_999) == "TNG-2026-999999"


def test_format_uses_the_given_prefix_and_year() -> None:
    assert format_tracking_id("LPR", 2027, 42) == "LPR-2027-000042"


@pytest.mark.parametrize(
    "typed",
    [
        "TNG-2026-000123",
        "tng2026000123",
        "TNG-2026-123",
        " tng 2026 000123 ",
        "tng-2026-000123",
        "TNG_2026_123",
        "tng/2026/123",
        "TNG.2026.00123",
        "\ttng 2026 123\n",
    ],
)
def test_normalise_accepts_loose_spellings(typed: str) -> None:
    assert normalise_tracking_id(typed) == "TNG-2026-000123"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "hello",
        "laporan saya kemarin",
        "2026000123",  # no prefix
        "TNG-000123",  # no year
        "TNG-2026-",  # no sequence
        "T-2026-000123",  # prefix too short
        "TANGERANG-2026-000123",  # prefix too long
        "TNG-2026-12a",
        "TNG-2026-1234567",  # more than six significant digits
        "TNG-2026-000123; DROP TABLE reports",
        "🙂TNG-2026-000123",
    ],
)
def test_normalise_rejects_garbage(typed: str) -> None:
    assert normalise_tracking_id(typed) is None


@pytest.mark.parametrize("typed", ["TNG-2026-000000", "tng20260", "TNG-2026-0"])
def test_normalise_rejects_a_zero_sequence(typed: str) -> None:
    assert normalise_tracking_id(typed) is None


def test_normalise_round_trips_formatted_ids() -> None:
    for sequence in (1, 9, 10, 123, 99_999, 999_999):
        formatted = format_tracking_id("TNG", 2026, sequence)
        assert normalise_tracking_id(formatted) == formatted
        assert normalise_tracking_id(formatted.replace("-", "").lower()) == formatted
