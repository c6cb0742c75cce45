"""The channel-independent heart of the gateway: one citizen message, one Rasa turn.

A channel adapter (Telegram, WhatsApp) turns what the platform delivered into an
`InboundMessage` and supplies an `Outbox` that can show a typing indicator and send
the assistant's replies; the relay does the rest the same way for every channel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.metrics import GatewayMetrics
from bot.privacy import mask
from bot.rasa import BotReply, RasaClient, RasaUnavailableError
from bot.reachability import ReachabilityRegistry
from bot.replies import ReplyCatalogue
from bot.shared_state import SharedState
from lapor_common.logs import METADATA_KEY, new_request_id, request_id_var

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundMessage:
    """What a citizen sent, in the form Rasa's REST channel takes."""

    channel: str
    chat_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    language: str = "id"

    @property
    def sender_id(self) -> str:
        """The conversation ID, namespaced by channel: `telegram:123`."""
        return f"{self.channel}:{self.chat_id}"

    def rasa_metadata(self) -> dict[str, Any]:
        """Metadata for Rasa: the channel's extras, channel, chat ID and the turn's request ID."""
        metadata = {**self.metadata, "channel": self.channel, "chat_id": self.chat_id}
        request_id = request_id_var.get()
        if request_id:
            metadata[METADATA_KEY] = request_id
        return metadata


class Outbox(Protocol):
    """How a channel shows the typing indicator and delivers replies."""

    def typing(self, chat_id: str) -> AbstractAsyncContextManager[None]:
        """Show "typing..." to the citizen while the block runs."""

    async def send_replies(self, chat_id: str, replies: Sequence[BotReply]) -> bool:
        """Deliver replies in order; False when the chat cannot be reached."""


class ConversationRelay:
    """Relays one message to Rasa and its replies back, apologising when Rasa fails."""

    def __init__(
        self,
        rasa: RasaClient,
        replies: ReplyCatalogue,
        state: SharedState,
        reachability: ReachabilityRegistry,
        apology_interval_seconds: float = 60.0,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._metrics = metrics or GatewayMetrics()
        self._rasa = rasa
        self._replies = replies
        self._state = state
        self._reachability = reachability
        self._apology_interval = apology_interval_seconds

    async def relay(self, message: InboundMessage, outbox: Outbox) -> list[BotReply]:
        """One turn: the message to Rasa, the replies to the citizen; returns the replies.

        The turn gets a request ID, sent to Rasa in the metadata: the action server and
        the backend log it too.
        """
        token = request_id_var.set(new_request_id())
        try:
            return await self._relay(message, outbox)
        finally:
            request_id_var.reset(token)

    async def _relay(self, message: InboundMessage, outbox: Outbox) -> list[BotReply]:
        started = time.perf_counter()
        await self._reachability.mark_reachable(message.sender_id)
        try:
            async with outbox.typing(message.chat_id):
                replies = await self._rasa.send(
                    message.sender_id, message.text, message.rasa_metadata()
                )
        except RasaUnavailableError as exc:
            logger.error("turn of %s failed: %s", mask(message.sender_id), exc)
            self._metrics.rasa_failures.labels(message.channel).inc()
            await self._apologise(message, outbox)
            self._metrics.turn(message.channel, time.perf_counter() - started)
            return []
        await outbox.send_replies(message.chat_id, replies)
        self._metrics.turn(message.channel, time.perf_counter() - started)
        return replies

    @property
    def replies(self) -> ReplyCatalogue:
        """The gateway's own replies."""
        return self._replies

    def text(self, reply_name: str, language: str) -> str:
        """One of the gateway's own replies (`utter_gateway_*`) in `language`."""
        return self._replies.text(reply_name, language)

    async def say(self, message: InboundMessage, reply_name: str, outbox: Outbox) -> None:
        """Send one of the gateway's own replies in the citizen's language."""
        text = self.text(reply_name, message.language)
        await outbox.send_replies(message.chat_id, [BotReply(text=text)])

    async def _apologise(self, message: InboundMessage, outbox: Outbox) -> None:
        """Say sorry once per interval per chat: a flood of messages gets one apology."""
        if await self._state.claim(f"apology:{message.sender_id}", self._apology_interval):
            await self.say(message, "utter_gateway_unavailable", outbox)
