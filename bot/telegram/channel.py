"""The Telegram channel: a python-telegram-bot `Application` run inside the gateway."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.attachments import AttachmentUploader
from bot.metrics import GatewayMetrics
from bot.ratelimit import Rate, RateLimiter
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay
from bot.sendwindow import SendWindow
from bot.settings import GatewaySettings, TelegramMode
from bot.shared_state import SharedState
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.keyboards import ButtonCodec
from bot.telegram.notify import TelegramNotificationSender
from bot.telegram.outbox import TelegramOutbox
from bot.telegram.processor import ChatOrderedProcessor
from bot.telegram.ratelimiter import TelegramLimits, TelegramRateLimiter

logger = logging.getLogger(__name__)

#: The updates the gateway asks Telegram for.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]


class TelegramConfigError(ValueError):
    """The Telegram settings cannot work."""


def check_webhook_settings(settings: GatewaySettings) -> None:
    """Webhook mode needs an https URL and a secret Telegram accepts."""
    if not _SECRET_FORMAT.match(settings.telegram_webhook_secret):
        raise TelegramConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be set for webhook mode: 1-256 characters "
            "of A-Z, a-z, 0-9, _ and -."
        )


def secret_matches(received: str, expected: str) -> bool:
    """Compare the webhook secret header in constant time."""
    return hmac.compare_digest(received.encode(), expected.encode())


class TelegramChannel:
    """Owns the `Application`: webhook or polling, handlers, limits and deduplication."""

    def __init__(
        self,
        application: TelegramApplication,
        settings: GatewaySettings,
        buttons: ButtonCodec,
        reachability: ReachabilityRegistry,
        rate_limiter: TelegramRateLimiter,
    ) -> None:
        self.application = application
        self._settings = settings
        self._buttons = buttons
        self._reachability = reachability
        self._rate_limiter = rate_limiter

    @classmethod
    def build(
        cls,
        settings: GatewaySettings,
        relay: ConversationRelay,
        state: SharedState,
        limiter: RateLimiter,
        window: SendWindow,
        reachability: ReachabilityRegistry,
        uploader: AttachmentUploader,
        *,
        metrics: GatewayMetrics | None = None,
    ) -> TelegramChannel:
        """Assemble the application for the configured mode (webhook or polling)."""
        mode = settings.telegram_mode
        if mode is TelegramMode.WEBHOOK:
            check_webhook_settings(settings)
        base = settings.telegram_api_base_url.rstrip("/")
        limits = TelegramLimits(
            per_window=settings.telegram_messages_per_second,
            reply_headroom=settings.telegram_reply_headroom,
            per_chat=Rate(settings.telegram_chat_messages_per_second, settings.telegram_chat_burst),
            max_attempts=settings.telegram_max_retries + 1,
        )
        rate_limiter = TelegramRateLimiter(limiter, window, limits, metrics=metrics)
        namespace = settings.telegram_bot_token.split(":", 1)[0]
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .request(
                HTTPXRequest(
                    connection_pool_size=64,
                    connect_timeout=5.0,
                    read_timeout=settings.telegram_timeout_seconds,
                    write_timeout=30.0,
                    pool_timeout=5.0,
                )
            )
            .rate_limiter(rate_limiter)
            .concurrent_updates(
                ChatOrderedProcessor(
                    settings.max_concurrent_updates,
                    state,
                    namespace,
                    settings.dedup_ttl_seconds,
                )
            )
        )
        if mode is TelegramMode.WEBHOOK:
            builder = builder.updater(None)
        else:
            builder = builder.get_updates_request(HTTPXRequest(read_timeout=40.0))
        application = builder.build()
        buttons = ButtonCodec(state)
        outbox = TelegramOutbox(application.bot, buttons, reachability)
        handlers = TelegramHandlers(
            relay, outbox, uploader, buttons, state, settings.telegram_max_file_bytes
        )
        handlers.register(application)
        application.add_error_handler(_log_error)
        return cls(application, settings, buttons, reachability, rate_limiter)

    def notification_sender(self) -> TelegramNotificationSender:
        """The channel's sender of status updates, in the room replies leave."""
        return TelegramNotificationSender(
            self.application.bot, self._buttons, self._rate_limiter, self._reachability
        )

    @property
    def webhook_secret(self) -> str:
        """The secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`."""
        return self._settings.telegram_webhook_secret

    @property
    def mode(self) -> TelegramMode:
        """Webhook or polling."""
        return self._settings.telegram_mode

    async def start(self, *, serve: bool = True) -> None:
        """Connect (getMe), start processing, then register the webhook or start polling.

        With `serve=False` only connect: the notifier's own process sends and takes no
        updates.
        """
        await self.application.initialize()
        if not serve:
            return
        await self.application.start()
        if self.mode is TelegramMode.WEBHOOK:
            await self.application.bot.set_webhook(
                url=self._settings.telegram_webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            logger.info("Telegram webhook registered")
        else:
            updater = self.application.updater
            if updater is None:
                raise TelegramConfigError("polling needs the application's updater")
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=20)
            logger.info("Telegram long polling started")

    async def stop(self) -> None:
        """Stop polling and processing; finish the updates in hand."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def accept(self, data: dict[str, Any]) -> None:
        """Queue one webhook update; the handlers run in the background."""
        update = Update.de_json(data, self.application.bot)
        await self.application.update_queue.put(update)


async def _log_error(update: object, context: Any) -> None:
    logger.error("error while handling a Telegram update", exc_info=context.error)
