"""The gateway's parts, built from settings and started and stopped together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from bot.attachments import AttachmentUploader, backend_http_client
from bot.rasa import RasaClient, rasa_http_client
from bot.ratelimit import MemorySlotStore, RateLimiter, RedisSlotStore, SlotStore
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay
from bot.replies import ReplyCatalogue
from bot.settings import GatewaySettings, TelegramMode
from bot.shared_state import MemoryState, RedisState, SharedState
from bot.telegram.channel import TelegramChannel

logger = logging.getLogger(__name__)


@dataclass
class Gateway:
    """Shared state, HTTP clients, the relay and the enabled channels."""

    settings: GatewaySettings
    state: SharedState
    limiter: RateLimiter
    reachability: ReachabilityRegistry
    relay: ConversationRelay
    uploader: AttachmentUploader
    http_clients: tuple[httpx.AsyncClient, ...]
    telegram: TelegramChannel | None = None

    @classmethod
    def build(cls, settings: GatewaySettings) -> Gateway:
        """Everything the settings ask for; Redis when `REDIS_URL` is set."""
        state: SharedState
        slots: SlotStore
        if settings.redis_url:
            redis_state = RedisState.from_url(settings.redis_url)
            state, slots = redis_state, RedisSlotStore(redis_state.client)
        else:
            state, slots = MemoryState(), MemorySlotStore()
        limiter = RateLimiter(slots)
        reachability = ReachabilityRegistry(state)
        rasa_http = rasa_http_client(settings.rasa_timeout_seconds)
        backend_http = backend_http_client()
        relay = ConversationRelay(
            RasaClient(rasa_http, settings.effective_rasa_url),
            ReplyCatalogue.from_domain(),
            state,
            reachability,
            settings.apology_interval_seconds,
        )
        uploader = AttachmentUploader(
            backend_http, settings.effective_backend_url, settings.backend_api_token
        )
        gateway = cls(
            settings, state, limiter, reachability, relay, uploader, (rasa_http, backend_http)
        )
        if settings.telegram_mode is not TelegramMode.OFF:
            gateway.telegram = TelegramChannel.build(
                settings, relay, state, limiter, reachability, uploader
            )
        return gateway

    async def start(self) -> None:
        """Start the enabled channels."""
        if self.telegram is None:
            logger.warning(
                "Telegram is off: set TELEGRAM_BOT_TOKEN (polling) and TELEGRAM_WEBHOOK_URL "
                "(webhook) to connect it"
            )
        else:
            await self.telegram.start()

    async def stop(self) -> None:
        """Stop the channels and close connections."""
        if self.telegram is not None:
            await self.telegram.stop()
        for client in self.http_clients:
            await client.aclose()
        await self.state.close()
