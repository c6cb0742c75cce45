"""Background processing: each message once, each citizen in order, citizens in parallel.

The webhook answers Meta at once; the work runs in tasks. Meta may deliver a message
more than once (a slow answer, a retry): the first gateway process to claim its
`wamid` in the shared state handles it and every other delivery is dropped. A
citizen's messages run one after another in the order they arrived (several in one
delivery keep their order); different citizens run in parallel up to a limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from redis.exceptions import RedisError

from bot.privacy import mask
from bot.shared_state import SharedState
from bot.whatsapp.envelope import WhatsAppMessage

logger = logging.getLogger(__name__)

Handler = Callable[[WhatsAppMessage], Awaitable[None]]


class _KeyLock:
    """A lock with a count of the tasks holding or waiting for it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class SenderOrderedProcessor:
    """Runs work in the background: deduplicated, and in order per citizen or message.

    Messages queue per citizen; statuses queue per outgoing message (so its history is
    recorded in the order Meta sent it) without waiting behind the citizen's turns.
    """

    def __init__(
        self, handler: Handler, state: SharedState, dedup_ttl_seconds: float, max_concurrent: int
    ) -> None:
        self._handler = handler
        self._state = state
        self._ttl = dedup_ttl_seconds
        self._slots = asyncio.Semaphore(max_concurrent)
        self._locks: dict[str, _KeyLock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _run_in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def submit(self, message: WhatsAppMessage) -> None:
        """Queue a message behind the citizen's earlier ones."""
        self._run_in_background(
            self._in_order(f"citizen:{message.wa_id}", lambda: self._process(message))
        )

    def submit_status(self, message_id: str, work: Callable[[], Awaitable[None]]) -> None:
        """Queue work on an outgoing message's status behind earlier work on it."""
        self._run_in_background(self._in_order(f"status:{message_id}", work))

    async def _in_order(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        entry = self._locks.setdefault(key, _KeyLock())
        entry.users += 1
        try:
            async with entry.lock:
                await work()
        except Exception:
            logger.exception("background work failed")
        finally:
            entry.users -= 1
            if entry.users == 0:
                self._locks.pop(key, None)

    async def _first_delivery(self, message: WhatsAppMessage) -> bool:
        try:
            return await self._state.claim(f"whatsapp:message:{message.message_id}", self._ttl)
        except RedisError as exc:  # better a possible duplicate than a lost message
            logger.warning("deduplication unavailable, handling message anyway: %s", exc)
            return True

    async def _process(self, message: WhatsAppMessage) -> None:
        # Queued first, then checked for redelivery: a slow claim never reorders a citizen.
        if not await self._first_delivery(message):
            logger.info("dropped redelivered message from %s", mask(message.wa_id))
            return
        async with self._slots:
            await self._handler(message)

    async def drain(self, timeout: float) -> bool:
        """Wait until all queued work is done; False when time ran out first."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def stop(self, timeout: float) -> None:
        """Finish the work in hand (up to `timeout`), then cancel the rest."""
        if not await self.drain(timeout):
            for task in list(self._tasks):
                task.cancel()
            await asyncio.wait(set(self._tasks), timeout=1.0)
