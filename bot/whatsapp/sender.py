"""Sending through the Graph API within the shared rate, retrying what may be retried.

Every message waits for a slot under the business number's throughput (the shared
`RateLimiter` key `whatsapp:all`, so all gateway processes together stay under it).
Throughput errors (130429, 131056) hold every sender back and are retried with
exponential backoff plus jitter (tenacity: base, 2 x base, 4 x base, ... up to a
cap), as are network errors and Meta's temporary errors; anything else goes straight
back to the caller. Each accepted message is
recorded in the store, so its delivery statuses can be matched to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from bot.metrics import GatewayMetrics
from bot.privacy import mask
from bot.ratelimit import Rate, RateLimiter
from bot.whatsapp.errors import GraphAPIError, InvalidTokenError, RateLimitError
from bot.whatsapp.graph import GraphClient
from bot.whatsapp.messages import Message
from bot.whatsapp.store import WhatsAppStore

logger = logging.getLogger(__name__)

#: The rate-limit key every gateway process shares for the business number.
RATE_KEY = "whatsapp:all"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a send."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 30.0


def _retryable(error: BaseException) -> bool:
    return isinstance(error, GraphAPIError) and error.retryable


class TokenAlarm:
    """Raises the alarm when Meta rejects the access token, once per outage.

    The first rejection is logged as critical (operators alert on it); repeats stay
    quiet until a request succeeds again.
    """

    def __init__(self) -> None:
        self.rejected = False

    def raise_alarm(self, error: InvalidTokenError) -> None:
        """Record a rejection (code 190) and alert on the first one."""
        if not self.rejected:
            logger.critical(
                "WhatsApp access token rejected (Graph API code %s, subcode %s): nothing "
                "can be sent until WHATSAPP_ACCESS_TOKEN is replaced",
                error.code,
                error.error.subcode,
            )
        self.rejected = True

    def clear(self) -> None:
        """A request went through: the token works (again)."""
        if self.rejected:
            logger.warning("WhatsApp access token accepted again")
        self.rejected = False


class GraphSender:
    """Sends messages under the shared rate limit, with retries, and records them."""

    def __init__(
        self,
        graph: GraphClient,
        limiter: RateLimiter,
        rate: Rate,
        store: WhatsAppStore,
        policy: RetryPolicy,
        alarm: TokenAlarm,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._metrics = metrics or GatewayMetrics()
        self._graph = graph
        self._limiter = limiter
        self._rate = rate
        self._store = store
        self._policy = policy
        self._sleep = sleep
        self.alarm = alarm

    def _retrying(self, to: str) -> AsyncRetrying:
        return AsyncRetrying(
            retry=retry_if_exception(_retryable),
            wait=wait_exponential_jitter(
                initial=self._policy.base_seconds,
                max=self._policy.max_seconds,
                jitter=self._policy.base_seconds,
            ),
            stop=stop_after_attempt(max(1, self._policy.max_attempts)),
            before_sleep=self._before_retry(to),
            reraise=True,
            sleep=self._sleep,
        )

    def _before_retry(self, to: str) -> Callable[[RetryCallState], Awaitable[None]]:
        async def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            if isinstance(error, RateLimitError):
                logger.warning(
                    "WhatsApp rate limit (code %s) sending to %s: backing off %.2f s",
                    error.code,
                    mask(to),
                    wait,
                )
                await self._limiter.hold_back(RATE_KEY, self._rate, wait)
            else:
                logger.warning("WhatsApp send to %s failed (%s), retrying", mask(to), error)

        return before_sleep

    async def _turn(self) -> None:
        await self._limiter.wait_turn([(RATE_KEY, self._rate)])

    async def send(
        self,
        to: str,
        message: Message,
        kind: str,
        template_params: Sequence[str] | None = None,
    ) -> str:
        """Send one message; returns its `wamid` once WhatsApp accepted it.

        Args:
            to: The citizen's WhatsApp ID.
            message: The typed message (`bot.whatsapp.messages`).
            kind: What it is, for the record ("reply", "notification", "template", ...).
            template_params: For a status update sent as free text: the parameters of
                the template to send instead if WhatsApp refuses it (window closed).

        Raises:
            GraphAPIError: the typed error, after retries where they make sense.
        """
        try:
            async for attempt in self._retrying(to):
                with attempt:
                    await self._turn()
                    wamid = await self._counted(self._graph.send(to, message))
        except InvalidTokenError as exc:
            self.alarm.raise_alarm(exc)
            raise
        self.alarm.clear()
        try:
            await self._store.record_sent(wamid, to, kind, template_params)
        except SQLAlchemyError as exc:  # the message is out; only its receipts go unmatched
            logger.error("could not record sent message to %s: %s", mask(to), exc)
        return wamid

    async def _counted(self, sending: Awaitable[str]) -> str:
        """One send attempt, counted by outcome (sent, 429, failed)."""
        try:
            wamid = await sending
        except RateLimitError:
            self._metrics.sent("whatsapp", "429")
            raise
        except Exception:
            self._metrics.sent("whatsapp", "failed")
            raise
        self._metrics.sent("whatsapp", "sent")
        return wamid

    async def mark_read(self, message_id: str, typing: bool) -> None:
        """Mark a received message read (with "typing..."); failures are only logged."""
        try:
            await self._turn()
            await self._graph.mark_read(message_id, typing)
        except InvalidTokenError as exc:
            self.alarm.raise_alarm(exc)
        except GraphAPIError as exc:
            logger.info("read receipt not sent (code %s): %s", exc.code, exc)
