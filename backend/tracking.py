"""Allocating tracking IDs (`TNG-2026-000123`); their format is `lapor_common.tracking_ids`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, column, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import CTE

from backend.models import TrackingCounter
from lapor_common.tracking_ids import (
    SEQUENCE_DIGITS,
    format_tracking_id,
    normalise_tracking_id,
    tracking_id_stem,
)

__all__ = [
    "allocate_sequence",
    "format_tracking_id",
    "next_sequence_cte",
    "normalise_tracking_id",
    "tracking_id_sql",
    "tracking_id_stem",
]

# Statements on the counter row of one prefix and year, built once so that SQLAlchemy
# compiles them once.
_COUNTERS = TrackingCounter.__table__
_THIS_COUNTER = (_COUNTERS.c.prefix == bindparam("p"), _COUNTERS.c.year == bindparam("y"))
_INCREMENT = update(_COUNTERS).where(*_THIS_COUNTER).values(last_value=_COUNTERS.c.last_value + 1)
_CURRENT = select(_COUNTERS.c.last_value).where(*_THIS_COUNTER)
# PostgreSQL: create the counter at 1 or increment it, atomically, returning the new
# value. Written as text because SQLAlchemy 1.4 cannot cache a compiled ON CONFLICT.
_NEXT_SEQUENCE = text(
    "INSERT INTO tracking_counters (prefix, year, last_value)"
    " VALUES (:counter_prefix, :counter_year, 1)"
    " ON CONFLICT (prefix, year) DO UPDATE SET last_value = tracking_counters.last_value + 1"
    " RETURNING last_value"
).columns(column("last_value", Integer))


def tracking_id_sql(stem: Any, sequence: Any) -> Any:
    """The SQL twin of `format_tracking_id`: `stem` and `sequence` padded to six digits.

    Like Python's `:06d`, a longer number is not cut.
    """
    digits = cast(sequence, String)
    return stem + func.lpad(digits, func.greatest(func.length(digits), SEQUENCE_DIGITS), "0")


def next_sequence_cte(name: str) -> CTE:
    """PostgreSQL: a CTE taking the next sequence number (`last_value`) for a prefix and year.

    Its statement binds `counter_prefix` and `counter_year`. The counter row stays
    locked until the statement's transaction ends, so concurrent creates never
    receive the same number, and a rolled-back create leaves no gap.
    """
    return _NEXT_SEQUENCE.cte(name)


def allocate_sequence(connection: Connection, prefix: str, year: int) -> int:
    """Reserve the next sequence number for `prefix` and `year` in the caller's transaction.

    For SQLite, whose write lock (taken by BEGIN IMMEDIATE) serialises creates;
    PostgreSQL takes the number inside the statement that writes the report
    (`next_sequence_cte`).
    """
    if connection.execute(_INCREMENT, {"p": prefix, "y": year}).rowcount == 0:
        connection.execute(
            sqlite_insert(_COUNTERS)
            .values(prefix=prefix, year=year, last_value=0)
            .on_conflict_do_nothing(index_elements=["prefix", "year"])
        )
        connection.execute(_INCREMENT, {"p": prefix, "y": year})
    return int(connection.execute(_CURRENT, {"p": prefix, "y": year}).scalar_one())
