"""Gateway fixtures: the shared state and slot stores, in memory and in Redis.

Redis comes from TEST_REDIS_URL. Without it a developer's run skips the Redis cases;
in CI (CI=true) an unreachable Redis fails them (see `tests.conftest.service_missing`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
import redis
import redis.asyncio as aioredis

from bot import ratelimit, shared_state
from bot.ratelimit import MemorySlotStore, RedisSlotStore, SlotStore
from bot.shared_state import MemoryState, RedisState, SharedState
from tests.bot.fakes import FakeClock
from tests.conftest import REDIS_URL, service_missing

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TEST_REDIS_URL, once it answers PING (fail in CI, skip elsewhere when it does not)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def namespace() -> str:
    """A key prefix no other test (or earlier run) uses."""
    return f"test:{uuid.uuid4().hex}:"


def _delete_matching(client: redis.Redis[str], pattern: str) -> None:
    keys = list(client.scan_iter(match=pattern))
    if keys:
        client.delete(*keys)


@pytest.fixture
def redis_cleanup(redis_url: str, namespace: str) -> Iterator[None]:
    """Delete this test's keys (state and rate limits) afterwards."""
    yield
    client: redis.Redis[str] = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        _delete_matching(client, f"{shared_state.KEY_PREFIX}*{namespace}*")
        _delete_matching(client, f"{ratelimit.KEY_PREFIX}*{namespace}*")
    finally:
        client.close()


@pytest.fixture
async def redis_client(redis_url: str, redis_cleanup: None) -> AsyncIterator[aioredis.Redis[str]]:
    """A client on TEST_REDIS_URL, closed afterwards."""
    client: aioredis.Redis[str] = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.close()


@dataclass
class StateUnderTest:
    """A shared state, how to let time pass for it, and how to make another one on it."""

    kind: str
    state: SharedState
    advance: Callable[[float], Awaitable[None]]
    another: Callable[[], SharedState]


@pytest.fixture(params=BACKENDS)
async def state_under_test(
    request: pytest.FixtureRequest,
) -> AsyncIterator[StateUnderTest]:
    """MemoryState on a fake clock, or RedisState on TEST_REDIS_URL (real time)."""
    if request.param == "memory":
        clock = FakeClock()
        memory = MemoryState(clock=clock)

        async def advance_clock(seconds: float) -> None:
            clock.advance(seconds)

        yield StateUnderTest("memory", memory, advance_clock, lambda: memory)
        return

    url: str = request.getfixturevalue("redis_url")
    request.getfixturevalue("redis_cleanup")
    opened: list[RedisState] = []

    def open_state() -> RedisState:
        state = RedisState.from_url(url)
        opened.append(state)
        return state

    yield StateUnderTest("redis", open_state(), asyncio.sleep, open_state)
    for state in opened:
        await state.close()


@dataclass
class SlotsUnderTest:
    """A slot store and, for Redis, a factory of more stores on separate clients."""

    kind: str
    store: SlotStore
    another: Callable[[], SlotStore]


@pytest.fixture(params=BACKENDS)
async def slots_under_test(request: pytest.FixtureRequest) -> AsyncIterator[SlotsUnderTest]:
    """MemorySlotStore on a frozen fake clock, or RedisSlotStore on TEST_REDIS_URL."""
    if request.param == "memory":
        store = MemorySlotStore(clock=FakeClock())
        yield SlotsUnderTest("memory", store, lambda: store)
        return

    url: str = request.getfixturevalue("redis_url")
    request.getfixturevalue("redis_cleanup")
    clients: list[aioredis.Redis[str]] = []

    def open_store() -> RedisSlotStore:
        client: aioredis.Redis[str] = aioredis.Redis.from_url(url, decode_responses=True)
        clients.append(client)
        return RedisSlotStore(client)

    yield SlotsUnderTest("redis", open_store(), open_store)
    for client in clients:
        await client.close()
