"""Migration 0007 (threads, takeovers) over a database holding reports, both ways."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from backend.migrate import alembic_config
from tests.backend.console.test_migration import postgres_connection  # noqa: F401 - fixture
from tests.conftest import POSTGRES_URL

T = TypeVar("T")
NEW_TABLES = {"thread_entries", "takeovers", "takeover_messages"}
REPORT = text(
    "INSERT INTO reports (tracking_id, report_type, category, agency, description, privacy,"
    " channel, status, created_at, updated_at, verify_due) VALUES ('TNG-2026-000001',"
    " 'complaint', 'sampah', 'DLHK', 'Sampah menumpuk', 'public', 'telegram', 'received',"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_DATE)"
)


def step(url: str, revision: str, connection: Connection | None, down: bool = False) -> None:
    config = alembic_config(url)
    if connection is not None:
        config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def check_round_trip(url: str, conn: Connection | None) -> None:
    """0006 with a report -> 0007 -> 0006 -> 0007, through `conn` (PostgreSQL) or `url`."""
    engine = create_engine(url, future=True) if conn is None else None

    def within(work: Callable[[Connection], T]) -> T:
        if conn is not None:
            with conn.begin():
                return work(conn)
        assert engine is not None
        with engine.begin() as connection:
            return work(connection)

    def run(revision: str, down: bool = False) -> None:
        if conn is None:
            step(url, revision, None, down)
        else:
            within(lambda c: step(url, revision, c, down))

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return within(lambda c: [tuple(r) for r in c.execute(text(sql))])

    def names(c: Connection) -> set[str]:
        return set(inspect(c).get_table_names())

    def report_columns(c: Connection) -> set[str]:
        return {column["name"] for column in inspect(c).get_columns("reports")}

    try:
        run("0006_lapor")
        within(lambda c: c.execute(REPORT))
        run("0007_threads")
        assert within(names) >= NEW_TABLES
        assert rows("SELECT tracking_id, waiting_for_reporter, reporter_due FROM reports") == [
            ("TNG-2026-000001", False, None)
        ]
        run("0006_lapor", down=True)
        assert NEW_TABLES.isdisjoint(within(names))
        assert {"waiting_for_reporter", "reporter_due"}.isdisjoint(within(report_columns))
        assert rows("SELECT tracking_id FROM reports") == [("TNG-2026-000001",)]
        run("0007_threads")
        assert within(names) >= NEW_TABLES
    finally:
        if engine is not None:
            engine.dispose()


def test_existing_reports_do_not_wait_and_downgrade_keeps_them_on_sqlite(tmp_path: Path) -> None:
    check_round_trip(f"sqlite:///{tmp_path / 'threads.db'}", None)


@pytest.mark.postgres
def test_existing_reports_do_not_wait_and_downgrade_keeps_them_on_postgresql(
    postgres_connection: Connection,  # noqa: F811 - the imported fixture
) -> None:
    check_round_trip(POSTGRES_URL, postgres_connection)
