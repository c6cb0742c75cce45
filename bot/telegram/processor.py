"""Update processing: each update once, each chat in order, different chats in parallel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from redis.exceptions import RedisError
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.shared_state import SharedState

logger = logging.getLogger(__name__)


class _ChatLock:
    """A lock with a count of the updates holding or waiting for it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Drops redelivered updates and serialises the updates of one chat.

    Telegram may deliver an update twice (a slow answer to the webhook, a restart);
    the first gateway process to claim its `update_id` in the shared state handles it,
    every other delivery is dropped. Updates of one chat run one after another in the
    order they arrived; different chats run in parallel up to `max_concurrent_updates`.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        state: SharedState,
        namespace: str,
        dedup_ttl_seconds: float,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._state = state
        self._namespace = namespace
        self._ttl = dedup_ttl_seconds
        self._locks: dict[int | None, _ChatLock] = {}

    async def _first_delivery(self, update: Update) -> bool:
        key = f"telegram:{self._namespace}:update:{update.update_id}"
        try:
            return await self._state.claim(key, self._ttl)
        except RedisError as exc:  # better a possible duplicate than a lost message
            logger.warning("deduplication unavailable, handling update anyway: %s", exc)
            return True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` (the handlers for `update`) once, in its chat's order."""
        chat_id: int | None = None
        if isinstance(update, Update) and update.effective_chat:
            chat_id = update.effective_chat.id
        chat_lock = self._locks.setdefault(chat_id, _ChatLock())
        chat_lock.users += 1
        try:
            # Queue first, then check for redelivery: a slow claim never reorders a chat.
            async with chat_lock.lock:
                if isinstance(update, Update) and not await self._first_delivery(update):
                    logger.info("dropped redelivered update %s", update.update_id)
                    if asyncio.iscoroutine(coroutine):
                        coroutine.close()
                    return
                await coroutine
        finally:
            chat_lock.users -= 1
            if chat_lock.users == 0:
                self._locks.pop(chat_id, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
