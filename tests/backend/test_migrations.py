"""Alembic migrations: up, down and up again, and in step with the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backend.migrate import downgrade_to_base, upgrade
from backend.models import Base

TABLES = {
    "reporters",
    "reports",
    "status_history",
    "attachments",
    "idempotency_keys",
    "notification_preferences",
    "notifications",
    "outbox_events",
    "tracking_counters",
    "users",
    "console_sessions",
    "audit_log",
    "conversations",
    "conversation_intents",
    "conversation_reports",
    "conversation_sync_state",
    "lapor_forwards",
    "lapor_outgoing",
    "thread_entries",
    "takeovers",
    "takeover_messages",
    "report_followers",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(url, future=True)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    assert _tables(url) == TABLES
    downgrade_to_base(url)
    assert _tables(url) == set()
    upgrade(url)
    assert _tables(url) == TABLES
    upgrade(url)  # already at head: nothing to do, no error
    assert _tables(url) == TABLES


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'compare.db'}"
    upgrade(url)
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) == TABLES
