"""What the gateway does with each kind of WhatsApp message.

Everything a citizen sends becomes one Rasa turn through the relay, as the
conversation `whatsapp:<wa_id>` with the citizen's profile name and number (offered
as the report's contact unless they choose to report anonymously). What Rasa cannot
use (stickers, contacts, reactions, anything unknown) gets a short explanation, never
silence.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.attachments import (
    AttachmentRejectedError,
    AttachmentStoreUnavailableError,
)
from bot.privacy import mask
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay, InboundMessage
from bot.whatsapp.envelope import Location, WhatsAppMessage
from bot.whatsapp.errors import GraphAPIError, InvalidTokenError
from bot.whatsapp.graph import MediaTooLargeError
from bot.whatsapp.interactive import PayloadCodec
from bot.whatsapp.media import MediaStore, attachment_kind
from bot.whatsapp.outbox import WhatsAppOutbox, sender_id
from bot.whatsapp.sender import TokenAlarm
from bot.whatsapp.store import WhatsAppStore

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
#: Media the backend stores as evidence.
EVIDENCE_TYPES = frozenset({"image", "document", "audio", "video"})
#: Messages that are not the citizen talking (a changed number and the like).
IGNORED_TYPES = frozenset({"system", "request_welcome"})


def citizen_text(text: str) -> str:
    """Typed text for Rasa: a leading "/" would be read as an intent, so it goes.

    Buttons carry intents; what citizens type is always read as natural language
    ("/batal" is understood as "batal").
    """
    stripped = text.strip()
    return stripped.lstrip("/").strip() if stripped.startswith("/") else stripped


def location_metadata(location: Location) -> dict[str, Any]:
    """The pin as Rasa's actions read it (like a Telegram venue)."""
    pin: dict[str, Any] = {"latitude": location.latitude, "longitude": location.longitude}
    if location.name:
        pin["title"] = location.name
    if location.address:
        pin["address"] = location.address
    return pin


class WhatsAppHandlers:
    """Turns each message into a Rasa turn (or a gateway reply)."""

    def __init__(
        self,
        relay: ConversationRelay,
        outbox: WhatsAppOutbox,
        media: MediaStore,
        codec: PayloadCodec,
        store: WhatsAppStore,
        reachability: ReachabilityRegistry,
        alarm: TokenAlarm,
    ) -> None:
        self._relay = relay
        self._outbox = outbox
        self._media = media
        self._codec = codec
        self._store = store
        self._reachability = reachability
        self._alarm = alarm

    @staticmethod
    def inbound(message: WhatsAppMessage, text: str, **extra: Any) -> InboundMessage:
        """The relay's message: sender `whatsapp:<wa_id>`, name and number as metadata."""
        metadata: dict[str, Any] = {"phone": f"+{message.wa_id}"}
        if message.profile_name:
            metadata["display_name"] = message.profile_name
        return InboundMessage(
            channel=CHANNEL, chat_id=message.wa_id, text=text, metadata={**metadata, **extra}
        )

    async def handle(self, message: WhatsAppMessage) -> None:
        """One message: open the 24-hour window, acknowledge it, then answer it."""
        if message.type in IGNORED_TYPES:
            logger.info("ignored a %s message from %s", message.type, mask(message.wa_id))
            return
        if message.type == "reaction" and not message.emoji:
            return  # a reaction taken back: nothing was said
        try:
            await self._store.touch_inbound(message.wa_id, message.timestamp)
        except SQLAlchemyError as exc:
            logger.error("last message time of %s not saved: %s", mask(message.wa_id), exc)
        await self._reachability.mark_reachable(sender_id(message.wa_id))
        self._outbox.acknowledge(message.wa_id, message.message_id)
        try:
            await self._dispatch(message)
        finally:
            self._outbox.done_with(message.wa_id, message.message_id)

    async def _dispatch(self, message: WhatsAppMessage) -> None:
        if message.type == "text" and citizen_text(message.text):
            await self._relay.relay(self.inbound(message, citizen_text(message.text)), self._outbox)
        elif message.choice is not None:
            await self.on_choice(message)
        elif message.location is not None:
            pin = location_metadata(message.location)
            inbound = self.inbound(message, "/share_location", location=pin)
            await self._relay.relay(inbound, self._outbox)
        elif message.media is not None and message.media.kind in EVIDENCE_TYPES:
            await self.on_media(message)
        else:
            await self.on_unsupported(message)

    async def on_choice(self, message: WhatsAppMessage) -> None:
        """A tapped button or list row: its payload goes to Rasa."""
        choice = message.choice
        if choice is None:
            return
        payload = choice.reply_id if choice.kind == "button" else None
        if payload is None:
            payload = await self._codec.decode(choice.reply_id)
        if payload is None:  # a stored payload that expired
            reply = "utter_gateway_button_expired"
            await self._relay.say(self.inbound(message, ""), reply, self._outbox)
            return
        inbound = self.inbound(message, payload, button_title=choice.title or payload)
        await self._relay.relay(inbound, self._outbox)

    async def on_media(self, message: WhatsAppMessage) -> None:
        """A photo, document, audio or video: stored in the backend, its ID sent to Rasa."""
        media = message.media
        if media is None:
            return
        bare = self.inbound(message, "")
        try:
            attachment_id = await self._media.store(media)
        except MediaTooLargeError:
            await self._relay.say(bare, "utter_gateway_file_too_large", self._outbox)
            return
        except AttachmentRejectedError as exc:
            logger.info("attachment refused by the backend: %s", exc.message)
            await self._relay.say(bare, "utter_gateway_file_rejected", self._outbox)
            return
        except (AttachmentStoreUnavailableError, GraphAPIError) as exc:
            if isinstance(exc, InvalidTokenError):
                self._alarm.raise_alarm(exc)
            logger.error("attachment of %s not stored: %s", mask(bare.sender_id), exc)
            await self._relay.say(bare, "utter_gateway_file_failed", self._outbox)
            return
        text = citizen_text(media.caption) or "/send_attachment"
        extra = {"attachments": [attachment_id], "attachment_kind": attachment_kind(media)}
        await self._relay.relay(self.inbound(message, text, **extra), self._outbox)

    async def on_unsupported(self, message: WhatsAppMessage) -> None:
        """Stickers, contacts, reactions and anything unknown: explain what works."""
        logger.info("unsupported %s message from %s", message.type, mask(message.wa_id))
        inbound = self.inbound(message, "")
        await self._relay.say(inbound, "utter_gateway_unsupported", self._outbox)
