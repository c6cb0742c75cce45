"""Outgoing rate limits shared by gateway processes (GCRA, the "generic cell rate algorithm").

Each limit is a key with a rate (messages per second) and a burst. Taking a turn
reserves the next free slot and returns how long to wait for it, so callers queue
fairly instead of polling. With Redis the schedule lives in Redis (one Lua script,
Redis's own clock) and every gateway process shares it; without Redis it lives in
this process.

Why hand-written: the `limits` library would do this, but its releases that support
redis-py's asyncio client need `packaging>=21`, and Rasa 3.6 pins `packaging<21`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

KEY_PREFIX = "lapor:ratelimit:"


@dataclass(frozen=True)
class Rate:
    """`per_second` messages on average, up to `burst` at once."""

    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between two messages at the steady rate."""
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        """How far ahead of schedule a burst may run."""
        return self.interval * (max(self.burst, 1) - 1)


def reserve_slot(tat: float, now: float, rate: Rate) -> tuple[float, float]:
    """GCRA step: from the theoretical arrival time `tat`, the new one and the wait.

    Returns:
        (new_tat, wait_seconds): the caller may send after `wait_seconds`.
    """
    start = max(tat, now)
    wait = max(0.0, start - rate.tolerance - now)
    return start + rate.interval, wait


def penalised_tat(tat: float, now: float, rate: Rate, seconds: float) -> float:
    """The arrival time after the platform said "retry after `seconds`" for this key."""
    return max(tat, now + seconds + rate.tolerance)


class SlotStore(Protocol):
    """Where the theoretical arrival times live."""

    async def reserve(self, key: str, rate: Rate) -> float:
        """Reserve the next slot for `key`; returns seconds to wait."""

    async def penalise(self, key: str, rate: Rate, seconds: float) -> None:
        """Hold every sender on `key` back for `seconds`."""


class MemorySlotStore:
    """Slots of one process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._tats: dict[str, float] = {}
        self._now = clock

    async def reserve(self, key: str, rate: Rate) -> float:
        """Reserve in this process."""
        now = self._now()
        self._tats[key], wait = reserve_slot(self._tats.get(key, now), now, rate)
        self._forget_idle(now)
        return wait

    async def penalise(self, key: str, rate: Rate, seconds: float) -> None:
        """Push the key's schedule back."""
        now = self._now()
        self._tats[key] = penalised_tat(self._tats.get(key, now), now, rate, seconds)

    def _forget_idle(self, now: float) -> None:
        if len(self._tats) > 10_000:
            self._tats = {k: t for k, t in self._tats.items() if t > now}


# KEYS[1] the key; ARGV interval, tolerance, penalty seconds (0: reserve a slot).
_GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local penalty = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = 0
if penalty > 0 then
  if now + penalty + tolerance > tat then tat = now + penalty + tolerance end
else
  wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  tat = tat + interval
end
local ttl = math.ceil((tat - now + tolerance) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', ttl)
return string.format('%.6f', wait)
"""


class RedisSlotStore:
    """Slots in Redis, shared by every process (Redis's clock, one atomic script)."""

    def __init__(self, client: aioredis.Redis[str]) -> None:
        self._script = client.register_script(_GCRA_SCRIPT)

    async def _run(self, key: str, rate: Rate, penalty: float) -> float:
        result = await self._script(
            keys=[KEY_PREFIX + key], args=[rate.interval, rate.tolerance, penalty]
        )
        return float(result)

    async def reserve(self, key: str, rate: Rate) -> float:
        """Reserve in Redis."""
        return await self._run(key, rate, 0.0)

    async def penalise(self, key: str, rate: Rate, seconds: float) -> None:
        """Push the key's schedule back in Redis."""
        await self._run(key, rate, max(seconds, 0.001))


class RateLimiter:
    """Waits for a turn under one or more limits."""

    def __init__(
        self,
        store: SlotStore,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._sleep = sleep

    async def wait_turn(self, limits: list[tuple[str, Rate]]) -> float:
        """Reserve a slot under every limit and sleep until the latest; returns the wait."""
        waits = [await self._store.reserve(key, rate) for key, rate in limits]
        wait = max(waits, default=0.0)
        if wait > 0 and not math.isclose(wait, 0.0, abs_tol=1e-4):
            await self._sleep(wait)
        return wait

    async def hold_back(self, key: str, rate: Rate, seconds: float) -> None:
        """Make every sender on `key` wait `seconds` (after a 429 "retry after")."""
        await self._store.penalise(key, rate, seconds)
