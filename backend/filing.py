"""Writing a new report with SQLAlchemy Core, in as few round trips as possible.

A new report's rows (reporter, report, first history entry, outbox event, idempotency
key, attachment links, the SP4N-LAPOR! bridge's pending forward) are all known before
they are written, so they skip the ORM's unit of work, which cost several milliseconds
per report:

- on PostgreSQL they are one statement, run on its own (autocommit): data-modifying
  CTEs take the next sequence number from the counter row, insert the reporter and the
  report and hand the new IDs and the tracking ID on to the rows that refer to them.
  One statement is one transaction, so the rows are written together or not at all,
  and the counter row is locked only while PostgreSQL runs the statement and flushes
  its commit, never across a round trip to this process (every create waits for
  that lock, so its length bounds how many creates per second there can be);
- on SQLite each row is one INSERT in the session's transaction, whose write lock
  serialises creates; a local file has no round trips to save.

The response is built from the `NewReport` written, so nothing is read back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import BindParameter

from backend.models import (
    Attachment,
    IdempotencyKey,
    LaporForward,
    OutboxEvent,
    Report,
    Reporter,
    StatusChange,
)
from backend.tracking import (
    allocate_sequence,
    format_tracking_id,
    next_sequence_cte,
    tracking_id_sql,
    tracking_id_stem,
)

_REPORTERS = Reporter.__table__
_REPORTS = Report.__table__
_HISTORY = StatusChange.__table__
_ATTACHMENTS = Attachment.__table__
_KEYS = IdempotencyKey.__table__
_OUTBOX = OutboxEvent.__table__
_LAPOR = LaporForward.__table__
#: The state of a report the SP4N-LAPOR! bridge is to forward (`backend.lapor`).
LAPOR_PENDING = "pending"


@dataclass(frozen=True)
class ReporterRecord:
    """Who filed a new report."""

    name: str | None
    phone: str | None
    email: str | None
    chat_id: str | None
    language: str | None = None


@dataclass(frozen=True)
class HistoryRecord:
    """A new report's first history entry."""

    status: str
    note: str | None
    at: dt.datetime


@dataclass(frozen=True)
class AttachmentRecord:
    """An uploaded file, as the report's response shows it."""

    id: str
    filename: str | None
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class NewReport:
    """A report to write (or just written); its fields mirror `Report`'s attributes.

    Before it is written its `tracking_id` is empty: the database allocates it.
    """

    tracking_id: str
    report_type: str
    category: str
    agency: str
    description: str
    location_text: str | None
    kecamatan: str | None
    latitude: float | None
    longitude: float | None
    incident_date: dt.date | None
    privacy: str
    channel: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    verify_due: dt.date
    followup_due: dt.date | None
    reporter: ReporterRecord
    history: tuple[HistoryRecord, ...]
    attachments: tuple[AttachmentRecord, ...]
    #: Written with a pending SP4N-LAPOR! forward (the bridge was on).
    lapor_pending: bool = False
    #: The desa/kelurahan the assistant matched (None: not known).
    desa: str | None = None
    #: A new report has no followers and is nobody's duplicate yet.
    followers_count: int = 0
    duplicate_of: None = None


@dataclass(frozen=True)
class KeyRecord:
    """The client's `Idempotency-Key` and the hash of the request it came with."""

    key: str
    request_hash: str


# The columns each statement writes (IDs come from the database; `reporter_id` and
# `report_id` link the rows).
_REPORTER_COLUMNS = ("name", "phone", "email", "chat_id", "language", "created_at")
_REPORT_COLUMNS = (
    "report_type",
    "category",
    "agency",
    "description",
    "location_text",
    "kecamatan",
    "desa",
    "latitude",
    "longitude",
    "incident_date",
    "privacy",
    "channel",
    "status",
    "created_at",
    "updated_at",
    "verify_due",
    "followup_due",
    "followers_count",
)
_HISTORY_COLUMNS = ("status", "note", "actor", "at")
_KEY_COLUMNS = ("key", "request_hash", "created_at")
_OUTBOX_COLUMNS = ("id", "event_type", "created_at", "attempts")
_LAPOR_COLUMNS = (
    "state",
    "attempts",
    "followups_seen",
    "next_attempt_at",
    "created_at",
    "updated_at",
)


@contextmanager
def connection_for_new_report(session: Session) -> Iterator[Connection]:
    """The session's connection to create a report on; enter it before any query.

    On PostgreSQL the connection is in autocommit mode inside the block: the reads
    before the write (idempotency key, attachments) need no transaction, and the
    write is one statement, so no BEGIN or COMMIT is sent. psycopg2's `autocommit`
    flag is set directly: SQLAlchemy's isolation level option would cost a
    `SET default_transaction_isolation` round trip when the connection is returned.
    Should the session already be in a transaction, the block runs in it and the
    caller commits as usual.
    """
    fresh = not session.in_transaction()  # the connection comes idle from the pool
    connection = session.connection()
    if connection.dialect.name != "postgresql" or not fresh:
        yield connection
        return
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.autocommit = True
    try:
        yield connection
    finally:
        if not dbapi_connection.closed:  # an invalidated connection is gone already
            dbapi_connection.autocommit = False


def insert_new_report(
    connection: Connection,
    report: NewReport,
    event: dict[str, Any],
    key: KeyRecord | None,
    prefix: str,
    year: int,
) -> str:
    """Write `report`, its outbox `event` and `key`; return the tracking ID allocated.

    The ID's sequence is the next of `prefix` and `year`; it replaces the empty
    tracking ID of `report` and of `event` (a row of `outbox_events`). Raises
    IntegrityError when `key` was stored meanwhile, and then writes nothing.
    """
    rows = _Rows.of(report, event, key)
    if connection.dialect.name == "postgresql":
        return _insert_in_one_statement(connection, rows, prefix, year)
    sequence = allocate_sequence(connection, prefix, year)
    tracking_id = format_tracking_id(prefix, year, sequence)
    _insert_row_by_row(connection, rows.with_tracking_id(tracking_id))
    return tracking_id


@dataclass(frozen=True)
class _Rows:
    """The column values of every row of a new report, by table."""

    reporter: dict[str, Any]
    report: dict[str, Any]
    history: dict[str, Any]
    key: dict[str, Any] | None
    outbox: dict[str, Any]
    attachment_ids: list[str]
    lapor: dict[str, Any] | None

    @classmethod
    def of(cls, report: NewReport, event: dict[str, Any], key: KeyRecord | None) -> _Rows:
        """Split `report` into rows."""
        reporter = report.reporter
        first = report.history[0]
        return cls(
            reporter={
                "name": reporter.name,
                "phone": reporter.phone,
                "email": reporter.email,
                "chat_id": reporter.chat_id,
                "language": reporter.language,
                "created_at": report.created_at,
            },
            report={name: getattr(report, name) for name in _REPORT_COLUMNS},
            history={"status": first.status, "note": first.note, "actor": None, "at": first.at},
            key=(
                {"key": key.key, "request_hash": key.request_hash, "created_at": report.created_at}
                if key
                else None
            ),
            outbox=event,
            attachment_ids=[a.id for a in report.attachments],
            lapor=(
                {
                    "state": LAPOR_PENDING,
                    "attempts": 0,
                    "followups_seen": 0,
                    "next_attempt_at": report.created_at,
                    "created_at": report.created_at,
                    "updated_at": report.created_at,
                }
                if report.lapor_pending
                else None
            ),
        )

    def with_tracking_id(self, tracking_id: str) -> _Rows:
        """The rows with the report's tracking ID filled in."""
        payload = {**self.outbox["payload"], "tracking_id": tracking_id}
        return replace(
            self,
            report={**self.report, "tracking_id": tracking_id},
            outbox={**self.outbox, "tracking_id": tracking_id, "payload": payload},
        )


def _insert_in_one_statement(connection: Connection, rows: _Rows, prefix: str, year: int) -> str:
    """PostgreSQL: every row in one statement (see `_one_statement`)."""
    params: dict[str, Any] = {
        "counter_prefix": prefix,
        "counter_year": year,
        "tracking_id_stem": tracking_id_stem(prefix, year),
        **_prefixed("reporter", rows.reporter),
        **_prefixed("report", rows.report),
        **_prefixed("history", rows.history),
        **(_prefixed("key", rows.key) if rows.key else {}),
        **_prefixed("outbox", {c: rows.outbox[c] for c in _OUTBOX_COLUMNS}),
        "outbox_payload": rows.outbox["payload"],
        **(_prefixed("lapor", rows.lapor) if rows.lapor else {}),
    }
    if rows.attachment_ids:
        params["attachment_ids"] = rows.attachment_ids
    statement = _one_statement(
        with_key=rows.key is not None,
        with_attachments=bool(rows.attachment_ids),
        with_lapor=rows.lapor is not None,
    )
    tracking_id: str = connection.execute(statement, params).scalar_one()
    return tracking_id


@lru_cache(maxsize=8)
def _one_statement(*, with_key: bool, with_attachments: bool, with_lapor: bool) -> Insert:
    """`WITH sequence AS (INSERT ...), ..., new_report AS (INSERT ...), ... INSERT ...`.

    Built once per shape, so SQLAlchemy compiles it once. It returns the tracking ID.
    """
    sequence = next_sequence_cte("sequence")
    new_reporter = (
        insert(_REPORTERS)
        .values(_bound("reporter", _REPORTERS, _REPORTER_COLUMNS))
        .returning(_REPORTERS.c.id)
        .cte("new_reporter")
    )
    new_tracking_id = select(
        tracking_id_sql(
            bindparam("tracking_id_stem", type_=_REPORTS.c.tracking_id.type),
            sequence.c.last_value,
        ).label("tracking_id")
    ).cte("new_tracking_id")
    new_report = (
        insert(_REPORTS)
        .values(
            {
                **_bound("report", _REPORTS, _REPORT_COLUMNS),
                "tracking_id": select(new_tracking_id.c.tracking_id).scalar_subquery(),
                "reporter_id": select(new_reporter.c.id).scalar_subquery(),
            }
        )
        .returning(_REPORTS.c.id, _REPORTS.c.tracking_id)
        .cte("new_report")
    )
    report_id = select(new_report.c.id).scalar_subquery()
    writes = [
        insert(_HISTORY)
        .values({**_bound("history", _HISTORY, _HISTORY_COLUMNS), "report_id": report_id})
        .returning(_HISTORY.c.id)
        .cte("new_history")
    ]
    if with_key:
        writes.append(
            insert(_KEYS)
            .values({**_bound("key", _KEYS, _KEY_COLUMNS), "report_id": report_id})
            .returning(_KEYS.c.key)
            .cte("new_key")
        )
    if with_attachments:
        writes.append(_link_attachments(report_id).returning(_ATTACHMENTS.c.id).cte("linked"))
    if with_lapor:
        writes.append(
            insert(_LAPOR)
            .values({**_bound("lapor", _LAPOR, _LAPOR_COLUMNS), "report_id": report_id})
            .returning(_LAPOR.c.report_id)
            .cte("new_lapor")
        )
    statement = (
        insert(_OUTBOX)
        .values(
            {
                **_bound("outbox", _OUTBOX, _OUTBOX_COLUMNS),
                "tracking_id": select(new_report.c.tracking_id).scalar_subquery(),
                "payload": _payload_with_tracking_id(
                    select(new_report.c.tracking_id).scalar_subquery()
                ),
            }
        )
        .returning(_OUTBOX.c.tracking_id)
    )
    # Each CTE returns a column, else SQLAlchemy 1.4 may move its implicit RETURNING
    # to the outer statement; PostgreSQL runs a CTE although nothing selects from it.
    for write in writes:
        statement = statement.add_cte(write)
    return statement


def _payload_with_tracking_id(tracking_id: Any) -> Any:
    """SQL: the bound `outbox_payload` with its `tracking_id` set to `tracking_id`."""
    payload = cast(bindparam("outbox_payload", type_=JSONB), JSONB)
    return cast(payload.op("||")(func.jsonb_build_object("tracking_id", tracking_id)), JSON)


def _insert_row_by_row(connection: Connection, rows: _Rows) -> None:
    """Any database: one INSERT per row, linked by the primary keys they return."""
    result = connection.execute(insert(_REPORTERS), rows.reporter)
    reporter_id = result.inserted_primary_key[0]
    result = connection.execute(insert(_REPORTS), {**rows.report, "reporter_id": reporter_id})
    report_id = result.inserted_primary_key[0]
    connection.execute(insert(_HISTORY), {**rows.history, "report_id": report_id})
    if rows.key is not None:
        connection.execute(insert(_KEYS), {**rows.key, "report_id": report_id})
    if rows.attachment_ids:
        connection.execute(_link_attachments(report_id), {"attachment_ids": rows.attachment_ids})
    if rows.lapor is not None:
        connection.execute(insert(_LAPOR), {**rows.lapor, "report_id": report_id})
    connection.execute(insert(_OUTBOX), rows.outbox)


def _link_attachments(report_id: Any) -> Update:
    """Link the attachments listed in the `attachment_ids` parameter to `report_id`."""
    return (
        update(_ATTACHMENTS)
        .where(_ATTACHMENTS.c.id.in_(bindparam("attachment_ids", expanding=True)))
        .values(report_id=report_id)
    )


def _bound(prefix: str, table: Table, columns: tuple[str, ...]) -> dict[str, BindParameter]:
    """`{column: bindparam("prefix_column")}`, typed like the table's column.

    Prefixed names keep apart the parameters of the statement's several inserts.
    """
    return {name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in columns}


def _prefixed(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    """The values of `row` under the parameter names `_bound` gives them."""
    return {f"{prefix}_{name}": value for name, value in row.items()}
