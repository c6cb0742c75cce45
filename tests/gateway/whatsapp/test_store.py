"""The durable store on SQLite and PostgreSQL: last inbound times, sent messages, statuses."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bot.whatsapp.envelope import ErrorInfo, StatusUpdate
from bot.whatsapp.store import WhatsAppStore, make_engine

NOW = dt.datetime(2026, 5, 12, 9, 0, tzinfo=dt.timezone.utc)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[WhatsAppStore]:
    """A fresh store on each database (PostgreSQL in a schema of this session)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'gateway.db'}")
    else:
        url, schema = request.getfixturevalue("postgres_schema_url")
        engine = create_engine(
            url, future=True, connect_args={"options": f"-csearch_path={schema}"}
        )
    store = WhatsAppStore(engine, clock=lambda: NOW)
    await store.create_tables()
    await store.create_tables()  # created on every start: must be harmless
    yield store
    await store.close()


def wamid() -> str:
    return f"wamid.{uuid.uuid4().hex}"


def citizen() -> str:
    return f"62{uuid.uuid4().int % 10**11:011d}"


def status(message_id: str, state: str, minutes: int = 0, *codes: int) -> StatusUpdate:
    errors = tuple(
        ErrorInfo(code, "Message undeliverable", "", "Message Undeliverable.") for code in codes
    )
    return StatusUpdate(
        message_id, state, NOW + dt.timedelta(minutes=minutes), "628111", errors=errors
    )


async def test_the_last_inbound_time_only_moves_forward(store: WhatsAppStore) -> None:
    who = citizen()
    assert await store.last_inbound(who) is None
    earlier = NOW - dt.timedelta(hours=3)
    await store.touch_inbound(who, earlier)
    assert await store.last_inbound(who) == earlier
    await store.touch_inbound(who, NOW - dt.timedelta(hours=1))
    await store.touch_inbound(who, NOW - dt.timedelta(hours=2))  # a late redelivery
    last = await store.last_inbound(who)
    assert last == NOW - dt.timedelta(hours=1)
    assert last is not None and last.tzinfo is not None and last.utcoffset() == dt.timedelta(0)


async def test_a_time_in_the_future_counts_as_now(store: WhatsAppStore) -> None:
    who = citizen()
    await store.touch_inbound(who, NOW + dt.timedelta(days=2))
    assert await store.last_inbound(who) == NOW


async def test_concurrent_touches_keep_the_latest(store: WhatsAppStore) -> None:
    who = citizen()
    times = [NOW - dt.timedelta(minutes=m) for m in (30, 5, 50, 1, 20, 40, 10, 2)]
    await asyncio.gather(*(store.touch_inbound(who, t) for t in times))
    assert await store.last_inbound(who) == NOW - dt.timedelta(minutes=1)


async def test_a_sent_message_and_its_fallback_parameters(store: WhatsAppStore) -> None:
    message, who = wamid(), citizen()
    await store.record_sent(message, who, "notification", ("TNG-2026-000001", "Selesai"))
    record = await store.outgoing(message)
    assert record is not None
    assert (record.wa_id, record.kind, record.status) == (who, "notification", "accepted")
    assert record.template_params == ("TNG-2026-000001", "Selesai")
    assert record.failure_code is None and record.created_at == NOW
    plain = wamid()
    await store.record_sent(plain, who, "reply")
    stored = await store.outgoing(plain)
    assert stored is not None and stored.template_params is None
    assert await store.outgoing(wamid()) is None


async def test_statuses_advance_and_never_go_back(store: WhatsAppStore) -> None:
    message = wamid()
    await store.record_sent(message, citizen(), "reply")
    assert await store.record_status(status(message, "sent"))
    assert await store.record_status(status(message, "read", 2))
    assert await store.record_status(status(message, "delivered", 1))
    record = await store.outgoing(message)
    assert record is not None and record.status == "read"
    history = await store.history(message)
    assert [(h.status, h.at) for h in history] == [
        ("sent", NOW),
        ("read", NOW + dt.timedelta(minutes=2)),
        ("delivered", NOW + dt.timedelta(minutes=1)),
    ]


async def test_a_failure_is_recorded_with_its_reason(store: WhatsAppStore) -> None:
    message = wamid()
    await store.record_sent(message, citizen(), "notification", ())
    await store.record_status(status(message, "sent"))
    await store.record_status(status(message, "failed", 1, 131026))
    record = await store.outgoing(message)
    assert record is not None and record.status == "failed"
    assert record.failure_code == 131026
    assert record.failure_reason == "131026 Message undeliverable: Message Undeliverable."
    [_, failed] = await store.history(message)
    assert (failed.error_code, failed.error_text) == (131026, record.failure_reason)


async def test_delivered_on_another_device_outranks_an_earlier_failure(
    store: WhatsAppStore,
) -> None:
    message = wamid()
    await store.record_sent(message, citizen(), "reply")
    await store.record_status(status(message, "failed", 0, 131000))
    await store.record_status(status(message, "delivered", 1))
    record = await store.outgoing(message)
    assert record is not None and record.status == "delivered"
    assert record.failure_code == 131000, "the failure stays on record"


async def test_a_repeated_status_is_recorded_once(store: WhatsAppStore) -> None:
    message = wamid()
    await store.record_sent(message, citizen(), "reply")
    assert await store.record_status(status(message, "delivered")) is True
    assert await store.record_status(status(message, "delivered")) is False
    assert len(await store.history(message)) == 1


async def test_a_status_before_its_send_is_recorded_keeps_the_status(store: WhatsAppStore) -> None:
    message, who = wamid(), citizen()
    await store.record_status(status(message, "delivered"))
    early = await store.outgoing(message)
    assert early is not None and (early.kind, early.status, early.wa_id) == (
        "unknown",
        "delivered",
        "628111",
    )
    await store.record_sent(message, who, "notification", ("a",))
    record = await store.outgoing(message)
    assert record is not None
    assert (record.kind, record.status, record.wa_id) == ("notification", "delivered", who)
    assert record.template_params == ("a",)


async def test_other_statuses_are_kept_in_the_history_only(store: WhatsAppStore) -> None:
    message = wamid()
    await store.record_sent(message, citizen(), "reply")
    await store.record_status(status(message, "deleted"))
    record = await store.outgoing(message)
    assert record is not None and record.status == "accepted"
    assert [h.status for h in await store.history(message)] == ["deleted"]


async def test_the_fallback_is_taken_once(store: WhatsAppStore) -> None:
    notification, reply, empty = wamid(), wamid(), wamid()
    await store.record_sent(notification, citizen(), "notification", ("TNG-1", "Selesai"))
    await store.record_sent(reply, citizen(), "reply")
    await store.record_sent(empty, citizen(), "notification", ())
    takes = await asyncio.gather(*(store.take_fallback(notification) for _ in range(5)))
    assert sorted(takes, key=lambda t: t is None) == [("TNG-1", "Selesai"), None, None, None, None]
    assert await store.take_fallback(reply) is None
    assert await store.take_fallback(empty) == ()
    assert await store.take_fallback(wamid()) is None


def test_make_engine_creates_the_sqlite_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "gateway.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect():
        pass
    engine.dispose()
    assert path.exists()
