"""Telegram's sending limits, 429 "retry after" and network retries for every Bot API call.

Plugged into python-telegram-bot as its rate limiter, so every request the bot makes
passes through here. A message waits for its chat's limit (about 1/s with short
bursts, GCRA in `bot.ratelimit`), then for room in the bot's sliding window (about
30 in any second, `bot.sendwindow`): a conversation reply takes room while fewer than
30 sends are in the window, a notification only while fewer than 30 minus the
headroom, so a reply always finds room at once, and notifications use whatever
replies leave. A 429 holds back only the chat it was for, for exactly its
`retry_after`; network errors are retried with exponential backoff and jitter
(tenacity). A 403 (the citizen blocked the bot) and other errors go back to the caller.

The notifier takes the room for a notification before it records that it is sending
(`reserve_notification_room`), so that a crash between the two leaves at most one
update in doubt; the room travels to the send in the task's context.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from bot.metrics import GatewayMetrics
from bot.privacy import mask
from bot.ratelimit import Rate, RateLimiter
from bot.sendwindow import SendTicket, SendWindow

logger = logging.getLogger(__name__)

#: Bot API methods that put a message in a chat (and count against its limits).
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVoice",
        "sendVideo",
        "sendLocation",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)

#: The `rate_limit_args` of a notification (a status update, not a conversation reply).
NOTIFICATION = "notification"

#: Cosmetic or time-critical calls that are not worth a retry.
NOT_RETRIED = frozenset({"sendChatAction", "answerCallbackQuery"})

#: The bot's sliding window, shared by every gateway process.
WINDOW_KEY = "telegram:all"

_backoff = wait_random_exponential(multiplier=0.5, max=8)

#: Room the notifier took for the next notification of this task (see the module docs).
_reserved_room: ContextVar[SendTicket | None] = ContextVar("telegram_reserved_room", default=None)


def _take_reserved_room() -> SendTicket | None:
    """The room this task reserved, no longer reserved afterwards (None when there is none)."""
    room = _reserved_room.get()
    if room is not None:
        _reserved_room.set(None)
    return room


@dataclass(frozen=True)
class TelegramLimits:
    """The limits to keep under.

    Attributes:
        per_window: Messages the bot may send in any window (the `SendWindow`'s, one
            second for Telegram), over all chats.
        reply_headroom: Places in the window notifications leave free for replies.
        per_chat: The limit of one chat.
        max_attempts: Tries of one call (429s and network errors).
    """

    per_window: int = 30
    reply_headroom: int = 1
    per_chat: Rate = field(default_factory=lambda: Rate(per_second=1.0, burst=3))
    max_attempts: int = 5

    @property
    def notification_ceiling(self) -> int:
        """Notifications take room only while fewer sends than this are in the window."""
        return max(self.per_window - self.reply_headroom, 1)


def retry_after_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds (an int or a timedelta, depending on the PTB version)."""
    value = error.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, RetryAfter):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def _wait_for(throttled: bool) -> Callable[[RetryCallState], float]:
    """Back off after network errors; after a 429 wait `retry_after`.

    For a message to a chat the chat's schedule does that waiting (so other senders
    to the same chat wait too); for other calls the retry sleeps it here.
    """

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryAfter):
            return 0.0 if throttled else retry_after_seconds(error)
        return float(_backoff(state))

    return wait


class TelegramRateLimiter(BaseRateLimiter[str]):
    """python-telegram-bot's hook for limits and retries, on the shared chat slots and window."""

    def __init__(
        self,
        limiter: RateLimiter,
        window: SendWindow,
        limits: TelegramLimits,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._metrics = metrics or GatewayMetrics()
        self._limiter = limiter
        self._window = window
        self._limits = limits
        self._sleep = sleep
        self._notification_turns = asyncio.Lock()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's turn and room in the window, call, retry 429s and network errors."""
        chat_id = data.get("chat_id")
        throttled = endpoint in MESSAGE_METHODS and chat_id is not None
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            wait=_wait_for(throttled),
            stop=stop_after_attempt(1 if endpoint in NOT_RETRIED else self._limits.max_attempts),
            before_sleep=self._before_retry(endpoint, chat_id if throttled else None),
            reraise=True,
            sleep=self._sleep,
        )
        async for attempt in retrying:
            with attempt:
                if not throttled:
                    return await callback(*args, **kwargs)
                notification = rate_limit_args == NOTIFICATION
                await self._limiter.wait_turn([(f"telegram:chat:{chat_id}", self._limits.per_chat)])
                room = _take_reserved_room() if notification else None
                if room is None:
                    room = await self._take_room(notification)
                try:
                    answer = await callback(*args, **kwargs)
                except RetryAfter:
                    self._metrics.sent("telegram", "429")
                    raise
                except Exception:
                    self._metrics.sent("telegram", "failed")
                    raise
                else:
                    self._metrics.sent("telegram", "sent")
                    return answer
                finally:
                    await self._window.finish(room)  # answered or failed: it may have arrived
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def reserve_notification_room(self) -> None:
        """Take room for this task's next notification now (it is sent right after).

        Room reserved before and never used is given back first. A task that will not
        send should call `release_notification_room()`; if it ends without either, the
        room counts as in flight until `SendWindow`'s in-flight time runs out.
        """
        await self.release_notification_room()
        _reserved_room.set(await self._take_room(notification=True))

    async def release_notification_room(self) -> None:
        """Give back the room this task reserved and did not use (nothing when none)."""
        stale = _take_reserved_room()
        if stale is not None:
            await self._window.cancel(stale)

    async def _take_room(self, notification: bool) -> SendTicket:
        """Room in the bot's window: replies up to the limit, notifications below it.

        Notifications of this process wait one at a time, so that they do not all poll
        the window together.
        """
        if not notification:
            return await self._window.take(WINDOW_KEY, self._limits.per_window)
        async with self._notification_turns:
            return await self._window.take(WINDOW_KEY, self._limits.notification_ceiling)

    def _before_retry(
        self, endpoint: str, chat_id: object
    ) -> Callable[[RetryCallState], Awaitable[None]]:
        async def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, RetryAfter):
                seconds = retry_after_seconds(error)
                logger.warning(
                    "Telegram 429 on %s for %s: retry after %.0f s",
                    endpoint,
                    mask(chat_id),
                    seconds,
                )
                if chat_id is not None:
                    await self._limiter.hold_back(
                        f"telegram:chat:{chat_id}", self._limits.per_chat, seconds
                    )
            else:
                logger.warning("Telegram %s failed (%s), retrying", endpoint, error)

        return before_sleep
