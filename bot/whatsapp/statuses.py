"""Delivery statuses of outgoing messages (sent, delivered, read, failed).

Each status is recorded against the message it belongs to and never reaches Rasa.
A failure because the citizen cannot be reached (131026) marks them unreachable; a
status update refused as outside the 24-hour window (131047) is sent again as the
approved template, once. Then the optional listener (the notifier) hears about it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.privacy import mask
from bot.reachability import ReachabilityRegistry
from bot.whatsapp.envelope import StatusUpdate
from bot.whatsapp.errors import REENGAGEMENT_REQUIRED, UNDELIVERABLE
from bot.whatsapp.notifier import WhatsAppNotifier
from bot.whatsapp.outbox import sender_id
from bot.whatsapp.store import WhatsAppStore

logger = logging.getLogger(__name__)

StatusListener = Callable[[StatusUpdate], Awaitable[None]]


class StatusRecorder:
    """Records statuses and acts on failures."""

    def __init__(
        self,
        store: WhatsAppStore,
        reachability: ReachabilityRegistry,
        notifier: WhatsAppNotifier,
        listener: StatusListener | None = None,
    ) -> None:
        self._store = store
        self._reachability = reachability
        self._notifier = notifier
        self._listener = listener

    async def handle(self, status: StatusUpdate) -> None:
        """Record one status (a repeated one is ignored) and act on it."""
        try:
            if not await self._store.record_status(status):
                logger.debug("status %s of a message seen before", status.status)
                return
        except SQLAlchemyError as exc:
            logger.error("status %s not recorded: %s", status.status, exc)
        if status.status == "failed":
            await self._on_failure(status)
        if self._listener is not None:
            try:
                await self._listener(status)
            except Exception:
                logger.exception("the status listener failed")

    async def _on_failure(self, status: StatusUpdate) -> None:
        reason = "; ".join(error.describe() for error in status.errors) or "failed"
        logger.warning("message to %s failed: %s", mask(status.recipient_id), reason)
        if UNDELIVERABLE in status.error_codes and status.recipient_id:
            await self._reachability.mark_unreachable(sender_id(status.recipient_id), reason)
        if REENGAGEMENT_REQUIRED in status.error_codes and status.recipient_id:
            try:
                params = await self._store.take_fallback(status.message_id)
            except SQLAlchemyError as exc:
                logger.error("template fallback unknown: %s", exc)
                return
            if params is not None:
                await self._notifier.pace()
                result = await self._notifier.send_template(status.recipient_id, params)
                logger.info(
                    "update to %s sent again as the template: %s",
                    mask(status.recipient_id),
                    "accepted" if result.accepted else result.failure,
                )
