"""Status updates to citizens: free text inside the 24-hour window, a template outside it.

The gateway knows when each citizen last wrote (durably, in the store). Inside the
window (with a safety margin) the update goes out as free text with its buttons, and
the template parameters ride along in the record: should WhatsApp still refuse it as
outside the window (131047, at once or later in a status webhook), the approved
template is sent instead, once. Outside the window the template goes out directly.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.delivery import QUESTION_TEMPLATE, DeliveryResult, Notification
from bot.privacy import mask
from bot.rasa import BotReply
from bot.ratelimit import Rate, RateLimiter
from bot.reachability import ReachabilityRegistry
from bot.whatsapp.compose import ReplyComposer
from bot.whatsapp.errors import (
    GraphAPIError,
    GraphUnavailableError,
    InvalidTokenError,
    RateLimitError,
    ReengagementRequiredError,
    UndeliverableError,
)
from bot.whatsapp.messages import template_message
from bot.whatsapp.outbox import sender_id
from bot.whatsapp.sender import GraphSender
from bot.whatsapp.store import WhatsAppStore
from bot.whatsapp.window import Clock, utcnow, within_window

logger = logging.getLogger(__name__)


def _outside_window() -> DeliveryResult:
    return DeliveryResult(
        accepted=False,
        failure="outside WhatsApp's 24-hour window (free text only)",
        permanent=True,
    )


#: The rate-limit key of status updates (their budget within `whatsapp:all`).
NOTIFY_RATE_KEY = "whatsapp:notify"


class WhatsAppNotifier:
    """The WhatsApp `NotificationSender`."""

    channel = "whatsapp"

    def __init__(
        self,
        sender: GraphSender,
        composer: ReplyComposer,
        store: WhatsAppStore,
        reachability: ReachabilityRegistry,
        template_name: str,
        template_language: str,
        limiter: RateLimiter,
        rate: Rate,
        window_margin: dt.timedelta = dt.timedelta(minutes=5),
        clock: Clock = utcnow,
        question_template_name: str = "pertanyaan_laporan",
    ) -> None:
        self._sender = sender
        self._question_template = question_template_name
        self._composer = composer
        self._store = store
        self._reachability = reachability
        self._template_name = template_name
        self._template_language = template_language
        self._limiter = limiter
        self._rate = rate
        self._margin = window_margin
        self._now = clock

    async def pace(self) -> None:
        """Wait for the next slot of the status-update budget (key `whatsapp:notify`)."""
        await self._limiter.wait_turn([(NOTIFY_RATE_KEY, self._rate)])

    async def release(self) -> None:
        """Nothing to give back: a passed slot of the budget cannot be returned."""

    async def in_window(self, wa_id: str) -> bool:
        """Whether free-form messages may go to `wa_id` now."""
        try:
            last = await self._store.last_inbound(wa_id)
        except SQLAlchemyError as exc:  # unsure: the template is always allowed
            logger.error("last message time of %s unknown: %s", mask(wa_id), exc)
            return False
        return within_window(last, self._now(), self._margin)

    async def deliver(self, notification: Notification) -> DeliveryResult:
        """Send a status update now, as free text in the window, else as the template.

        The caller has waited for `pace()`; every further message of the update
        (a second part, the template after a refusal) waits for its own slot.
        """
        wa_id = notification.chat_id
        if await self.in_window(wa_id):
            try:
                return await self._send_free_form(notification)
            except ReengagementRequiredError:
                if notification.template == "":
                    return _outside_window()
                logger.info("window of %s closed: sending the template", mask(wa_id))
                await self.pace()
            except GraphAPIError as exc:
                return await self._failed(wa_id, exc)
        if notification.template == "":  # a person's message: no template stands in
            return _outside_window()
        name = self._question_template if notification.template == QUESTION_TEMPLATE else None
        return await self.send_template(wa_id, notification.template_params, name)

    async def _send_free_form(self, notification: Notification) -> DeliveryResult:
        reply = BotReply(text=notification.text, buttons=notification.buttons)
        messages = await self._composer.messages(reply, notification.language)
        first: str | None = None
        for n, message in enumerate(messages):
            if n:  # the first part had its slot from pace()
                await self.pace()
            # A late refusal (a status webhook) falls back on the status template: only
            # status updates carry its parameters.
            fallback = (
                notification.template_params
                if first is None and notification.template is None
                else None
            )
            try:
                wamid = await self._sender.send(
                    notification.chat_id, message, "notification", fallback
                )
            except GraphAPIError as exc:
                if first is None:
                    raise
                logger.error(
                    "part of an update to %s not delivered (code %s)",
                    mask(notification.chat_id),
                    exc.code,
                )
                break
            first = first or wamid
        if first is None:
            return DeliveryResult(accepted=False, failure="nothing to send", permanent=True)
        return DeliveryResult(accepted=True, message_id=first)

    async def send_template(
        self, wa_id: str, params: tuple[str, ...], name: str | None = None
    ) -> DeliveryResult:
        """Send an approved template (the status template unless `name`) with `params`."""
        message = template_message(name or self._template_name, self._template_language, params)
        try:
            wamid = await self._sender.send(wa_id, message, "template")
        except GraphAPIError as exc:
            return await self._failed(wa_id, exc)
        return DeliveryResult(accepted=True, message_id=wamid)

    async def _failed(self, wa_id: str, exc: GraphAPIError) -> DeliveryResult:
        if isinstance(exc, UndeliverableError):
            await self._reachability.mark_unreachable(sender_id(wa_id), str(exc))
            return DeliveryResult(
                accepted=False, failure=f"undeliverable ({exc.code})", permanent=True
            )
        if isinstance(exc, InvalidTokenError):
            failure = f"access token rejected ({exc.code})"
        elif isinstance(exc, RateLimitError):
            failure = f"rate limited ({exc.code})"
        elif isinstance(exc, GraphUnavailableError):
            failure = f"WhatsApp unavailable ({exc.code}): {exc}"
        else:
            logger.error(
                "update to %s not delivered: Graph API error %s: %s", mask(wa_id), exc.code, exc
            )
            failure = f"Graph API error {exc.code}"
        return DeliveryResult(accepted=False, failure=failure, permanent=False)
