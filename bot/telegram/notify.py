"""Status updates on Telegram: the channel's `NotificationSender`."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

from bot.delivery import DeliveryResult, Notification
from bot.privacy import mask
from bot.reachability import ReachabilityRegistry
from bot.telegram.keyboards import ButtonCodec
from bot.telegram.ratelimiter import NOTIFICATION, TelegramRateLimiter
from bot.text import split_message

logger = logging.getLogger(__name__)


class TelegramNotificationSender:
    """Sends notifications in the room conversation replies leave in the bot's window."""

    channel = "telegram"

    def __init__(
        self,
        bot: Bot,
        buttons: ButtonCodec,
        limiter: TelegramRateLimiter,
        reachability: ReachabilityRegistry,
    ) -> None:
        self._bot = bot
        self._buttons = buttons
        self._limiter = limiter
        self._reachability = reachability

    async def pace(self) -> None:
        """Wait for room in the bot's window and take it for the notification sent next."""
        await self._limiter.reserve_notification_room()

    async def release(self) -> None:
        """Give back the room `pace()` took: the notification is not sent after all."""
        await self._limiter.release_notification_room()

    async def deliver(self, notification: Notification) -> DeliveryResult:
        """Send the notification (split if long, buttons under the last part)."""
        chat_id = int(notification.chat_id)
        buttons = notification.buttons
        markup = await self._buttons.keyboard(buttons) if buttons else None
        chunks = split_message(notification.text, MessageLimit.MAX_TEXT_LENGTH)
        sent: Message | None = None
        try:
            for i, chunk in enumerate(chunks):
                if i:  # the first part had its room from pace()
                    await self.pace()
                last = i == len(chunks) - 1
                sent = await self._send(chat_id, chunk, markup if last else None)
        except Forbidden as exc:
            reason = f"blocked the bot: {exc.message}"
            await self._reachability.mark_unreachable(f"telegram:{chat_id}", reason)
            return DeliveryResult(accepted=False, failure=reason, permanent=True)
        except BadRequest as exc:  # "chat not found" and the like: retrying cannot help
            logger.error("notification to %s refused: %s", mask(chat_id), exc.message)
            return DeliveryResult(accepted=False, failure=exc.message, permanent=True)
        except TelegramError as exc:  # out of retries on 429 or network errors
            return DeliveryResult(accepted=False, failure=str(exc) or type(exc).__name__)
        return DeliveryResult(accepted=True, message_id=str(sent.message_id) if sent else None)

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> Message:
        """`sendMessage`, marked as a notification for the gateway's rate limiter."""
        if isinstance(self._bot, ExtBot):
            return await self._bot.send_message(
                chat_id, text, reply_markup=markup, rate_limit_args=NOTIFICATION
            )
        return await self._bot.send_message(chat_id, text, reply_markup=markup)
