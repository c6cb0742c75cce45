"""Telegram's sending limits, 429 "retry after" and network retries for every Bot API call.

Plugged into python-telegram-bot as its rate limiter, so every request the bot makes
passes through here: messages wait for a slot under the overall limit (about 30/s)
and the chat's limit (about 1/s with short bursts); a 429 holds back only the chat it
was for, for exactly its `retry_after`; network errors are retried with exponential
backoff and jitter (tenacity). A 403 (the citizen blocked the bot) and other errors
go back to the caller. Conversation replies may use the overall limit's burst;
notifications (`rate_limit_args=NOTIFICATION`) never run ahead of its schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
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

from bot.privacy import mask
from bot.ratelimit import Rate, RateLimiter

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

_backoff = wait_random_exponential(multiplier=0.5, max=8)


@dataclass(frozen=True)
class TelegramLimits:
    """The limits to keep under."""

    overall: Rate = field(default_factory=lambda: Rate(per_second=30.0, burst=30))
    per_chat: Rate = field(default_factory=lambda: Rate(per_second=1.0, burst=3))
    max_attempts: int = 5
    #: The notifications' share of the overall rate, kept where they are sent.
    notifications: Rate = field(default_factory=lambda: Rate(per_second=27.0, burst=1))

    @property
    def overall_for_notifications(self) -> Rate:
        """The overall limit without its burst: notifications never run ahead of schedule.

        Both share one schedule; the burst is left to conversation replies, so that a
        reply goes out at once even right after a notification took the last slot.
        """
        return Rate(self.overall.per_second, burst=1)


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
    """python-telegram-bot's hook for limits and retries, backed by the shared slot store."""

    def __init__(
        self,
        limiter: RateLimiter,
        limits: TelegramLimits,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limiter = limiter
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
        """Wait for a slot, call, and retry on 429 and network errors."""
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
                if throttled:
                    await self._wait_turn(chat_id, notification=rate_limit_args == NOTIFICATION)
                return await callback(*args, **kwargs)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _wait_turn(self, chat_id: object, notification: bool) -> None:
        """Wait for a slot under the chat's limit and the overall one."""
        chat = (f"telegram:chat:{chat_id}", self._limits.per_chat)
        if not notification:
            await self._limiter.wait_turn(
                [("telegram:all", self._limits.overall), chat],
                retake_first=True,  # after waiting out the chat, a fresh overall slot
            )
            return
        # A notification waits out its chat, then a slot of the notifications' share,
        # then an overall slot, one notification at a time: notifications delayed on
        # their way (a slow database, a held-back chat) catch up within their share, not
        # at the full rate that conversations need room in; they never queue up on the
        # overall schedule (a backlog there slows the notifier down); and a stall of the
        # process cannot let several reserved slots pass and then send them at once.
        await self._limiter.wait_turn([chat])
        async with self._notification_turns:
            await self._limiter.wait_turn([("telegram:notify:send", self._limits.notifications)])
            await self._limiter.wait_turn(
                [("telegram:all", self._limits.overall_for_notifications)], retake_first=True
            )

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
