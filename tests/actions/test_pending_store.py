"""`PendingStore`: the durable queue of reports waiting for the backend, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine

from actions.pending import PendingStore, pending_submissions

BODY = {"category": "sampah", "description": "Sampah menumpuk di Pasar Kemis — bau sekali"}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for the store, emptied after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'pending.db'}"
        return
    url, schema = request.getfixturevalue("postgres_schema_url")
    separator = "&" if "?" in url else "?"
    schema_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    yield schema_url
    engine = create_engine(schema_url, future=True)
    try:
        with engine.begin() as conn:
            conn.execute(pending_submissions.delete())
    finally:
        engine.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[PendingStore]:
    pending = PendingStore(store_url)
    yield pending
    pending.close()


@pytest.fixture
def reader(store: PendingStore, store_url: str) -> Iterator[Engine]:
    """A separate connection to look at the stored rows."""
    engine = create_engine(store_url, future=True)
    yield engine
    engine.dispose()


def row(engine: Engine, key: str) -> dict[str, Any]:
    with engine.connect() as conn:
        found = conn.execute(
            select(pending_submissions).where(pending_submissions.c.idempotency_key == key)
        ).mappings()
        return dict(found.one())


def test_the_table_lives_where_configured(store: PendingStore, store_url: str) -> None:
    store.add("k1", "telegram:42", BODY)
    if store_url.startswith("sqlite"):
        assert Path(store_url.removeprefix("sqlite:///")).exists()
    else:
        schema = store_url.rsplit("%3D", 1)[1]
        engine = create_engine(store_url.split("?")[0], future=True)
        try:
            with engine.connect() as conn:
                count = conn.exec_driver_sql(
                    f'SELECT count(*) FROM "{schema}".pending_submissions'  # noqa: S608
                ).scalar_one()
        finally:
            engine.dispose()
        assert count == 1


def test_adding_the_same_key_twice_keeps_the_first(store: PendingStore) -> None:
    store.add("k1", "telegram:42", BODY)
    store.add("k1", "telegram:42", {"category": "other"})
    [kept] = store.due()
    assert kept.idempotency_key == "k1"
    assert kept.sender_id == "telegram:42"
    assert kept.body == BODY
    assert kept.attempts == 0


def test_due_is_oldest_first_and_limited(store: PendingStore) -> None:
    for key in ("k1", "k2", "k3"):
        store.add(key, "telegram:42", {**BODY, "key": key})
    assert [d.idempotency_key for d in store.due()] == ["k1", "k2", "k3"]
    assert [d.idempotency_key for d in store.due(limit=2)] == ["k1", "k2"]
    assert [d.body["key"] for d in store.due()] == ["k1", "k2", "k3"]


def test_submitted_is_no_longer_due(store: PendingStore, reader: Engine) -> None:
    store.add("k1", "telegram:42", BODY)
    store.add("k2", "telegram:42", BODY)
    store.mark_submitted("k1", "TNG-2026-000123")
    assert [d.idempotency_key for d in store.due()] == ["k2"]
    stored = row(reader, "k1")
    assert stored["tracking_id"] == "TNG-2026-000123"
    assert stored["submitted_at"] is not None


def test_failed_stays_due_with_its_attempts(store: PendingStore, reader: Engine) -> None:
    store.add("k1", "telegram:42", BODY)
    store.mark_failed("k1", "POST /api/v1/complaints: ConnectTimeout")
    store.mark_failed("k1", "x" * 5000)
    [due] = store.due()
    assert due.attempts == 2
    stored = row(reader, "k1")
    assert stored["last_error"] == "x" * 2000
    assert stored["submitted_at"] is None


def test_abandoned_is_kept_but_no_longer_due(store: PendingStore, reader: Engine) -> None:
    store.add("k1", "telegram:42", BODY)
    store.mark_abandoned("k1", "category: unknown category")
    assert store.due() == []
    stored = row(reader, "k1")
    assert stored["last_error"] == "refused: category: unknown category"
    assert stored["attempts"] == 1
    assert stored["tracking_id"] is None


def test_kept_reports_survive_a_restart(store: PendingStore, store_url: str) -> None:
    store.add("k1", "telegram:42", BODY)
    store.close()
    reopened = PendingStore(store_url)
    try:
        assert [d.body for d in reopened.due()] == [BODY]
    finally:
        reopened.close()
