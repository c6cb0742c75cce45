"""Small key-value state shared by gateway processes: Redis, or in-process without it.

The gateway keeps only short-lived coordination data here: which updates it has
already taken (deduplication), long button payloads, chats that blocked the bot and
when it last apologised to a chat. Everything has a time-to-live except what must
outlive it on purpose (unreachable chats).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis

KEY_PREFIX = "lapor:gateway:"


class SharedState(Protocol):
    """Atomic claims and plain values, shared by every gateway process that uses it."""

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """Take `key` for `ttl_seconds`; True only for the first taker while it lives."""

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        """Store `value` under `key`, forever or for `ttl_seconds`."""

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None when absent or expired."""

    async def delete(self, key: str) -> None:
        """Forget `key`."""

    async def close(self) -> None:
        """Release connections."""


class MemoryState:
    """The embedded default: a dict with expiry times, for one gateway process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}
        self._now = clock

    def _live(self, key: str) -> tuple[str, float | None] | None:
        entry = self._values.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= self._now():
            del self._values[key]
            return None
        return entry

    def _expiry(self, ttl_seconds: float | None) -> float | None:
        return None if ttl_seconds is None else self._now() + ttl_seconds

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """Take `key` unless a live claim exists (atomic: no await in between)."""
        if self._live(key) is not None:
            return False
        self._values[key] = ("1", self._expiry(ttl_seconds))
        return True

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        """Store a value."""
        self._values[key] = (value, self._expiry(ttl_seconds))

    async def get(self, key: str) -> str | None:
        """Read a value."""
        entry = self._live(key)
        return None if entry is None else entry[0]

    async def delete(self, key: str) -> None:
        """Forget a value."""
        self._values.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""

    def purge_expired(self) -> int:
        """Drop expired entries; returns how many (called now and then to bound memory)."""
        expired = [k for k, (_, at) in self._values.items() if at is not None and at <= self._now()]
        for key in expired:
            del self._values[key]
        return len(expired)


class RedisState:
    """State in Redis, shared by every gateway process pointed at it."""

    def __init__(self, client: aioredis.Redis[str]) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisState:
        """Connect lazily to the Redis at `url`."""
        return cls(aioredis.Redis.from_url(url, decode_responses=True))

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """`SET NX PX`: atomic across processes."""
        taken = await self._redis.set(
            KEY_PREFIX + key, "1", nx=True, px=max(1, int(ttl_seconds * 1000))
        )
        return bool(taken)

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        """Store a value."""
        px = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        await self._redis.set(KEY_PREFIX + key, value, px=px)

    async def get(self, key: str) -> str | None:
        """Read a value."""
        value = await self._redis.get(KEY_PREFIX + key)
        return None if value is None else str(value)

    async def delete(self, key: str) -> None:
        """Forget a value."""
        await self._redis.delete(KEY_PREFIX + key)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.close()

    @property
    def client(self) -> aioredis.Redis[str]:
        """The Redis client (the rate limiter shares it)."""
        return self._redis
