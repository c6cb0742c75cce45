"""Tracking IDs such as `TNG-2026-000123`: formatting, parsing and allocation."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.models import TrackingCounter

SEQUENCE_DIGITS = 6
# The year must start with 2, so an ID typed without its year ("TNG-000123") is not
# read as year 0001.
_LOOSE_ID = re.compile(r"^([A-Z]{2,6})(2\d{3})(\d{1,9})$")


def format_tracking_id(prefix: str, year: int, sequence: int) -> str:
    """Format `prefix`, `year` and `sequence` as `PREFIX-YYYY-NNNNNN`."""
    return f"{prefix}-{year:04d}-{sequence:0{SEQUENCE_DIGITS}d}"


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


def allocate_sequence(session: Session, prefix: str, year: int) -> int:
    """Reserve the next sequence number for `prefix` and `year` in the caller's transaction.

    The counter row is created with an upsert and incremented under its row lock, so
    concurrent creates on PostgreSQL never receive the same number; on SQLite the
    write lock of the transaction serialises them.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = (
            pg_insert(TrackingCounter)
            .values(prefix=prefix, year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=["prefix", "year"],
                set_={"last_value": TrackingCounter.last_value + 1},
            )
            .returning(TrackingCounter.last_value)
        )
        return int(session.execute(stmt).scalar_one())
    if dialect == "sqlite":
        session.execute(
            sqlite_insert(TrackingCounter)
            .values(prefix=prefix, year=year, last_value=0)
            .on_conflict_do_nothing(index_elements=["prefix", "year"])
        )
    session.execute(
        update(TrackingCounter)
        .where(TrackingCounter.prefix == prefix, TrackingCounter.year == year)
        .values(last_value=TrackingCounter.last_value + 1)
    )
    value = session.execute(
        select(TrackingCounter.last_value).where(
            TrackingCounter.prefix == prefix, TrackingCounter.year == year
        )
    ).scalar_one()
    return int(value)
