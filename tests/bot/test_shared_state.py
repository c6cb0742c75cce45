"""Shared state: claims and values, in memory and in Redis (the same behaviour)."""

from __future__ import annotations

import asyncio

import pytest

from bot.shared_state import KEY_PREFIX, MemoryState, RedisState
from tests.bot.conftest import StateUnderTest
from tests.bot.fakes import FakeClock

# Short TTLs so the Redis cases can let them pass in real time.
TTL = 0.1
PAST_TTL = 0.15


async def test_claim_is_first_taker_only(state_under_test: StateUnderTest, namespace: str) -> None:
    state = state_under_test.state
    key = namespace + "update:1"
    assert await state.claim(key, 60) is True
    assert await state.claim(key, 60) is False
    assert await state.claim(key, 60) is False
    assert await state.claim(namespace + "update:2", 60) is True


async def test_claim_expires_after_its_ttl(
    state_under_test: StateUnderTest, namespace: str
) -> None:
    state = state_under_test.state
    key = namespace + "claim"
    assert await state.claim(key, TTL) is True
    assert await state.claim(key, TTL) is False
    await state_under_test.advance(PAST_TTL)
    assert await state.claim(key, TTL) is True
    assert await state.claim(key, TTL) is False


async def test_claim_lives_until_its_ttl(state_under_test: StateUnderTest, namespace: str) -> None:
    state = state_under_test.state
    key = namespace + "claim"
    assert await state.claim(key, 2.0) is True
    await state_under_test.advance(PAST_TTL)
    assert await state.claim(key, 2.0) is False


async def test_set_get_delete_without_ttl(state_under_test: StateUnderTest, namespace: str) -> None:
    state = state_under_test.state
    key = namespace + "value"
    assert await state.get(key) is None
    await state.set(key, '{"reason": "blocked"}')
    assert await state.get(key) == '{"reason": "blocked"}'
    await state_under_test.advance(PAST_TTL)
    assert await state.get(key) == '{"reason": "blocked"}'
    await state.set(key, "diganti ✅")
    assert await state.get(key) == "diganti ✅"
    await state.delete(key)
    assert await state.get(key) is None
    await state.delete(key)  # deleting what is gone is fine
    assert await state.get(key) is None


async def test_set_with_ttl_expires(state_under_test: StateUnderTest, namespace: str) -> None:
    state = state_under_test.state
    key = namespace + "value"
    await state.set(key, "sementara", TTL)
    assert await state.get(key) == "sementara"
    await state_under_test.advance(PAST_TTL)
    assert await state.get(key) is None


async def test_set_without_ttl_replaces_an_earlier_ttl(
    state_under_test: StateUnderTest, namespace: str
) -> None:
    state = state_under_test.state
    key = namespace + "value"
    await state.set(key, "a", TTL)
    await state.set(key, "b")
    await state_under_test.advance(PAST_TTL)
    assert await state.get(key) == "b"


async def test_a_claimed_key_is_not_a_value_someone_can_overwrite_by_claiming(
    state_under_test: StateUnderTest, namespace: str
) -> None:
    state = state_under_test.state
    key = namespace + "value"
    await state.set(key, "ada")
    assert await state.claim(key, 60) is False
    assert await state.get(key) == "ada"
    await state.delete(key)
    assert await state.claim(key, 60) is True


async def test_concurrent_claims_have_exactly_one_winner(
    state_under_test: StateUnderTest, namespace: str
) -> None:
    state = state_under_test.state
    key = namespace + "update:777"
    results = await asyncio.gather(*(state.claim(key, 60) for _ in range(20)))
    assert results.count(True) == 1
    assert len(results) == 20


async def test_concurrent_claims_from_two_processes_have_exactly_one_winner(
    state_under_test: StateUnderTest, namespace: str
) -> None:
    """Two states on separate Redis clients stand for two gateway processes."""
    first, second = state_under_test.state, state_under_test.another()
    if state_under_test.kind == "redis":
        assert first is not second
    for n in range(5):
        key = f"{namespace}update:{n}"
        claims = [first.claim(key, 60) if i % 2 else second.claim(key, 60) for i in range(20)]
        results = await asyncio.gather(*claims)
        assert results.count(True) == 1, (n, results)


async def test_keys_are_separate(state_under_test: StateUnderTest, namespace: str) -> None:
    state = state_under_test.state
    await state.set(namespace + "a", "1")
    await state.set(namespace + "b", "2")
    assert await state.get(namespace + "a") == "1"
    assert await state.get(namespace + "b") == "2"
    await state.delete(namespace + "a")
    assert await state.get(namespace + "b") == "2"


# --- backend specifics ----------------------------------------------------------------
async def test_memory_purge_expired_drops_only_expired_entries() -> None:
    clock = FakeClock()
    state = MemoryState(clock=clock)
    await state.set("short", "1", 5)
    await state.claim("claim", 5)
    await state.set("forever", "2")
    await state.set("long", "3", 100)
    assert state.purge_expired() == 0
    clock.advance(5)
    assert state.purge_expired() == 2
    assert await state.get("forever") == "2"
    assert await state.get("long") == "3"
    assert state.purge_expired() == 0


@pytest.mark.redis
async def test_redis_keys_are_prefixed_and_carry_the_ttl(
    redis_url: str, redis_cleanup: None, namespace: str
) -> None:
    state = RedisState.from_url(redis_url)
    try:
        await state.set(namespace + "v", "x", 30)
        await state.set(namespace + "forever", "y")
        assert await state.claim(namespace + "c", 10) is True
        client = state.client
        assert await client.get(KEY_PREFIX + namespace + "v") == "x"
        assert 29_000 < await client.pttl(KEY_PREFIX + namespace + "v") <= 30_000
        assert await client.pttl(KEY_PREFIX + namespace + "forever") == -1
        assert 9_000 < await client.pttl(KEY_PREFIX + namespace + "c") <= 10_000
        assert await client.get(namespace + "v") is None
    finally:
        await state.close()


@pytest.mark.redis
async def test_redis_tiny_ttl_is_at_least_a_millisecond(
    redis_url: str, redis_cleanup: None, namespace: str
) -> None:
    state = RedisState.from_url(redis_url)
    try:
        # 0.0001 s rounds to 0 ms, which Redis refuses; the state asks for 1 ms instead.
        assert await state.claim(namespace + "c", 0.0001) is True
        await state.set(namespace + "v", "x", 0.0001)
        await asyncio.sleep(0.01)
        assert await state.get(namespace + "v") is None
        assert await state.claim(namespace + "c", 60) is True
    finally:
        await state.close()
