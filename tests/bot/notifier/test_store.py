"""`DeliveryStore`: one claim per event, outcomes kept, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from bot.notifier import store as states
from bot.notifier.store import DeliveryRecord, DeliveryStore, deliveries, metadata
from tests.conftest import postgres_engine

UTC = dt.timezone.utc


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeliveryStore]:
    """A fresh store: a SQLite file, or a table in this session's PostgreSQL schema."""
    if request.param == "sqlite":
        sqlite = DeliveryStore.from_url(f"sqlite:///{tmp_path / 'deliveries.db'}")
        yield sqlite
        sqlite.close()
        return
    url, schema = request.getfixturevalue("postgres_schema_url")
    engine = postgres_engine(url, schema, pool_size=25)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        yield DeliveryStore(engine)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def new_id() -> str:
    return uuid.uuid4().hex


async def test_nothing_recorded_at_first(store: DeliveryStore) -> None:
    assert await store.get(new_id()) is None


async def test_only_the_first_claim_wins(store: DeliveryStore) -> None:
    event_id = new_id()
    assert await store.claim(event_id, "telegram:4242", "TNG-2026-000123") is True
    assert await store.claim(event_id, "telegram:4242", "TNG-2026-000123") is False
    assert await store.claim(event_id, "telegram:9999", "TNG-2026-000999") is False
    record = await store.get(event_id)
    assert record is not None
    assert record.event_id == event_id
    assert record.state == states.SENDING
    assert record.message_id is None
    assert record.failure is None


async def test_claims_of_different_events_are_independent(store: DeliveryStore) -> None:
    assert await store.claim(new_id(), "telegram:1", "TNG-1") is True
    assert await store.claim(new_id(), "telegram:1", "TNG-1") is True


async def test_finish_records_the_outcome(store: DeliveryStore) -> None:
    event_id = new_id()
    before = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    await store.claim(event_id, "telegram:4242", "TNG-2026-000123")
    await store.finish(event_id, states.SENT, message_id="77")
    record = await store.get(event_id)
    assert record is not None
    assert (record.state, record.message_id, record.failure) == (states.SENT, "77", None)
    updated = record.updated_at
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    assert before <= updated <= dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    assert record.interrupted(after_seconds=0) is False


async def test_finish_with_a_failure(store: DeliveryStore) -> None:
    event_id = new_id()
    await store.claim(event_id, "whatsapp:628123", "TNG-2026-000123")
    await store.finish(event_id, states.FAILED, failure="blocked the bot")
    record = await store.get(event_id)
    assert record is not None
    assert (record.state, record.message_id, record.failure) == (
        states.FAILED,
        None,
        "blocked the bot",
    )


async def test_a_retry_record_can_be_claimed_again(store: DeliveryStore) -> None:
    event_id = new_id()
    assert await store.claim(event_id, "telegram:4242", "TNG-1")
    await store.finish(event_id, states.RETRY, failure="timed out")
    assert await store.claim(event_id, "telegram:4242", "TNG-1") is True
    record = await store.get(event_id)
    assert record is not None
    assert record.state == states.SENDING
    # ... once: the second claim made it `sending` again.
    assert await store.claim(event_id, "telegram:4242", "TNG-1") is False


@pytest.mark.parametrize("state", [states.SENT, states.FAILED, states.SKIPPED, states.SENDING])
async def test_a_handled_record_cannot_be_claimed(store: DeliveryStore, state: str) -> None:
    event_id = new_id()
    assert await store.claim(event_id, "telegram:4242", "TNG-1")
    await store.finish(event_id, state)
    assert await store.claim(event_id, "telegram:4242", "TNG-1") is False
    record = await store.get(event_id)
    assert record is not None
    assert record.state == state


async def test_concurrent_claims_of_one_event_let_exactly_one_win(store: DeliveryStore) -> None:
    event_id = new_id()
    results = await asyncio.gather(
        *(store.claim(event_id, "telegram:4242", "TNG-1") for _ in range(20))
    )
    assert sorted(results) == [False] * 19 + [True]


async def test_concurrent_claims_of_a_retry_record_let_exactly_one_win(
    store: DeliveryStore,
) -> None:
    event_id = new_id()
    await store.claim(event_id, "telegram:4242", "TNG-1")
    await store.finish(event_id, states.RETRY, failure="429")
    results = await asyncio.gather(
        *(store.claim(event_id, "telegram:4242", "TNG-1") for _ in range(20))
    )
    assert sorted(results) == [False] * 19 + [True]


async def test_records_survive_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deliveries.db'}"
    first = DeliveryStore.from_url(url)
    await first.claim("ev-1", "telegram:4242", "TNG-1")
    await first.finish("ev-1", states.SENT, message_id="5")
    first.close()
    second = DeliveryStore.from_url(url)  # create_all again: no error, data kept
    record = await second.get("ev-1")
    second.close()
    assert record is not None
    assert (record.state, record.message_id) == (states.SENT, "5")


async def test_a_backdated_sending_row_reads_as_interrupted(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'deliveries.db'}", future=True)
    metadata.create_all(engine)
    store = DeliveryStore(engine)
    await store.claim("ev-1", "telegram:4242", "TNG-1")
    with engine.begin() as conn:
        conn.execute(
            update(deliveries).values(updated_at=dt.datetime.now(UTC) - dt.timedelta(minutes=5))
        )
    record = await store.get("ev-1")
    store.close()
    assert record is not None
    assert record.interrupted() is True
    assert record.interrupted(after_seconds=600) is False


def record(state: str, age_seconds: float, *, aware: bool) -> DeliveryRecord:
    updated = dt.datetime.now(UTC) - dt.timedelta(seconds=age_seconds)
    if not aware:
        updated = updated.replace(tzinfo=None)  # naive UTC, as SQLite returns it
    return DeliveryRecord("ev-1", state, None, None, updated)


@pytest.mark.parametrize("aware", [True, False], ids=["aware", "naive"])
class TestInterrupted:
    def test_sending_longer_than_the_threshold(self, aware: bool) -> None:
        assert record(states.SENDING, 61, aware=aware).interrupted() is True
        assert record(states.SENDING, 3600, aware=aware).interrupted() is True
        assert record(states.SENDING, 11, aware=aware).interrupted(after_seconds=10) is True

    def test_sending_recently(self, aware: bool) -> None:
        assert record(states.SENDING, 0, aware=aware).interrupted() is False
        assert record(states.SENDING, 50, aware=aware).interrupted() is False
        assert record(states.SENDING, 9, aware=aware).interrupted(after_seconds=10) is False

    @pytest.mark.parametrize("state", [states.SENT, states.FAILED, states.SKIPPED, states.RETRY])
    def test_other_states_never(self, aware: bool, state: str) -> None:
        assert record(state, 3600, aware=aware).interrupted() is False


def test_an_aware_time_in_another_zone_is_compared_in_utc() -> None:
    jakarta = dt.timezone(dt.timedelta(hours=7))
    recent = dt.datetime.now(jakarta) - dt.timedelta(seconds=5)
    old = dt.datetime.now(jakarta) - dt.timedelta(seconds=120)
    assert DeliveryRecord("e", states.SENDING, None, None, recent).interrupted() is False
    assert DeliveryRecord("e", states.SENDING, None, None, old).interrupted() is True
