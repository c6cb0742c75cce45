"""The WhatsApp channel: webhook in (verified, parsed, queued), Graph API out."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import functools
import hmac
import json
import logging
from collections.abc import Mapping

import httpx

from bot.attachments import AttachmentUploader
from bot.delivery import DeliveryResult, Notification
from bot.metrics import GatewayMetrics
from bot.ratelimit import Rate, RateLimiter
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay
from bot.shared_state import SharedState
from bot.whatsapp.compose import ReplyComposer, choice_texts
from bot.whatsapp.envelope import Envelope, EnvelopeError, parse_envelope
from bot.whatsapp.errors import GraphAPIError, InvalidTokenError
from bot.whatsapp.graph import GraphClient, graph_http_client
from bot.whatsapp.handlers import WhatsAppHandlers
from bot.whatsapp.interactive import PayloadCodec
from bot.whatsapp.media import MediaStore
from bot.whatsapp.notifier import WhatsAppNotifier
from bot.whatsapp.outbox import WhatsAppOutbox
from bot.whatsapp.processor import SenderOrderedProcessor
from bot.whatsapp.sender import GraphSender, RetryPolicy, TokenAlarm
from bot.whatsapp.settings import WhatsAppSettings
from bot.whatsapp.signature import signature_matches
from bot.whatsapp.statuses import StatusListener, StatusRecorder
from bot.whatsapp.store import WhatsAppStore
from bot.whatsapp.window import Clock, utcnow

logger = logging.getLogger(__name__)

#: Seconds `stop()` waits for messages in hand before cancelling them.
STOP_TIMEOUT_SECONDS = 10.0


class Acceptance(enum.Enum):
    """What became of a webhook delivery, with the HTTP status to answer Meta."""

    ACCEPTED = 200
    FORBIDDEN = 403
    MALFORMED = 400

    @property
    def status_code(self) -> int:
        """The HTTP status for the answer."""
        return int(self.value)


class WhatsAppChannel:
    """Owns the WhatsApp parts: signature check, processing, sending and the store.

    It is also the channel's `NotificationSender` (`channel`, `pace`, `release`, `deliver`).
    """

    channel = "whatsapp"

    def __init__(
        self,
        settings: WhatsAppSettings,
        http: httpx.AsyncClient,
        store: WhatsAppStore,
        processor: SenderOrderedProcessor,
        statuses: StatusRecorder,
        notifier: WhatsAppNotifier,
        outbox: WhatsAppOutbox,
        alarm: TokenAlarm,
        graph: GraphClient,
    ) -> None:
        self._settings = settings
        self._http = http
        self._graph = graph
        self._check: asyncio.Task[None] | None = None
        self.store = store
        self._processor = processor
        self._statuses = statuses
        self.notifier = notifier
        self._outbox = outbox
        self._alarm = alarm

    @classmethod
    def build(
        cls,
        settings: WhatsAppSettings,
        relay: ConversationRelay,
        state: SharedState,
        limiter: RateLimiter,
        reachability: ReachabilityRegistry,
        uploader: AttachmentUploader,
        status_listener: StatusListener | None = None,
        *,
        clock: Clock = utcnow,
        metrics: GatewayMetrics | None = None,
    ) -> WhatsAppChannel:
        """Assemble the channel (nothing connects until `start`)."""
        http = graph_http_client(settings.timeout_seconds)
        graph = GraphClient(
            http, settings.api_base_url, settings.phone_number_id, settings.access_token
        )
        store = WhatsAppStore.from_url(settings.effective_database_url, clock)
        alarm = TokenAlarm()
        sender = GraphSender(
            graph,
            limiter,
            Rate(settings.messages_per_second, burst=1),
            store,
            RetryPolicy(
                max_attempts=settings.max_retries + 1,
                base_seconds=settings.retry_base_seconds,
                max_seconds=settings.retry_max_seconds,
            ),
            alarm,
            metrics=metrics,
        )
        codec = PayloadCodec(state)
        composer = ReplyComposer(codec, choice_texts(relay.text))
        outbox = WhatsAppOutbox(sender, composer, reachability)
        notifier = WhatsAppNotifier(
            sender,
            composer,
            store,
            reachability,
            settings.template_name,
            settings.template_language,
            limiter,
            Rate(settings.notification_rate, burst=1),
            dt.timedelta(seconds=settings.window_margin_seconds),
            clock,
            question_template_name=settings.question_template_name,
        )
        handlers = WhatsAppHandlers(
            relay,
            outbox,
            MediaStore(graph, uploader, settings.max_media_bytes),
            codec,
            store,
            reachability,
            alarm,
        )
        processor = SenderOrderedProcessor(
            handlers.handle, state, settings.dedup_ttl_seconds, settings.max_concurrent_messages
        )
        statuses = StatusRecorder(store, reachability, notifier, status_listener)
        return cls(settings, http, store, processor, statuses, notifier, outbox, alarm, graph)

    # --- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        """Create the store's tables; check the access token in the background."""
        await self.store.create_tables()
        self._check = asyncio.create_task(self._check_token())
        logger.info("WhatsApp channel ready (phone number ID %s)", self._settings.phone_number_id)

    async def _check_token(self) -> None:
        """Ask for the business number's profile: a rejected token alarms at once."""
        try:
            profile = await self._graph.phone_number()
        except InvalidTokenError as exc:
            self._alarm.raise_alarm(exc)
            return
        except GraphAPIError as exc:
            logger.warning("WhatsApp Graph API not reachable at start: %s", exc)
            return
        logger.info(
            "WhatsApp connected: %s (quality %s)",
            profile.get("display_phone_number", "?"),
            profile.get("quality_rating", "?"),
        )

    async def stop(self) -> None:
        """Finish the messages in hand, then close connections."""
        if self._check is not None:
            self._check.cancel()
            await asyncio.wait({self._check}, timeout=1.0)
        await self._processor.stop(STOP_TIMEOUT_SECONDS)
        await self._outbox.close()
        await self._http.aclose()
        await self.store.close()

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued message and status is handled (for tests, shutdown)."""
        return await self._processor.drain(timeout)

    @property
    def token_rejected(self) -> bool:
        """Whether Meta rejected the access token (code 190) on the latest attempt."""
        return self._alarm.rejected

    # --- webhook -------------------------------------------------------------------
    def verify(self, params: Mapping[str, str]) -> str | None:
        """Meta's verification request: the `hub.challenge` to echo, or None to refuse."""
        expected = self._settings.verify_token
        token = params.get("hub.verify_token", "")
        challenge = params.get("hub.challenge", "")
        if params.get("hub.mode") != "subscribe" or not expected or not challenge:
            return None
        if not hmac.compare_digest(token.encode(), expected.encode()):
            logger.warning("refused a webhook verification with a wrong verify token")
            return None
        return challenge

    async def accept(self, raw_body: bytes, signature_header: str | None) -> Acceptance:
        """Check the signature of a delivery, then queue its messages and statuses.

        Nothing is read or processed unless the `X-Hub-Signature-256` header is the
        HMAC of exactly these bytes. The work runs in the background.
        """
        if not signature_matches(raw_body, signature_header, self._settings.app_secret):
            logger.warning(
                "refused a WhatsApp webhook: %s signature",
                "missing" if not signature_header else "wrong",
            )
            return Acceptance.FORBIDDEN
        try:
            envelope = parse_envelope(json.loads(raw_body))
        except (ValueError, EnvelopeError) as exc:
            logger.warning("refused a malformed WhatsApp webhook: %s", exc)
            return Acceptance.MALFORMED
        self._queue(envelope)
        return Acceptance.ACCEPTED

    def _ours(self, phone_number_id: str) -> bool:
        if phone_number_id and phone_number_id != self._settings.phone_number_id:
            logger.warning("ignored an event for another phone number ID")
            return False
        return True

    def _queue(self, envelope: Envelope) -> None:
        for error in envelope.errors:
            logger.warning("WhatsApp reported error %s", error.describe())
        for message in envelope.messages:
            if self._ours(message.phone_number_id):
                self._processor.submit(message)
        for status in envelope.statuses:
            if self._ours(status.phone_number_id):
                self._processor.submit_status(
                    status.message_id, functools.partial(self._statuses.handle, status)
                )

    # --- notifications ---------------------------------------------------------------
    async def pace(self) -> None:
        """Wait for the next slot of the status-update budget (a share of the rate)."""
        await self.notifier.pace()

    async def release(self) -> None:
        """Give back what `pace()` took (nothing, for WhatsApp's budget)."""
        await self.notifier.release()

    async def deliver(self, notification: Notification) -> DeliveryResult:
        """Send a status update now, within WhatsApp's rules (window, template, limits)."""
        return await self.notifier.deliver(notification)
