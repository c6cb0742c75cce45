"""Outgoing rate limits (GCRA): the maths, the stores in memory and Redis, the limiter."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from bot.ratelimit import (
    KEY_PREFIX,
    MemorySlotStore,
    Rate,
    RateLimiter,
    RedisSlotStore,
    penalised_tat,
    reserve_slot,
)
from tests.bot.conftest import SlotsUnderTest
from tests.bot.fakes import FakeClock, FakeSleep

# Redis's clock runs while the test talks to it: allow a little drift.
DRIFT = 0.05


# --- the maths ------------------------------------------------------------------------
def test_rate_interval_and_tolerance() -> None:
    assert Rate(per_second=2.0, burst=5).interval == 0.5
    assert Rate(per_second=2.0, burst=5).tolerance == 2.0
    assert Rate(per_second=30.0).tolerance == 0.0
    assert Rate(per_second=1.0, burst=0).tolerance == 0.0


def test_reserve_slot_allows_a_burst_then_the_steady_rate() -> None:
    rate = Rate(per_second=1.0, burst=3)
    tat, now = 0.0, 100.0
    waits = []
    for _ in range(6):
        tat, wait = reserve_slot(tat, now, rate)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]
    assert tat == now + 6.0


def test_reserve_slot_refills_with_time() -> None:
    rate = Rate(per_second=2.0, burst=2)
    now = 0.0
    tat, _ = reserve_slot(now, now, rate)
    tat, _ = reserve_slot(tat, now, rate)
    tat, wait = reserve_slot(tat, now, rate)
    assert wait == 0.5
    # A long pause later the burst is available again.
    later = 10.0
    tat, first = reserve_slot(tat, later, rate)
    tat, second = reserve_slot(tat, later, rate)
    tat, third = reserve_slot(tat, later, rate)
    assert (first, second, third) == (0.0, 0.0, 0.5)


def test_reserve_slot_at_steady_pace_never_waits() -> None:
    rate = Rate(per_second=1.0, burst=1)
    tat = 0.0
    for second in range(10):
        tat, wait = reserve_slot(tat, float(second), rate)
        assert wait == 0.0


def test_penalised_tat_makes_the_next_wait_the_penalty() -> None:
    rate = Rate(per_second=1.0, burst=3)
    now = 50.0
    tat = penalised_tat(now, now, rate, 3.0)
    tat, wait = reserve_slot(tat, now, rate)
    assert wait == pytest.approx(3.0)
    tat, wait = reserve_slot(tat, now, rate)
    assert wait == pytest.approx(4.0)


def test_penalised_tat_never_shortens_a_longer_schedule() -> None:
    rate = Rate(per_second=1.0, burst=1)
    assert penalised_tat(200.0, 100.0, rate, 3.0) == 200.0
    assert penalised_tat(101.0, 100.0, rate, 3.0) == 103.0


# --- the stores (memory on a frozen clock, Redis on its own) --------------------------
async def test_burst_has_no_wait_then_waits_grow_by_the_interval(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    store = slots_under_test.store
    rate = Rate(per_second=1.0, burst=3)
    waits = [await store.reserve(namespace + "chat:1", rate) for _ in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([1.0, 2.0, 3.0, 4.0], abs=DRIFT)


async def test_keys_have_separate_schedules(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    store = slots_under_test.store
    rate = Rate(per_second=1.0, burst=1)
    assert await store.reserve(namespace + "chat:1", rate) == 0.0
    assert await store.reserve(namespace + "chat:1", rate) == pytest.approx(1.0, abs=DRIFT)
    assert await store.reserve(namespace + "chat:2", rate) == 0.0


async def test_penalise_makes_the_next_wait_the_penalty(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    store = slots_under_test.store
    rate = Rate(per_second=1.0, burst=3)
    key = namespace + "chat:1"
    assert await store.reserve(key, rate) == 0.0
    await store.penalise(key, rate, 3.0)
    assert await store.reserve(key, rate) == pytest.approx(3.0, abs=DRIFT)
    assert await store.reserve(key, rate) == pytest.approx(4.0, abs=DRIFT)
    # Another key is not held back.
    assert await store.reserve(namespace + "chat:2", rate) == 0.0


async def test_penalise_an_unused_key(slots_under_test: SlotsUnderTest, namespace: str) -> None:
    store = slots_under_test.store
    rate = Rate(per_second=1.0, burst=1)
    await store.penalise(namespace + "fresh", rate, 2.0)
    assert await store.reserve(namespace + "fresh", rate) == pytest.approx(2.0, abs=DRIFT)


async def test_two_stores_on_separate_clients_share_one_schedule(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    first, second = slots_under_test.store, slots_under_test.another()
    if slots_under_test.kind == "redis":
        assert first is not second
    rate = Rate(per_second=1.0, burst=2)
    key = namespace + "telegram:all"
    reservations = [(first if i % 2 else second).reserve(key, rate) for i in range(8)]
    waits = sorted(await asyncio.gather(*reservations))
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], abs=DRIFT)
    # A penalty through one is seen by the other.
    await first.penalise(key, rate, 30.0)
    assert await second.reserve(key, rate) == pytest.approx(30.0, abs=DRIFT)


@pytest.mark.redis
async def test_redis_schedule_refills_and_its_key_expires_when_idle(
    redis_client: aioredis.Redis[str], namespace: str
) -> None:
    store = RedisSlotStore(redis_client)
    rate = Rate(per_second=20.0, burst=1)
    key = namespace + "quick"
    assert await store.reserve(key, rate) == 0.0
    assert await store.reserve(key, rate) == pytest.approx(0.05, abs=0.02)
    # The key lives about as long as its schedule matters (plus a second), not forever.
    ttl_ms = await redis_client.pttl(KEY_PREFIX + key)
    assert 0 < ttl_ms <= 1_200
    await asyncio.sleep(0.15)
    assert await store.reserve(key, rate) == 0.0


async def test_memory_schedule_refills_with_the_clock() -> None:
    clock = FakeClock()
    store = MemorySlotStore(clock=clock)
    rate = Rate(per_second=1.0, burst=2)
    assert [await store.reserve("k", rate) for _ in range(3)] == [0.0, 0.0, 1.0]
    clock.advance(3.0)
    assert [await store.reserve("k", rate) for _ in range(3)] == [0.0, 0.0, 1.0]


async def test_memory_store_forgets_idle_keys_but_keeps_busy_ones() -> None:
    clock = FakeClock()
    store = MemorySlotStore(clock=clock)
    rate = Rate(per_second=1.0, burst=1)
    for n in range(10_001):
        await store.reserve(f"idle:{n}", rate)
    clock.advance(5.0)
    await store.reserve("busy", rate)
    await store.reserve("busy", rate)  # tat in the future: must survive the clean-up
    await store.reserve("trigger", rate)
    assert await store.reserve("busy", rate) == pytest.approx(2.0)


# --- the limiter ----------------------------------------------------------------------
async def test_wait_turn_sleeps_only_when_it_must(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    sleep = FakeSleep()
    limiter = RateLimiter(slots_under_test.store, sleep=sleep)
    limits = [
        (namespace + "all", Rate(per_second=30.0, burst=30)),
        (namespace + "chat:1", Rate(per_second=1.0, burst=2)),
    ]
    waits = [await limiter.wait_turn(limits) for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([1.0, 2.0], abs=DRIFT)
    assert sleep.calls == pytest.approx([1.0, 2.0], abs=DRIFT)
    assert sleep.calls == waits[2:]


async def test_wait_turn_waits_for_the_strictest_limit(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    sleep = FakeSleep()
    limiter = RateLimiter(slots_under_test.store, sleep=sleep)
    overall = (namespace + "all", Rate(per_second=2.0, burst=1))
    chat = (namespace + "chat:1", Rate(per_second=1.0, burst=3))
    await limiter.wait_turn([overall, chat])
    wait = await limiter.wait_turn([overall, chat])
    assert wait == pytest.approx(0.5, abs=DRIFT)
    assert sleep.calls == [wait]


async def test_wait_turn_without_limits_does_not_sleep() -> None:
    sleep = FakeSleep()
    limiter = RateLimiter(MemorySlotStore(clock=FakeClock()), sleep=sleep)
    assert await limiter.wait_turn([]) == 0.0
    assert sleep.calls == []


async def test_hold_back_delays_the_next_turn_on_that_key_only(
    slots_under_test: SlotsUnderTest, namespace: str
) -> None:
    sleep = FakeSleep()
    limiter = RateLimiter(slots_under_test.store, sleep=sleep)
    rate = Rate(per_second=1.0, burst=3)
    await limiter.hold_back(namespace + "chat:1", rate, 3.0)
    assert await limiter.wait_turn([(namespace + "chat:2", rate)]) == 0.0
    assert sleep.calls == []
    assert await limiter.wait_turn([(namespace + "chat:1", rate)]) == pytest.approx(3.0, abs=DRIFT)
    assert sleep.calls == pytest.approx([3.0], abs=DRIFT)


async def test_wait_turn_with_a_clock_moving_sleep_keeps_the_pace() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    limiter = RateLimiter(MemorySlotStore(clock=clock), sleep=sleep)
    limits = [("chat", Rate(per_second=2.0, burst=1))]
    start = clock.now
    sent_at = []
    for _ in range(5):
        await limiter.wait_turn(limits)
        sent_at.append(clock.now - start)
    assert sent_at == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
