"""The gateway's parts, built from settings and started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import httpx
from redis.exceptions import RedisError

from bot.attachments import AttachmentUploader, backend_http_client
from bot.delivery import NotificationSender
from bot.metrics import GatewayMetrics
from bot.notifier.backend import DeliveryReporter
from bot.notifier.conversation_log import ConversationLog
from bot.notifier.process import NotifierProcess
from bot.notifier.service import Notifier
from bot.notifier.sources import (
    BackendOutboxSource,
    EventSource,
    RedisStreamSource,
    stream_backlog,
)
from bot.notifier.store import DeliveryStore
from bot.rasa import RasaClient, rasa_http_client
from bot.ratelimit import MemorySlotStore, RateLimiter, RedisSlotStore, SlotStore
from bot.reachability import ReachabilityRegistry
from bot.replies import ReplyCatalogue
from bot.sendwindow import MemorySendLog, RedisSendLog, SendLog, SendWindow
from bot.settings import GatewaySettings, TelegramMode, as_environment
from bot.shared_state import MemoryState, RedisState, SharedState
from bot.takeover import TakeoverBackend, TakeoverRelay, load_active
from bot.telegram.channel import TelegramChannel
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.envelope import StatusUpdate
from bot.whatsapp.settings import WhatsAppSettings
from lapor_common.metrics import MULTIPROCESS_ENV

logger = logging.getLogger(__name__)


@dataclass
class Gateway:
    """Shared state, HTTP clients, the relay and the enabled channels."""

    settings: GatewaySettings
    whatsapp_settings: WhatsAppSettings
    state: SharedState
    limiter: RateLimiter
    reachability: ReachabilityRegistry
    relay: TakeoverRelay
    uploader: AttachmentUploader
    http_clients: tuple[httpx.AsyncClient, ...]
    telegram: TelegramChannel | None = None
    whatsapp: WhatsAppChannel | None = None
    notifier: Notifier | None = None
    delivery_store: DeliveryStore | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _notifier_task: asyncio.Task[None] | None = None
    notifier_process: NotifierProcess | None = None
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)

    @classmethod
    def build(
        cls,
        settings: GatewaySettings,
        whatsapp_settings: WhatsAppSettings | None = None,
        metrics: GatewayMetrics | None = None,
    ) -> Gateway:
        """Everything the settings ask for; Redis when `REDIS_URL` is set."""
        metrics = metrics or GatewayMetrics()
        state: SharedState
        slots: SlotStore
        sends: SendLog
        if settings.redis_url:
            redis_state = RedisState.from_url(settings.redis_url)
            state = redis_state
            slots, sends = RedisSlotStore(redis_state.client), RedisSendLog(redis_state.client)
        else:
            state, slots, sends = MemoryState(), MemorySlotStore(), MemorySendLog()
        limiter = RateLimiter(slots)
        reachability = ReachabilityRegistry(state)
        rasa_http = rasa_http_client(settings.rasa_timeout_seconds)
        backend_http = backend_http_client()
        relay = TakeoverRelay(
            RasaClient(rasa_http, settings.effective_rasa_url),
            ReplyCatalogue.from_domain(),
            state,
            reachability,
            settings.apology_interval_seconds,
            metrics,
            backend=TakeoverBackend(
                backend_http, settings.effective_backend_url, settings.backend_api_token
            ),
        )
        uploader = AttachmentUploader(
            backend_http, settings.effective_backend_url, settings.backend_api_token
        )
        whatsapp_settings = whatsapp_settings or WhatsAppSettings()
        gateway = cls(
            settings,
            whatsapp_settings,
            state,
            limiter,
            reachability,
            relay,
            uploader,
            (rasa_http, backend_http),
            metrics=metrics,
        )
        if settings.telegram_mode is not TelegramMode.OFF:
            gateway.telegram = TelegramChannel.build(
                settings,
                relay,
                state,
                limiter,
                SendWindow(sends),
                reachability,
                uploader,
                metrics=metrics,
            )
        if whatsapp_settings.enabled:
            gateway.whatsapp = WhatsAppChannel.build(
                whatsapp_settings,
                relay,
                state,
                limiter,
                reachability,
                uploader,
                status_listener=gateway._whatsapp_status,
                metrics=metrics,
            )
        if settings.notifier_enabled:
            gateway._build_notifier(rasa_http, backend_http)
        return gateway

    async def _whatsapp_status(self, update: StatusUpdate) -> None:
        """WhatsApp's receipts (delivered, read, failed) for status updates, to the backend."""
        if self.notifier is not None:
            reason = "; ".join(f"{e.code}: {e.title}" for e in update.errors) or None
            await self.notifier.record_receipt(update.message_id, update.status, reason)

    def _build_notifier(
        self, rasa_http: httpx.AsyncClient, backend_http: httpx.AsyncClient
    ) -> None:
        """The notifier: Redis Streams with `REDIS_URL`, else the backend's outbox."""
        settings = self.settings
        source: EventSource
        if isinstance(self.state, RedisState):
            source = RedisStreamSource(
                self.state.client,
                settings.instance_name,
                settings.notifier_claim_idle_seconds,
                settings.events_stream,
            )
        else:
            source = BackendOutboxSource(
                backend_http, settings.effective_backend_url, settings.backend_api_token
            )
        senders: dict[str, NotificationSender] = {}
        if self.telegram is not None:
            senders["telegram"] = self.telegram.notification_sender()
        if self.whatsapp is not None:
            senders["whatsapp"] = self.whatsapp
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.delivery_store = DeliveryStore.from_url(settings.effective_database_url)
        self.notifier = Notifier(
            source,
            senders,
            self.delivery_store,
            ConversationLog(rasa_http, settings.effective_rasa_url, settings.rasa_api_token),
            DeliveryReporter(
                backend_http, settings.effective_backend_url, settings.backend_api_token
            ),
            self.relay.replies,
            settings.notifier_concurrency,
            settings.notifier_interrupted_seconds,
            self.metrics,
            takeovers=self.relay.marks,
        )

    async def refresh_metrics(self) -> None:
        """Before a scrape: the notifiers' backlog in the Redis stream (nothing without Redis)."""
        if not isinstance(self.state, RedisState):
            return
        try:
            depth, lag = await stream_backlog(
                self.state.client, self.settings.events_stream, int(time.time() * 1000)
            )
        except RedisError as exc:
            logger.warning("notifier backlog not read for the metrics: %s", exc)
            return
        self.metrics.queue_depth.set(depth)
        self.metrics.lag_seconds.set(lag)

    async def start(self, *, serve: bool = True) -> None:
        """Start the enabled channels, and the notifier (here or in its own process).

        Args:
            serve: Take updates from the platforms (webhook or polling). False for the
                notifier's own process, which only sends.
        """
        if serve:  # a restart keeps routing held chats to the person
            held = await load_active(self.relay.takeovers, self.relay.marks)
            if held:
                logger.info("%s conversations held by a person", held)
        if self.telegram is None:
            logger.warning(
                "Telegram is off: set TELEGRAM_BOT_TOKEN (polling) and TELEGRAM_WEBHOOK_URL "
                "(webhook) to connect it"
            )
        else:
            await self.telegram.start(serve=serve)
        if self.whatsapp is None:
            logger.info(
                "WhatsApp is off: set WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID and "
                "WHATSAPP_APP_SECRET to connect it"
            )
        else:
            await self.whatsapp.start()
        if self.notifier is None:
            return
        if serve and self.settings.notifier_runs_apart:
            environment = {  # where both name a variable (DATA_DIR), the gateway's counts
                **as_environment(self.whatsapp_settings),
                **as_environment(self.settings),
                # The child's counts, in files this process adds to its /metrics.
                MULTIPROCESS_ENV: str(self.metrics.count_children()),
            }
            self.notifier_process = NotifierProcess(environment)
            await self.notifier_process.start()
        else:
            self._notifier_task = asyncio.create_task(self.notifier.run(self._stopping))

    async def stop(self) -> None:
        """Stop the notifier and the channels, then close connections."""
        self._stopping.set()
        if self.notifier_process is not None:
            await self.notifier_process.stop()
        if self._notifier_task is not None:
            try:
                await asyncio.wait_for(self._notifier_task, timeout=10)
            except asyncio.TimeoutError:
                self._notifier_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._notifier_task
        if self.telegram is not None:
            await self.telegram.stop()
        if self.whatsapp is not None:
            await self.whatsapp.stop()
        for client in self.http_clients:
            await client.aclose()
        await self.state.close()
        if self.delivery_store is not None:
            self.delivery_store.close()
        self.metrics.forget_children()
