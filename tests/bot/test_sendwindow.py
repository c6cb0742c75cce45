"""The sliding send window: the maths, the logs in memory and Redis, the limiter."""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from bot.sendwindow import (
    KEY_PREFIX,
    MIN_WAIT,
    MemorySendLog,
    RedisSendLog,
    SendLog,
    SendWindow,
    wait_for_room,
)
from tests.bot.conftest import BACKENDS
from tests.bot.fakes import FakeClock, FakeSleep

# Short enough to keep the Redis cases (real time) quick.
WINDOW = 0.3
IN_FLIGHT = 0.5
# Redis's clock runs while the test talks to it: allow a little drift.
DRIFT = 0.05


async def delete_windows(client: aioredis.Redis[str], namespace: str) -> None:
    """Delete the send windows of one test."""
    keys = [key async for key in client.scan_iter(match=f"{KEY_PREFIX}{namespace}*")]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def sendwindow_client(
    redis_client: aioredis.Redis[str], namespace: str
) -> AsyncIterator[aioredis.Redis[str]]:
    """A client on TEST_REDIS_URL; this test's send windows are deleted afterwards."""
    yield redis_client
    await delete_windows(redis_client, namespace)


@dataclass
class LogUnderTest:
    """A send log, how to let time pass for it, and how exact its waits are."""

    log: SendLog
    advance: Callable[[float], Awaitable[None]]
    drift: float


@pytest.fixture(params=BACKENDS)
async def log_under_test(
    request: pytest.FixtureRequest, namespace: str
) -> AsyncIterator[LogUnderTest]:
    """MemorySendLog on a fake clock, or RedisSendLog on TEST_REDIS_URL (real time)."""
    if request.param == "memory":
        clock = FakeClock()

        async def advance_clock(seconds: float) -> None:
            clock.advance(seconds)

        yield LogUnderTest(MemorySendLog(IN_FLIGHT, clock=clock), advance_clock, 0.0)
        return

    url: str = request.getfixturevalue("redis_url")
    client: aioredis.Redis[str] = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        yield LogUnderTest(RedisSendLog(client, IN_FLIGHT), asyncio.sleep, DRIFT)
    finally:
        await delete_windows(client, namespace)
        await client.close()


def near(expected: float, under_test: LogUnderTest) -> object:
    """`expected`, give or take the drift of the log's clock."""
    return pytest.approx(expected, abs=under_test.drift or 1e-9)


# --- the maths ------------------------------------------------------------------------
def test_wait_for_room_is_free_below_the_ceiling() -> None:
    assert wait_for_room([], 1, 1.0, 10.0) == 0.0
    assert wait_for_room([9.5, 9.8], 3, 1.0, 10.0) == 0.0


def test_wait_for_room_waits_for_the_send_at_index_count_minus_ceiling() -> None:
    scores = [9.2, 9.5, 9.8]
    assert wait_for_room(scores, 3, 1.0, 10.0) == pytest.approx(0.2)
    assert wait_for_room(scores, 2, 1.0, 10.0) == pytest.approx(0.5)
    assert wait_for_room(scores, 1, 1.0, 10.0) == pytest.approx(0.8)


def test_wait_for_room_never_reports_a_full_window_as_free() -> None:
    assert wait_for_room([9.0], 1, 1.0, 10.0) == MIN_WAIT


# --- the logs (memory on a fake clock, Redis on its own) ------------------------------
async def test_room_is_taken_up_to_the_ceiling(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    log, key = log_under_test.log, namespace + "all"
    assert [await log.try_take(key, 3, WINDOW, f"t{n}") for n in range(3)] == [0.0] * 3
    assert await log.try_take(key, 3, WINDOW, "t3") > 0
    # A higher ceiling still finds room; the refused ticket was not recorded.
    assert await log.try_take(key, 4, WINDOW, "t4") == 0.0
    assert await log.try_take(key, 5, WINDOW, "t5") == 0.0


async def test_the_wait_is_until_the_send_in_the_way_leaves(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    log, key = log_under_test.log, namespace + "all"
    for ticket in ("a", "b", "c"):
        assert await log.try_take(key, 3, WINDOW, ticket) == 0.0
    await log.finish(key, "a", WINDOW)
    await log_under_test.advance(0.1)
    await log.finish(key, "b", WINDOW)
    await log_under_test.advance(0.1)
    await log.finish(key, "c", WINDOW)
    # Ceiling 3 waits for "a" to leave, ceiling 2 for "b" too, ceiling 1 for "c".
    assert await log.try_take(key, 3, WINDOW, "d") == near(WINDOW - 0.2, log_under_test)
    assert await log.try_take(key, 2, WINDOW, "d") == near(WINDOW - 0.1, log_under_test)
    assert await log.try_take(key, 1, WINDOW, "d") == near(WINDOW, log_under_test)
    await log_under_test.advance(WINDOW - 0.2 + 0.01)
    assert await log.try_take(key, 3, WINDOW, "d") == 0.0


async def test_an_in_flight_send_makes_the_wait_longer_than_the_window(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    log, key = log_under_test.log, namespace + "all"
    assert await log.try_take(key, 1, WINDOW, "a") == 0.0
    wait = await log.try_take(key, 1, WINDOW, "b")
    assert wait > WINDOW
    assert wait == near(IN_FLIGHT + WINDOW, log_under_test)


async def test_finish_moves_the_send_to_its_answer_time(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    log, key = log_under_test.log, namespace + "all"
    assert await log.try_take(key, 1, WINDOW, "a") == 0.0
    await log_under_test.advance(0.1)
    await log.finish(key, "a", WINDOW)
    assert await log.try_take(key, 1, WINDOW, "b") == near(WINDOW, log_under_test)
    await log_under_test.advance(WINDOW + 0.01)
    assert await log.try_take(key, 1, WINDOW, "b") == 0.0


async def test_cancel_gives_the_room_back(log_under_test: LogUnderTest, namespace: str) -> None:
    log, key = log_under_test.log, namespace + "all"
    assert await log.try_take(key, 1, WINDOW, "a") == 0.0
    assert await log.try_take(key, 1, WINDOW, "b") > 0
    await log.cancel(key, "a")
    assert await log.try_take(key, 1, WINDOW, "b") == 0.0


async def test_a_crashed_senders_send_stops_counting(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    log, key = log_under_test.log, namespace + "all"
    assert await log.try_take(key, 1, WINDOW, "never-answered") == 0.0
    await log_under_test.advance(IN_FLIGHT + WINDOW - 0.1)
    assert await log.try_take(key, 1, WINDOW, "b") == near(0.1, log_under_test)
    await log_under_test.advance(0.1 + 0.01)
    assert await log.try_take(key, 1, WINDOW, "b") == 0.0


async def test_finishing_a_forgotten_send_records_nothing(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    log, key = log_under_test.log, namespace + "all"
    await log.finish(key, "unknown", WINDOW)
    assert await log.try_take(key, 1, WINDOW, "a") == 0.0
    await log.cancel(key, "a")
    await log.finish(key, "a", WINDOW)
    assert await log.try_take(key, 1, WINDOW, "b") == 0.0


async def test_keys_have_separate_windows(log_under_test: LogUnderTest, namespace: str) -> None:
    log = log_under_test.log
    assert await log.try_take(namespace + "chat:1", 1, WINDOW, "a") == 0.0
    assert await log.try_take(namespace + "chat:1", 1, WINDOW, "b") > 0
    assert await log.try_take(namespace + "chat:2", 1, WINDOW, "b") == 0.0


async def test_memory_send_finished_exactly_a_window_ago_no_longer_counts() -> None:
    clock = FakeClock()
    log = MemorySendLog(IN_FLIGHT, clock=clock)
    assert await log.try_take("all", 1, 1.0, "a") == 0.0
    await log.finish("all", "a", 1.0)
    clock.advance(0.5)
    assert await log.try_take("all", 1, 1.0, "b") == 0.5
    clock.advance(0.5)
    assert await log.try_take("all", 1, 1.0, "b") == 0.0


async def test_memory_log_forgets_idle_keys_but_keeps_busy_ones() -> None:
    clock = FakeClock()
    log = MemorySendLog(IN_FLIGHT, clock=clock)
    for n in range(10_000):
        await log.try_take(f"idle:{n}", 1, 1.0, "a")
        await log.finish(f"idle:{n}", "a", 1.0)
    clock.advance(5.0)
    assert await log.try_take("busy", 1, 1.0, "a") == 0.0
    assert await log.try_take("trigger", 1, 1.0, "a") == 0.0  # 10_001 keys: clean-up
    assert await log.try_take("busy", 1, 1.0, "b") == pytest.approx(IN_FLIGHT + 1.0)


@pytest.mark.redis
async def test_redis_key_expires_when_idle(
    sendwindow_client: aioredis.Redis[str], namespace: str
) -> None:
    log = RedisSendLog(sendwindow_client, IN_FLIGHT)
    key = namespace + "all"
    longest_ms = round((WINDOW + IN_FLIGHT) * 1000)
    assert await log.try_take(key, 1, WINDOW, "a") == 0.0
    assert 0 < await sendwindow_client.pttl(KEY_PREFIX + key) <= longest_ms
    await asyncio.sleep(0.1)
    await log.finish(key, "a", WINDOW)
    # The answer refreshes the expiry.
    assert longest_ms - 50 < await sendwindow_client.pttl(KEY_PREFIX + key) <= longest_ms
    await log.cancel(key, "a")
    assert await sendwindow_client.exists(KEY_PREFIX + key) == 0


# --- the limiter ----------------------------------------------------------------------
async def test_take_sleeps_until_the_send_in_the_way_leaves() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    window = SendWindow(MemorySendLog(clock=clock), window=1.0, sleep=sleep)
    first = await window.take("all", 2)
    await window.finish(first)
    clock.advance(0.25)
    await window.finish(await window.take("all", 2))
    third = await window.take("all", 2)
    assert sleep.calls == [0.75]
    assert (third.key, len(third.ticket)) == ("all", 16)
    assert third.ticket != first.ticket


async def test_take_polls_while_the_send_in_the_way_is_in_flight() -> None:
    clock = FakeClock()
    log = MemorySendLog(clock=clock)
    window = SendWindow(log, window=1.0, poll_seconds=0.005, sleep=FakeSleep(clock))
    in_flight = await window.take("all", 1)
    calls: list[float] = []

    async def answer_during_the_first_poll(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 1:
            await window.finish(in_flight)
        clock.advance(seconds)

    polling = SendWindow(log, window=1.0, poll_seconds=0.005, sleep=answer_during_the_first_poll)
    await polling.take("all", 1)
    # Polled while it was in flight, then slept until it leaves, a window after its answer.
    assert calls == pytest.approx([0.005, 0.995])


async def test_take_rejects_a_ceiling_below_one() -> None:
    window = SendWindow(MemorySendLog(clock=FakeClock()), sleep=FakeSleep())
    with pytest.raises(ValueError, match="ceiling"):
        await window.take("all", 0)


async def test_conversation_replies_pass_bulk_notifications(
    log_under_test: LogUnderTest, namespace: str
) -> None:
    sleep = FakeSleep()
    window = SendWindow(log_under_test.log, window=WINDOW, sleep=sleep)
    key = namespace + "telegram:all"
    for _ in range(29):
        await window.finish(await window.take(key, 29))
    assert sleep.calls == []
    # The 30th place is for conversations only.
    assert await log_under_test.log.try_take(key, 29, WINDOW, "notification") > 0
    await window.take(key, 30)
    assert sleep.calls == []
    assert await log_under_test.log.try_take(key, 30, WINDOW, "conversation") > 0


async def test_sending_finishes_the_ticket() -> None:
    clock = FakeClock()
    log = MemorySendLog(IN_FLIGHT, clock=clock)
    window = SendWindow(log, window=1.0, sleep=FakeSleep())
    async with window.sending("all", 1) as ticket:
        assert ticket.key == "all"
        # In flight inside the body.
        assert await log.try_take("all", 1, 1.0, "other") == IN_FLIGHT + 1.0
    assert await log.try_take("all", 1, 1.0, "other") == 1.0


async def test_sending_finishes_the_ticket_when_the_send_raised() -> None:
    clock = FakeClock()
    log = MemorySendLog(IN_FLIGHT, clock=clock)
    window = SendWindow(log, window=1.0, sleep=FakeSleep())
    with pytest.raises(ConnectionError):
        async with window.sending("all", 1):
            clock.advance(0.2)
            raise ConnectionError("timed out after sending")
    # Finished, not cancelled: it may have arrived, so it counts a window from now.
    assert await log.try_take("all", 1, 1.0, "other") == 1.0


@pytest.mark.redis
async def test_processes_sharing_redis_never_exceed_the_ceiling_and_use_it_all(
    redis_url: str, sendwindow_client: aioredis.Redis[str], namespace: str
) -> None:
    ceiling, window_seconds, run_seconds = 15, 0.5, 2.5
    key = namespace + "telegram:all"
    clients: list[aioredis.Redis[str]] = [
        aioredis.Redis.from_url(redis_url, decode_responses=True) for _ in range(3)
    ]
    arrivals: list[float] = []
    latency = random.SystemRandom()

    async def sender(window: SendWindow) -> None:
        while True:
            async with window.sending(key, ceiling):
                # The request travels (for a varying time), arrives, and is answered.
                await asyncio.sleep(latency.uniform(0.0, 0.02))
                arrivals.append(time.monotonic())
                await asyncio.sleep(latency.uniform(0.0, 0.005))

    processes = [SendWindow(RedisSendLog(client), window=window_seconds) for client in clients]
    senders = [asyncio.create_task(sender(window)) for window in processes for _ in range(8)]
    try:
        done, _ = await asyncio.wait(senders, timeout=run_seconds)
        for task in done:
            task.result()  # a sender stopped early: show why
    finally:
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for client in clients:
            await client.close()

    arrivals.sort()
    busiest = max(
        bisect.bisect_left(arrivals, start + window_seconds) - i for i, start in enumerate(arrivals)
    )
    assert busiest <= ceiling
    assert len(arrivals) >= 0.85 * ceiling / window_seconds * run_seconds
