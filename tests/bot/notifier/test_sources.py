"""Event sources: the Redis Streams consumer group and the backend's outbox API."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from bot.notifier import sources
from bot.notifier.events import ReportEvent
from bot.notifier.sources import BackendOutboxSource, Delivery, RedisStreamSource


def event_payload(event_id: str, status: str = "in_progress", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "complaint.status_changed",
        "tracking_id": "TNG-2026-000123",
        "status": status,
        "chat_id": "telegram:4242",
        **extra,
    }


# -- Redis Streams -------------------------------------------------------------------------


@pytest.fixture
async def stream(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[aioredis.Redis[str]]:
    """A stream and group of this test's own (module constants patched), deleted afterwards."""
    suffix = uuid.uuid4().hex
    monkeypatch.setattr(sources, "STREAM", f"test:{suffix}:lapor:events")
    monkeypatch.setattr(sources, "GROUP", f"notifier-{suffix}")
    client: aioredis.Redis[str] = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.delete(sources.STREAM)
        await client.close()


async def add(client: aioredis.Redis[str], payload: dict[str, Any] | str) -> str:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    entry_id: str = await client.xadd(sources.STREAM, {"event": raw})
    return entry_id


async def pending_ids(client: aioredis.Redis[str]) -> dict[str, str]:
    """Entry ID -> consumer, of the group's pending list."""
    rows = await client.xpending_range(sources.STREAM, sources.GROUP, "-", "+", 100)
    return {row["message_id"]: row["consumer"] for row in rows}


@pytest.mark.redis
async def test_the_group_is_created_on_the_first_read(stream: aioredis.Redis[str]) -> None:
    assert await stream.exists(sources.STREAM) == 0
    source = RedisStreamSource(stream, "gw-a")
    assert await source.next_batch(10, wait_seconds=0.01) == []
    groups = await stream.xinfo_groups(sources.STREAM)
    assert [g["name"] for g in groups] == [sources.GROUP]


@pytest.mark.redis
async def test_a_second_source_tolerates_the_existing_group(stream: aioredis.Redis[str]) -> None:
    first = RedisStreamSource(stream, "gw-a")
    second = RedisStreamSource(stream, "gw-b")
    await first.next_batch(10, wait_seconds=0.01)
    await add(stream, event_payload("e1"))
    [delivery] = await second.next_batch(10, wait_seconds=0.01)  # BUSYGROUP swallowed
    assert delivery.event.event_id == "e1"
    assert len(await stream.xinfo_groups(sources.STREAM)) == 1


@pytest.mark.redis
async def test_the_group_starts_at_the_beginning_of_the_stream(
    stream: aioredis.Redis[str],
) -> None:
    # Events written before any notifier ever ran are still delivered.
    await add(stream, event_payload("early"))
    [delivery] = await RedisStreamSource(stream, "gw-a").next_batch(10, wait_seconds=0.01)
    assert delivery.event.event_id == "early"


@pytest.mark.redis
async def test_events_come_in_order_with_their_entry_ids(stream: aioredis.Redis[str]) -> None:
    source = RedisStreamSource(stream, "gw-a")
    await source.next_batch(10, wait_seconds=0.01)
    first = await add(stream, event_payload("e1", "verified"))
    second = await add(stream, event_payload("e2", "resolved", note="Sudah ditambal"))
    batch = await source.next_batch(10, wait_seconds=0.01)
    assert [d.receipt for d in batch] == [first, second]
    assert batch[0].event == ReportEvent.from_payload(event_payload("e1", "verified"))
    assert batch[1].event.status == "resolved"
    assert batch[1].event.note == "Sudah ditambal"
    assert await pending_ids(stream) == {first: "gw-a", second: "gw-a"}
    # Nothing new: an empty batch after the wait.
    assert await source.next_batch(10, wait_seconds=0.01) == []


@pytest.mark.redis
async def test_count_limits_the_batch(stream: aioredis.Redis[str]) -> None:
    source = RedisStreamSource(stream, "gw-a")
    for n in range(5):
        await add(stream, event_payload(f"e{n}"))
    first = await source.next_batch(2, wait_seconds=0.01)
    rest = await source.next_batch(10, wait_seconds=0.01)
    assert [d.event.event_id for d in first] == ["e0", "e1"]
    assert [d.event.event_id for d in rest] == ["e2", "e3", "e4"]


@pytest.mark.redis
async def test_ack_removes_the_entry_from_the_pending_list(stream: aioredis.Redis[str]) -> None:
    source = RedisStreamSource(stream, "gw-a")
    first = await add(stream, event_payload("e1"))
    second = await add(stream, event_payload("e2"))
    one, two = await source.next_batch(10, wait_seconds=0.01)
    await source.ack(one)
    assert await pending_ids(stream) == {second: "gw-a"}
    await source.ack(two)
    assert await pending_ids(stream) == {}
    assert first != second


@pytest.mark.redis
async def test_the_wait_blocks_for_new_entries(stream: aioredis.Redis[str], redis_url: str) -> None:
    source = RedisStreamSource(stream, "gw-a")
    await source.next_batch(10, wait_seconds=0.01)
    # A client of its own: the reading one is blocked in XREADGROUP.
    writer: aioredis.Redis[str] = aioredis.Redis.from_url(redis_url, decode_responses=True)

    async def write_soon() -> None:
        await asyncio.sleep(0.05)
        await add(writer, event_payload("late"))

    started = time.monotonic()
    batch, _ = await asyncio.gather(source.next_batch(10, wait_seconds=2.0), write_soon())
    elapsed = time.monotonic() - started
    await writer.close()
    assert [d.event.event_id for d in batch] == ["late"]
    assert 0.04 <= elapsed < 1.0


@pytest.mark.redis
async def test_an_abandoned_entry_is_reclaimed_after_the_idle_time(
    stream: aioredis.Redis[str],
) -> None:
    crashed = RedisStreamSource(stream, "gw-a", claim_idle_seconds=0.05)
    survivor = RedisStreamSource(stream, "gw-b", claim_idle_seconds=0.05)
    entry = await add(stream, event_payload("e1"))
    [taken] = await crashed.next_batch(10, wait_seconds=0.01)
    assert taken.receipt == entry
    # Not idle long enough yet: gw-b gets nothing.
    assert await survivor.next_batch(10, wait_seconds=0.001) == []
    assert await pending_ids(stream) == {entry: "gw-a"}
    await asyncio.sleep(0.08)
    [reclaimed] = await survivor.next_batch(10, wait_seconds=0.01)
    assert reclaimed.receipt == entry
    assert reclaimed.event.event_id == "e1"
    assert await pending_ids(stream) == {entry: "gw-b"}
    await survivor.ack(reclaimed)
    assert await pending_ids(stream) == {}


@pytest.mark.redis
async def test_reclaimed_entries_come_before_new_ones(stream: aioredis.Redis[str]) -> None:
    crashed = RedisStreamSource(stream, "gw-a", claim_idle_seconds=0.05)
    survivor = RedisStreamSource(stream, "gw-b", claim_idle_seconds=0.05)
    await add(stream, event_payload("old"))
    await crashed.next_batch(10, wait_seconds=0.01)
    await add(stream, event_payload("new"))
    await asyncio.sleep(0.08)
    first = await survivor.next_batch(10, wait_seconds=0.01)
    second = await survivor.next_batch(10, wait_seconds=0.01)
    assert [d.event.event_id for d in first] == ["old"]
    assert [d.event.event_id for d in second] == ["new"]


@pytest.mark.redis
async def test_an_unacknowledged_entry_comes_back_to_the_same_consumer(
    stream: aioredis.Redis[str],
) -> None:
    # The retry path: a transient failure leaves the entry pending; it returns once idle.
    source = RedisStreamSource(stream, "gw-a", claim_idle_seconds=0.05)
    await add(stream, event_payload("e1"))
    [first] = await source.next_batch(10, wait_seconds=0.01)
    await asyncio.sleep(0.08)
    [again] = await source.next_batch(10, wait_seconds=0.01)
    assert again.receipt == first.receipt


@pytest.mark.redis
@pytest.mark.parametrize(
    "fields",
    [
        {"event": "{not json"},
        {"event": json.dumps({"event_id": "x"})},  # required fields missing
        {"event": "[1, 2]"},
        {"event": "null"},
        {"other": "field"},
    ],
    ids=["bad-json", "missing-fields", "json-list", "json-null", "no-event-field"],
)
async def test_an_unreadable_entry_is_acknowledged_and_skipped(
    stream: aioredis.Redis[str], fields: dict[str, str]
) -> None:
    source = RedisStreamSource(stream, "gw-a")
    await source.next_batch(10, wait_seconds=0.01)
    await stream.xadd(sources.STREAM, fields)
    good = await add(stream, event_payload("e2"))
    batch = await source.next_batch(10, wait_seconds=0.01)
    assert [(d.event.event_id, d.receipt) for d in batch] == [("e2", good)]
    assert await pending_ids(stream) == {good: "gw-a"}  # the bad one was acknowledged


@pytest.mark.redis
async def test_a_zero_wait_does_not_block(stream: aioredis.Redis[str]) -> None:
    """`wait_seconds=0` asks not to wait; XREADGROUP's `BLOCK 0` would wait forever.

    BUG (bot/notifier/sources.py, RedisStreamSource.next_batch): `block=int(wait_seconds
    * 1000)` turns any wait under 1 ms into `BLOCK 0`, which Redis reads as "block
    indefinitely", so `next_batch(n, 0)` on an empty stream never returns.
    """
    source = RedisStreamSource(stream, "gw-a")
    await source.next_batch(10, wait_seconds=0.01)
    try:
        batch = await asyncio.wait_for(source.next_batch(10, wait_seconds=0), timeout=0.3)
    except asyncio.TimeoutError:
        pytest.fail("next_batch(count, wait_seconds=0) blocked on an empty stream")
    assert batch == []


# -- Backend outbox ------------------------------------------------------------------------


class FakeOutbox:
    """The backend's events API on an httpx.MockTransport, recording requests."""

    def __init__(self, events: list[dict[str, Any]] | None = None) -> None:
        self.events = list(events or [])
        self.requests: list[httpx.Request] = []
        self.acked: list[str] = []
        self.reply: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply(request)
        path = request.url.path
        if request.method == "GET" and path == "/api/v1/events/pending":
            limit = int(request.url.params["limit"])
            return httpx.Response(200, json={"events": self.events[:limit]})
        if request.method == "POST" and path.endswith("/ack"):
            event_id = path.split("/")[-2]
            self.acked.append(event_id)
            self.events = [e for e in self.events if e.get("event_id") != event_id]
            return httpx.Response(204)
        return httpx.Response(404)


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    """The source's pauses, recorded instead of waited (handed to the source itself:
    patching `asyncio.sleep` would also make every other event loop of the test
    process, a server thread's for one, spin without pausing)."""
    return SleepRecorder()


@pytest.fixture
async def outbox_http(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[FakeOutbox, BackendOutboxSource]]:
    fake = FakeOutbox()
    pause = request.getfixturevalue("sleeps") if "sleeps" in request.fixturenames else None
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        if pause is None:
            yield fake, BackendOutboxSource(http, "http://backend.test/", "svc-token")
        else:
            yield fake, BackendOutboxSource(http, "http://backend.test/", "svc-token", pause)


async def test_outbox_events_become_deliveries(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource], sleeps: SleepRecorder
) -> None:
    fake, source = outbox_http
    fake.events = [event_payload("e1", "verified"), event_payload("e2", "resolved")]
    batch = await source.next_batch(25, wait_seconds=1.0)
    assert [d.event for d in batch] == [ReportEvent.from_payload(e) for e in fake.events]
    assert [d.receipt for d in batch] == ["e1", "e2"]
    assert sleeps.calls == []  # events found: no waiting
    [request] = fake.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v1/events/pending"
    assert request.url.params["limit"] == "25"
    assert request.url.host == "backend.test"
    assert request.headers["Authorization"] == "Bearer svc-token"


async def test_the_limit_is_the_batch_size(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource], sleeps: SleepRecorder
) -> None:
    fake, source = outbox_http
    fake.events = [event_payload(f"e{n}") for n in range(5)]
    batch = await source.next_batch(2, wait_seconds=1.0)
    assert [d.receipt for d in batch] == ["e0", "e1"]


async def test_an_empty_outbox_waits(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource], sleeps: SleepRecorder
) -> None:
    _, source = outbox_http
    assert await source.next_batch(10, wait_seconds=2.5) == []
    assert sleeps.calls == [2.5]


async def test_an_empty_outbox_really_sleeps(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
) -> None:
    _, source = outbox_http
    started = time.monotonic()
    assert await source.next_batch(10, wait_seconds=0.05) == []
    assert time.monotonic() - started >= 0.045


@pytest.mark.parametrize(
    "reply",
    [
        lambda r: httpx.Response(500, json={"detail": "boom"}),
        lambda r: httpx.Response(401, json={"detail": "bad token"}),
        lambda r: httpx.Response(200, text="<html>proxy</html>"),
        lambda r: httpx.Response(200, json={"detail": "no events key"}),
    ],
    ids=["500", "401", "not-json", "no-events-key"],
)
async def test_a_failing_backend_gives_an_empty_batch(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
    sleeps: SleepRecorder,
    reply: Callable[[httpx.Request], httpx.Response],
) -> None:
    fake, source = outbox_http
    fake.reply = reply
    assert await source.next_batch(10, wait_seconds=1.0) == []
    assert sleeps.calls == [1.0]


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")],
    ids=["connect", "timeout"],
)
async def test_an_unreachable_backend_gives_an_empty_batch(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
    sleeps: SleepRecorder,
    error: Exception,
) -> None:
    fake, source = outbox_http

    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    fake.reply = fail
    assert await source.next_batch(10, wait_seconds=1.0) == []
    assert sleeps.calls == [1.0]


async def test_a_json_body_that_is_not_an_object_gives_an_empty_batch(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource], sleeps: SleepRecorder
) -> None:
    """BUG (bot/notifier/sources.py, BackendOutboxSource.next_batch): a 200 whose JSON is
    not an object (`[]`, e.g. from a misrouted proxy) raises TypeError from
    `response.json()["events"]` (only HTTPError/ValueError/KeyError are caught), and
    `Notifier.run` does not catch TypeError either, so the notifier loop dies.
    """
    fake, source = outbox_http
    fake.reply = lambda r: httpx.Response(200, json=[])
    assert await source.next_batch(10, wait_seconds=1.0) == []


async def test_unreadable_outbox_events_are_skipped(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource], sleeps: SleepRecorder
) -> None:
    fake, source = outbox_http
    fake.events = [{"event_id": "bad"}, event_payload("e2")]
    batch = await source.next_batch(10, wait_seconds=1.0)
    assert [d.receipt for d in batch] == ["e2"]


async def test_an_unreadable_outbox_event_does_not_block_the_outbox(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource], sleeps: SleepRecorder
) -> None:
    """An event that can never be read must not come back forever.

    BUG (bot/notifier/sources.py, BackendOutboxSource.next_batch): unreadable events are
    dropped from the batch but never acknowledged, so the backend keeps returning them
    as its oldest unpublished events. Once `limit` of them head the outbox, every batch
    is empty and no later event is ever delivered. (RedisStreamSource acknowledges
    unreadable entries: "never retry what cannot be read".)
    """
    fake, source = outbox_http
    fake.events = [{"event_id": f"bad{n}", "type": "complaint.status_changed"} for n in range(2)]
    fake.events.append(event_payload("good"))
    seen: list[str] = []
    for _ in range(3):
        for handled in await source.next_batch(2, wait_seconds=0.0):
            seen.append(handled.receipt)
            await source.ack(handled)  # as the notifier does
    assert seen == ["good"]


async def test_ack_posts_to_the_event(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
) -> None:
    fake, source = outbox_http
    event = ReportEvent.from_payload(event_payload("ab12cd34"))
    await source.ack(Delivery(event, "ab12cd34"))
    [request] = fake.requests
    assert request.method == "POST"
    assert str(request.url) == "http://backend.test/api/v1/events/ab12cd34/ack"
    assert request.headers["Authorization"] == "Bearer svc-token"
    assert fake.acked == ["ab12cd34"]


async def test_a_refused_ack_raises(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
) -> None:
    # The notifier's loop treats HTTP errors as "source unavailable" and carries on.
    fake, source = outbox_http
    fake.reply = lambda r: httpx.Response(503)
    event = ReportEvent.from_payload(event_payload("e1"))
    with pytest.raises(httpx.HTTPStatusError):
        await source.ack(Delivery(event, "e1"))


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            lambda r: httpx.Response(
                503,
                json={"error": "database_busy", "message": "The database is busy."},
                headers={"Retry-After": "2"},
            ),
            "HTTP 503 from GET /api/v1/events/pending: The database is busy. (Retry-After 2 s)",
        ),
        (
            lambda r: httpx.Response(502, text="Bad Gateway"),
            "HTTP 502 from GET /api/v1/events/pending: Bad Gateway",
        ),
    ],
    ids=["503-json", "502-text"],
)
async def test_a_failing_feed_is_logged_with_its_status_and_message(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
    reply: Callable[[httpx.Request], httpx.Response],
    expected: str,
) -> None:
    fake, source = outbox_http
    fake.reply = reply
    with caplog.at_level("WARNING", logger=sources.logger.name):
        await source.next_batch(10, wait_seconds=1.0)
    assert [r.getMessage() for r in caplog.records] == [f"backend events unavailable: {expected}"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ReadTimeout(""), "ReadTimeout on GET /api/v1/events/pending (no detail given)"),
        (httpx.ConnectError("refused"), "ConnectError on GET /api/v1/events/pending: refused"),
    ],
    ids=["timeout-without-message", "connect"],
)
async def test_an_unreachable_feed_is_logged_with_the_error(
    outbox_http: tuple[FakeOutbox, BackendOutboxSource],
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
    error: httpx.RequestError,
    expected: str,
) -> None:
    fake, source = outbox_http

    def fail(request: httpx.Request) -> httpx.Response:
        error.request = request
        raise error

    fake.reply = fail
    with caplog.at_level("WARNING", logger=sources.logger.name):
        await source.next_batch(10, wait_seconds=1.0)
    assert [r.getMessage() for r in caplog.records] == [f"backend events unavailable: {expected}"]
