"""Migration 0004 (the conversation index) up, down and up again on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from backend.migrate import alembic_config
from tests.conftest import POSTGRES_URL, service_missing

INDEX_TABLES = {
    "conversations",
    "conversation_intents",
    "conversation_reports",
    "conversation_sync_state",
}


def migrate(url: str, revision: str, connection: Connection | None = None) -> None:
    config = alembic_config(url)
    if connection is not None:
        config.attributes["connection"] = connection
    if revision == "0003":
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.fixture
def postgres_connection() -> Iterator[Connection]:
    """A connection whose search path is a fresh schema, dropped afterwards."""
    schema = f"migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
        admin.dispose()
        service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
    options = {"options": f"-csearch_path={schema}"}
    engine = create_engine(POSTGRES_URL, future=True, connect_args=options)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_up_down_up_on_postgresql(postgres_connection: Connection) -> None:
    for revision, present in (("head", True), ("0003", False), ("head", True)):
        with postgres_connection.begin():
            migrate(POSTGRES_URL, revision, postgres_connection)
            found = tables(postgres_connection)
        assert (found >= INDEX_TABLES) is present
        assert INDEX_TABLES.isdisjoint(found) is not present
        assert "reports" in found


def test_up_down_up_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    engine = create_engine(url, future=True)
    try:
        for revision, present in (("head", True), ("0003", False), ("head", True)):
            migrate(url, revision)
            with engine.connect() as connection:
                found = tables(connection)
            assert (found >= INDEX_TABLES) is present
            assert INDEX_TABLES.isdisjoint(found) is not present
            assert "audit_log" in found
    finally:
        engine.dispose()
