"""Where the notifier reads events: a Redis Streams consumer group, or the backend's outbox.

Both deliver every event at least once: an event is acknowledged only after it was
handled, and one left unacknowledged (the notifier crashed) comes back: from Redis by
claiming entries idle too long in the group's pending list, from the backend because
its outbox row stays unpublished.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from bot.notifier.events import MalformedEventError, ReportEvent

logger = logging.getLogger(__name__)

STREAM = "lapor:events"
GROUP = "notifier"


@dataclass(frozen=True)
class Delivery:
    """One event and the handle to acknowledge it."""

    event: ReportEvent
    receipt: str


class EventSource(Protocol):
    """A queue of report events."""

    async def next_batch(self, count: int, wait_seconds: float) -> list[Delivery]:
        """Up to `count` events, waiting up to `wait_seconds` when there are none."""

    async def ack(self, delivery: Delivery) -> None:
        """The event was handled: do not deliver it again."""


def _parse(raw: str | bytes | None) -> ReportEvent | None:
    try:
        return ReportEvent.from_payload(json.loads(raw or "{}"))
    except (ValueError, MalformedEventError, TypeError) as exc:
        logger.error("dropping an unreadable event: %s", exc)
        return None


class RedisStreamSource:
    """A consumer in the `notifier` group of the `lapor:events` stream."""

    def __init__(
        self,
        client: aioredis.Redis[str],
        consumer: str,
        claim_idle_seconds: float = 30.0,
        stream: str | None = None,
    ) -> None:
        self._redis = client
        self._stream = stream or STREAM
        self._consumer = consumer
        self._claim_idle_ms = int(claim_idle_seconds * 1000)
        self._group_ready = False

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _deliveries(self, entries: list[tuple[str, dict[str, str]]]) -> list[Delivery]:
        found = []
        for entry_id, fields in entries:
            event = _parse(fields.get("event"))
            if event is None:  # never retry what cannot be read
                await self._redis.xack(self._stream, GROUP, entry_id)  # type: ignore[no-untyped-call]
                continue
            found.append(Delivery(event, entry_id))
        return found

    async def next_batch(self, count: int, wait_seconds: float) -> list[Delivery]:
        """First entries abandoned by a crashed consumer, then new ones."""
        await self._ensure_group()
        claimed = await self._redis.xautoclaim(
            self._stream, GROUP, self._consumer, self._claim_idle_ms, "0-0", count=count
        )
        stale = claimed[1] if claimed else []
        if stale:
            logger.info("reclaimed %d events left by a stopped notifier", len(stale))
            return await self._deliveries(stale)
        # BLOCK 0 would wait forever: a zero wait reads without blocking.
        block = int(wait_seconds * 1000) or None
        response = await self._redis.xreadgroup(
            GROUP, self._consumer, {self._stream: ">"}, count=count, block=block
        )
        entries = [entry for _, stream_entries in response or [] for entry in stream_entries]
        return await self._deliveries(entries)

    async def ack(self, delivery: Delivery) -> None:
        """`XACK` the entry."""
        await self._redis.xack(self._stream, GROUP, delivery.receipt)  # type: ignore[no-untyped-call]


def _entry_ms(entry_id: str | bytes) -> int:
    """The milliseconds timestamp of a stream entry ID (`1700000000000-0`)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


async def stream_backlog(
    client: aioredis.Redis[str], stream: str | None, now_ms: int
) -> tuple[int, float]:
    """Events of the notifiers' group not yet acknowledged, and the oldest one's age (s).

    Three cheap calls (XINFO GROUPS, XPENDING summary, XRANGE of one entry), for the
    gateway's `/metrics`. Before the group exists: every entry of the stream waits.
    """
    name = stream or STREAM
    exists = await client.exists(name)
    groups = await client.xinfo_groups(name) if exists else []  # type: ignore[no-untyped-call]
    group = next((g for g in groups if g.get("name") == GROUP), None)
    if group is None:
        length = int(await client.xlen(name))
        first = await client.xrange(name, count=1) if length else []
        age = (now_ms - _entry_ms(first[0][0])) / 1000 if first else 0.0
        return length, max(age, 0.0)
    pending = int(group.get("pending") or 0)
    unread = int(group.get("lag") or 0)
    oldest: list[int] = []
    if pending:
        summary = await client.xpending(name, GROUP)  # type: ignore[no-untyped-call]
        if summary.get("min"):
            oldest.append(_entry_ms(summary["min"]))
    if unread:
        after = await client.xrange(name, min=f"({group['last-delivered-id']}", count=1)
        if after:
            oldest.append(_entry_ms(after[0][0]))
    age = (now_ms - min(oldest)) / 1000 if oldest else 0.0
    return pending + unread, max(age, 0.0)


def failure_reason(error: BaseException) -> str:
    """Why a call to the backend failed, never empty: status and message, or the error.

    httpx's timeouts and connection errors often carry no message of their own.
    """
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        request = error.request
        detail = ""
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("message"):
                detail = f": {body['message']}"
        except ValueError:
            detail = f": {response.text[:200]}" if response.text else ""
        retry = response.headers.get("Retry-After")
        hint = f" (Retry-After {retry} s)" if retry else ""
        return f"HTTP {response.status_code} from {request.method} {request.url.path}{detail}{hint}"
    name = type(error).__name__
    message = str(error).strip()
    where = ""
    if isinstance(error, httpx.RequestError):
        try:
            where = f" on {error.request.method} {error.request.url.path}"
        except RuntimeError:  # no request attached
            where = ""
    return f"{name}{where}: {message}" if message else f"{name}{where} (no detail given)"


class BackendOutboxSource:
    """The embedded default: the backend's unpublished outbox events over its API."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: str,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._pause = pause

    async def next_batch(self, count: int, wait_seconds: float) -> list[Delivery]:
        """The oldest unpublished events; polls again after `wait_seconds` when none."""
        try:
            response = await self._http.get(
                f"{self._base}/api/v1/events/pending",
                params={"limit": count},
                headers=self._headers,
            )
            response.raise_for_status()
            items = response.json()["events"]
            if not isinstance(items, list):
                raise TypeError("events is not a list")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            logger.warning("backend events unavailable: %s", failure_reason(exc))
            items = []
        deliveries = []
        for item in items:
            event = _parse(json.dumps(item))
            if event is not None:
                deliveries.append(Delivery(event, event.event_id))
            elif isinstance(item, dict) and item.get("event_id"):  # never retry the unreadable
                await self._ack_id(str(item["event_id"]))
        if not deliveries:
            await self._pause(wait_seconds)
        return deliveries

    async def ack(self, delivery: Delivery) -> None:
        """Mark the outbox event published."""
        await self._ack_id(delivery.receipt)

    async def _ack_id(self, event_id: str) -> None:
        response = await self._http.post(
            f"{self._base}/api/v1/events/{event_id}/ack", headers=self._headers
        )
        response.raise_for_status()
