"""`OutboxPublisher`: outbox events to the Redis stream, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import backend.publisher
from backend.app import create_app
from backend.db import make_session_factory
from backend.models import OutboxEvent
from backend.publisher import OutboxPublisher
from backend.state import AppState
from tests.backend.conftest import AUTH, create_report, make_settings
from tests.conftest import REDIS_URL, service_missing

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_client() -> Iterator[redis.Redis[bytes]]:
    """A client of TEST_REDIS_URL (fail in CI, skip elsewhere when it does not answer)."""
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        service_missing(f"Redis at {REDIS_URL}", exc)
    yield client
    client.close()


@pytest.fixture
def stream(redis_client: redis.Redis[bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A stream key of this test only, used by the publisher instead of `lapor:events`.

    Passed to the publisher explicitly (its default is bound when the class is defined)
    and patched into `backend.publisher.STREAM` as well.
    """
    key = f"test:lapor:events:{uuid.uuid4().hex}"
    monkeypatch.setattr(backend.publisher, "STREAM", key)
    yield key
    redis_client.delete(key)


def make_publisher(engine: Engine, stream: str, batch_size: int = 200) -> OutboxPublisher:
    """A publisher on `engine` and `stream` with its own Redis client (closed by `stop`)."""
    return OutboxPublisher(
        make_session_factory(engine),
        redis.Redis.from_url(REDIS_URL),
        stream=stream,
        batch_size=batch_size,
    )


def streamed(client: redis.Redis[bytes], key: str) -> list[dict[str, Any]]:
    """The events on the stream, oldest first, each checked to have only the `event` field."""
    entries = client.xrange(key)
    payloads = []
    for _, fields in entries:
        assert set(fields) == {b"event"}
        payloads.append(json.loads(fields[b"event"]))
    return payloads


async def pending(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events/pending", params={"limit": 500}, headers=AUTH)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


async def set_status(client: httpx.AsyncClient, tracking_id: str, status: str) -> None:
    response = await client.post(
        f"/api/v1/complaints/{tracking_id}/status", json={"status": status}, headers=AUTH
    )
    assert response.status_code == 200, response.text


def unpublished(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(OutboxEvent.id).where(OutboxEvent.published_at.is_(None))
            ).scalars()
        )


async def test_publish_once_streams_the_unpublished_events_in_order(
    client: httpx.AsyncClient, engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    first = (await create_report(client))["tracking_id"]
    await create_report(client, reporter={"name": "Budi", "chat_id": "whatsapp:62811"})
    await set_status(client, first, "verified")
    await client.post(f"/api/v1/complaints/{first}/receipt", headers=AUTH)
    expected = await pending(client)
    assert len(expected) == 4

    publisher = make_publisher(engine, stream)
    try:
        assert publisher.publish_once() == 4
        assert streamed(redis_client, stream) == expected
        assert [e["type"] for e in streamed(redis_client, stream)] == [
            "complaint.created",
            "complaint.created",
            "complaint.status_changed",
            "complaint.receipt",
        ]
        assert streamed(redis_client, stream)[2]["notifications_enabled"] is True
        assert await pending(client) == []
        assert unpublished(engine) == []
        with Session(engine) as session:
            rows = session.execute(select(OutboxEvent)).scalars().all()
            assert {(row.attempts, row.published_at is not None) for row in rows} == {(1, True)}

        assert publisher.publish_once() == 0
        assert redis_client.xlen(stream) == 4
    finally:
        publisher.stop()


async def test_events_written_later_go_out_with_the_next_batch(
    client: httpx.AsyncClient, engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    tid = (await create_report(client))["tracking_id"]
    publisher = make_publisher(engine, stream)
    try:
        assert publisher.publish_once() == 1
        await set_status(client, tid, "verified")
        await set_status(client, tid, "in_progress")
        later = await pending(client)
        assert [e["status"] for e in later] == ["verified", "in_progress"]
        assert publisher.publish_once() == 2
        on_stream = streamed(redis_client, stream)
        assert [e["event_id"] for e in on_stream[1:]] == [e["event_id"] for e in later]
        assert on_stream[1:] == later
        assert [e["status"] for e in on_stream] == ["received", "verified", "in_progress"]
        assert publisher.publish_once() == 0
        assert await pending(client) == []
    finally:
        publisher.stop()


async def test_a_small_batch_keeps_the_order_across_calls(
    client: httpx.AsyncClient, engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    tids = [(await create_report(client))["tracking_id"] for _ in range(5)]
    expected = await pending(client)
    publisher = make_publisher(engine, stream, batch_size=2)
    try:
        assert [publisher.publish_once() for _ in range(4)] == [2, 2, 1, 0]
    finally:
        publisher.stop()
    assert [e["tracking_id"] for e in streamed(redis_client, stream)] == tids
    assert streamed(redis_client, stream) == expected


async def test_acknowledged_events_are_not_streamed(
    client: httpx.AsyncClient, engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    await create_report(client)
    second = (await create_report(client))["tracking_id"]
    [acked, kept] = await pending(client)
    response = await client.post(f"/api/v1/events/{acked['event_id']}/ack", headers=AUTH)
    assert response.status_code == 204
    publisher = make_publisher(engine, stream)
    try:
        assert publisher.publish_once() == 1
    finally:
        publisher.stop()
    assert streamed(redis_client, stream) == [kept]
    assert kept["tracking_id"] == second


async def test_nothing_to_publish_leaves_the_stream_alone(
    engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    publisher = make_publisher(engine, stream)
    try:
        assert publisher.publish_once() == 0
    finally:
        publisher.stop()
    assert redis_client.exists(stream) == 0


@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
async def test_events_locked_by_another_publisher_are_skipped(
    client: httpx.AsyncClient, engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    for _ in range(3):
        await create_report(client)
    [busy, *free] = await pending(client)
    publisher = make_publisher(engine, stream)
    try:
        with engine.connect() as other:
            transaction = other.begin()
            other.execute(
                text("SELECT id FROM outbox_events WHERE id = :id FOR UPDATE"),
                {"id": busy["event_id"]},
            )
            assert publisher.publish_once() == 2
            transaction.rollback()
        assert streamed(redis_client, stream) == free
        assert unpublished(engine) == [busy["event_id"]]
        assert publisher.publish_once() == 1
        assert streamed(redis_client, stream) == [*free, busy]
    finally:
        publisher.stop()


async def wait_for(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return bool(condition())


async def test_the_app_runs_the_publisher_when_redis_is_configured(
    tmp_path: Path, engine: Engine, redis_client: redis.Redis[bytes], stream: str
) -> None:
    settings = make_settings(tmp_path, redis_url=REDIS_URL, events_stream=stream)
    app = create_app(state=AppState.from_settings(settings, engine=engine))
    await app.router.startup()
    try:
        publisher = app.state.publisher
        assert isinstance(publisher, OutboxPublisher)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as http:
            tid = (await create_report(http))["tracking_id"]
            assert await wait_for(lambda: redis_client.xlen(stream) == 1)
            [event] = streamed(redis_client, stream)
            assert (event["type"], event["tracking_id"]) == ("complaint.created", tid)
            assert await wait_for(lambda: unpublished(engine) == [])
            assert await pending(http) == []
    finally:
        await app.router.shutdown()
    assert publisher._thread is not None
    assert not publisher._thread.is_alive()


async def test_the_app_has_no_publisher_without_redis(tmp_path: Path, engine: Engine) -> None:
    settings = make_settings(tmp_path, redis_url="")
    app = create_app(state=AppState.from_settings(settings, engine=engine))
    await app.router.startup()
    try:
        assert not hasattr(app.state, "publisher")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as http:
            await create_report(http)
            await asyncio.sleep(0.5)
            assert len(await pending(http)) == 1
    finally:
        await app.router.shutdown()
