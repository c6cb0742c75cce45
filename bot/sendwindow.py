"""A sliding-window send limit shared by gateway processes ("at most N sends per window").

Telegram accepts about 30 messages per second per bot, counted over a sliding window
at the moment each request arrives. Arrival happens some time after we decide to send,
so counting decisions would let a delayed batch crowd a later one. Instead each send
is recorded twice:

* when it takes room it is "in flight" and counts as if it ended far in the future
  (now + `in_flight_seconds`, so the sends of a crashed process stop counting after
  that);
* when its answer came back (`finish`) its time becomes the answer's time, and it
  counts until `window` seconds after that.

Why that is enough, with no margin for jitter: a request arrives after it took room
and before its answer came back. Take any sends whose arrivals lie less than `window`
apart and the one of them that took room last. When it did, every other one had
either not been answered yet (in flight: counted) or had been answered after its own
arrival, so less than `window` before the last one arrived, hence less than `window`
before the last one took room (counted too). It took room only because fewer than
the ceiling were counted, so the server never sees more than the ceiling in a window.
Capacity is never wasted by a stall either: room comes back as soon as old sends
leave the window, not on a fixed schedule.

Priorities share one window through ceilings: bulk notifications take room only while
fewer than, say, 29 sends are in the window, conversation replies while fewer than 30,
so a reply always finds the last place free.

In Redis each key is a sorted set (ticket -> time), changed by one Lua script per
operation on Redis's own clock, so every process shares one window and one clock.
The limit holds only while sends are answered within `in_flight_seconds`: keep it
above the HTTP timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

KEY_PREFIX = "lapor:sendwindow:"

# The shortest wait reported when there is no room (Redis's clock ticks in microseconds),
# so that rounding never makes a full window look free.
MIN_WAIT = 0.000001


@dataclass(frozen=True)
class SendTicket:
    """The room taken for one send on `key`."""

    key: str
    ticket: str


def wait_for_room(scores: list[float], ceiling: int, window: float, now: float) -> float:
    """Seconds until fewer than `ceiling` of the sends (sorted `scores`) are in the window.

    Returns:
        0.0 when there is room now, else the time until the send that stands in the
        way (the one at index len - ceiling) leaves: its score plus `window`, at least
        `MIN_WAIT`.
    """
    if len(scores) < ceiling:
        return 0.0
    return max(scores[len(scores) - ceiling] + window - now, MIN_WAIT)


class SendLog(Protocol):
    """Where the sends of each window are recorded."""

    async def try_take(self, key: str, ceiling: int, window: float, ticket: str) -> float:
        """Record `ticket` in flight if fewer than `ceiling` sends are in the window.

        Returns:
            0.0 when it was recorded; otherwise (nothing recorded) the seconds until
            the oldest send that stands in the way leaves the window, more than
            `window` when that send is still in flight.
        """

    async def finish(self, key: str, ticket: str, window: float) -> None:
        """The send was answered: from now it counts for `window` seconds more."""

    async def cancel(self, key: str, ticket: str) -> None:
        """Nothing was sent with this room: give it back."""


class MemorySendLog:
    """Sends of one process."""

    def __init__(
        self, in_flight_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._sends: dict[str, dict[str, float]] = {}
        self._in_flight = in_flight_seconds
        self._now = clock

    async def try_take(self, key: str, ceiling: int, window: float, ticket: str) -> float:
        """Take room in this process."""
        now = self._now()
        self._forget_idle(now, window)
        sends = {t: s for t, s in self._sends.get(key, {}).items() if s > now - window}
        wait = wait_for_room(sorted(sends.values()), ceiling, window, now)
        if wait == 0.0:
            sends[ticket] = now + self._in_flight
        self._sends[key] = sends
        return wait

    async def finish(self, key: str, ticket: str, window: float) -> None:
        """Move the send to now, if it is still recorded."""
        sends = self._sends.get(key, {})
        if ticket in sends:
            sends[ticket] = self._now()

    async def cancel(self, key: str, ticket: str) -> None:
        """Forget the send."""
        self._sends.get(key, {}).pop(ticket, None)

    def _forget_idle(self, now: float, window: float) -> None:
        if len(self._sends) > 10_000:
            self._sends = {
                k: s for k, s in self._sends.items() if any(v > now - window for v in s.values())
            }


# Both scripts: KEYS[1] the sorted set (ticket -> time); times are strings with six
# decimals (Lua numbers given back to Redis would be cut to integers).
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
"""

# ARGV ceiling, window, in-flight seconds, ticket, MIN_WAIT; returns the wait (a string).
_TAKE_SCRIPT = (
    _NOW
    + """
local ceiling = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local in_flight = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now - window))
local count = redis.call('ZCARD', KEYS[1])
local wait = 0
if count < ceiling then
  redis.call('ZADD', KEYS[1], string.format('%.6f', now + in_flight), ARGV[4])
else
  local oldest = redis.call('ZRANGE', KEYS[1], count - ceiling, count - ceiling, 'WITHSCORES')
  wait = math.max(tonumber(oldest[2]) + window - now, tonumber(ARGV[5]))
end
redis.call('PEXPIRE', KEYS[1], math.ceil((window + in_flight) * 1000))
return string.format('%.6f', wait)
"""
)

# ARGV ticket, window, in-flight seconds.
_FINISH_SCRIPT = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], 'XX', string.format('%.6f', now), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[2]) + tonumber(ARGV[3])) * 1000))
"""
)


class RedisSendLog:
    """Sends in Redis, shared by every process (Redis's clock, one atomic script)."""

    def __init__(self, client: aioredis.Redis[str], in_flight_seconds: float = 30.0) -> None:
        self._client = client
        self._in_flight = in_flight_seconds
        self._take = client.register_script(_TAKE_SCRIPT)
        self._finish = client.register_script(_FINISH_SCRIPT)

    async def try_take(self, key: str, ceiling: int, window: float, ticket: str) -> float:
        """Take room in Redis."""
        result = await self._take(
            keys=[KEY_PREFIX + key], args=[ceiling, window, self._in_flight, ticket, MIN_WAIT]
        )
        return float(result)

    async def finish(self, key: str, ticket: str, window: float) -> None:
        """Move the send to Redis's now, if it is still recorded."""
        await self._finish(keys=[KEY_PREFIX + key], args=[ticket, window, self._in_flight])

    async def cancel(self, key: str, ticket: str) -> None:
        """Forget the send in Redis."""
        await self._client.zrem(KEY_PREFIX + key, ticket)


class SendWindow:
    """Waits for room under a ceiling of sends per sliding window."""

    def __init__(
        self,
        log: SendLog,
        window: float = 1.0,
        poll_seconds: float = 0.005,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._log = log
        self._window = window
        self._poll = poll_seconds
        self._sleep = sleep

    async def take(self, key: str, ceiling: int) -> SendTicket:
        """Wait until fewer than `ceiling` sends are in the window on `key` and take room.

        While the send in the way is still in flight nobody knows when it leaves, so
        this polls every `poll_seconds`; otherwise it sleeps until that send leaves.
        """
        if ceiling < 1:
            raise ValueError(f"ceiling must be at least 1, not {ceiling}")
        ticket = SendTicket(key, secrets.token_hex(8))
        while True:
            wait = await self._log.try_take(key, ceiling, self._window, ticket.ticket)
            if wait <= 0:
                return ticket
            await self._sleep(wait if wait <= self._window else self._poll)

    async def finish(self, ticket: SendTicket) -> None:
        """The send was answered (or failed after it may have arrived)."""
        await self._log.finish(ticket.key, ticket.ticket, self._window)

    async def cancel(self, ticket: SendTicket) -> None:
        """Nothing was sent: give the room back."""
        await self._log.cancel(ticket.key, ticket.ticket)

    @contextlib.asynccontextmanager
    async def sending(self, key: str, ceiling: int) -> AsyncIterator[SendTicket]:
        """Take room, send in the body, finish afterwards (also when the body raised)."""
        ticket = await self.take(key, ceiling)
        try:
            yield ticket
        finally:
            await self.finish(ticket)
