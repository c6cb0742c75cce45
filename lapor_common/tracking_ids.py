"""Tracking IDs such as `TNG-2026-000123`: their format, and reading what a citizen typed.

Shared by the backend (which allocates them), the action server and the gateway (which
read them in chat). Allocation lives in `backend.tracking`.
"""

from __future__ import annotations

import re

SEQUENCE_DIGITS = 6
# The year must start with 2, so an ID typed without its year ("TNG-000123") is not
# read as year 0001.
_LOOSE_ID = re.compile(r"^([A-Z]{2,6})(2\d{3})(\d{1,9})$")


def tracking_id_stem(prefix: str, year: int) -> str:
    """The part of the IDs of `prefix` and `year` before the sequence: `PREFIX-YYYY-`."""
    return f"{prefix}-{year:04d}-"


def format_tracking_id(prefix: str, year: int, sequence: int) -> str:
    """Format `prefix`, `year` and `sequence` as `PREFIX-YYYY-NNNNNN`."""
    return f"{tracking_id_stem(prefix, year)}{sequence:0{SEQUENCE_DIGITS}d}"


def normalise_tracking_id(text: str) -> str | None:
    """Turn what a citizen typed ("tng2026000123", "TNG-2026-123") into the canonical ID.

    Returns None when the text is not a tracking ID.
    """
    compact = re.sub(r"[\s\-_./]", "", text.strip()).upper()
    match = _LOOSE_ID.match(compact)
    if not match:
        return None
    prefix, year, sequence = match.groups()
    number = int(sequence)
    if number == 0 or len(str(number)) > SEQUENCE_DIGITS:
        return None
    return format_tracking_id(prefix, int(year), number)
