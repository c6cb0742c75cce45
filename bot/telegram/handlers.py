"""What the gateway does with each kind of Telegram update."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.attachments import (
    AttachmentRejectedError,
    AttachmentStoreUnavailableError,
    AttachmentUploader,
)
from bot.privacy import mask
from bot.relay import ConversationRelay, InboundMessage
from bot.shared_state import SharedState
from bot.telegram.inbound import MediaFile, command_text, language_of, media_of, user_metadata
from bot.telegram.keyboards import ButtonCodec, chosen_title
from bot.telegram.outbox import TelegramOutbox

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
COMMANDS = ("start", "help", "bantuan", "batal", "cancel", "status")
#: A double tap on a button within this time counts once.
CHOICE_TTL_SECONDS = 86_400


class FileTooLargeError(Exception):
    """A file over the gateway's size limit."""


class TelegramHandlers:
    """Handlers for private chats: text, commands, buttons, locations and files.

    Everything a citizen sends becomes one Rasa turn through the relay; what Rasa
    cannot use (stickers, polls, contacts, ...) gets a short explanation instead.
    """

    def __init__(
        self,
        relay: ConversationRelay,
        outbox: TelegramOutbox,
        uploader: AttachmentUploader,
        buttons: ButtonCodec,
        state: SharedState,
        max_file_bytes: int,
    ) -> None:
        self._relay = relay
        self._outbox = outbox
        self._uploader = uploader
        self._buttons = buttons
        self._state = state
        self._max_file_bytes = max_file_bytes

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the handlers in priority order (the first that matches handles an update)."""
        private = filters.ChatType.PRIVATE
        application.add_handler(MessageHandler(private & filters.UpdateType.EDITED, self.on_edited))
        application.add_handler(CommandHandler(COMMANDS, self.on_command, filters=private))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(
            MessageHandler(private & (filters.LOCATION | filters.VENUE), self.on_location)
        )
        media = filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.AUDIO | filters.VIDEO
        application.add_handler(MessageHandler(private & media, self.on_media))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_command_unknown))
        application.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(private, self.on_unsupported))

    # --- building the Rasa message -------------------------------------------------
    @staticmethod
    def _inbound(update: Update, text: str, **extra: Any) -> InboundMessage:
        chat = update.effective_chat
        if chat is None:  # the filters only pass updates from a chat
            raise ValueError(f"update {update.update_id} has no chat")
        user = update.effective_user
        return InboundMessage(
            channel="telegram",
            chat_id=str(chat.id),
            text=text,
            metadata={**user_metadata(user), **extra},
            language=language_of(user),
        )

    @staticmethod
    def _message(update: Update) -> Message:
        message = update.effective_message
        if message is None:  # the filters only pass updates with a message
            raise ValueError(f"update {update.update_id} has no message")
        return message

    # --- handlers ------------------------------------------------------------------
    async def on_text(self, update: Update, context: Context) -> None:
        """Plain text: one turn."""
        text = self._message(update).text or ""
        await self._relay.relay(self._inbound(update, text), self._outbox)

    async def on_command(self, update: Update, context: Context) -> None:
        """`/start [payload]`, `/help`, `/batal`, `/status [id]`."""
        text = self._message(update).text or ""
        command = text.split()[0].lstrip("/").split("@")[0]
        extra: dict[str, Any] = {"command": command}
        if command == "start" and context.args:
            extra["start_payload"] = context.args[0]
        message = self._inbound(update, command_text(command, list(context.args or [])), **extra)
        await self._relay.relay(message, self._outbox)

    async def on_command_unknown(self, update: Update, context: Context) -> None:
        """A command the bot does not have: show what it can do."""
        await self._relay.relay(self._inbound(update, "/help"), self._outbox)

    async def on_button(self, update: Update, context: Context) -> None:
        """A tapped inline button: answer it, show the choice, send its payload."""
        query = update.callback_query
        if query is None or not isinstance(query.message, Message) or query.data is None:
            return
        inbound = self._inbound(update, "")
        first_tap = await self._state.claim(
            f"choice:{inbound.sender_id}:{query.message.message_id}", CHOICE_TTL_SECONDS
        )
        payload = await self._buttons.decode(query.data) if first_tap else None
        expired = first_tap and payload is None
        notice = self._relay.text("utter_gateway_button_expired", inbound.language)
        try:
            await query.answer(text=notice if expired else None)
        except TelegramError as exc:  # the spinner times out by itself
            logger.debug("answerCallbackQuery failed: %s", exc)
        if payload is None:  # a second tap, or a button too old to resolve
            return
        title = chosen_title(query.message.reply_markup, query.data) or payload
        await self._outbox.show_choice(query.message, title)
        message = self._inbound(update, payload, button_title=title)
        await self._relay.relay(message, self._outbox)

    async def on_location(self, update: Update, context: Context) -> None:
        """A shared pin (or a venue): fills the location slots."""
        message = self._message(update)
        location = message.venue.location if message.venue else message.location
        if location is None:
            return
        pin: dict[str, Any] = {"latitude": location.latitude, "longitude": location.longitude}
        if message.venue:
            pin["title"] = message.venue.title
            pin["address"] = message.venue.address
        inbound = self._inbound(update, "/share_location", location=pin)
        await self._relay.relay(inbound, self._outbox)

    async def on_media(self, update: Update, context: Context) -> None:
        """A photo, document, voice note, audio or video: stored, then sent as evidence."""
        message = self._message(update)
        media = media_of(message)
        if media is None:
            return
        inbound = self._inbound(update, "")
        try:
            attachment_id = await self._store(media, context)
        except FileTooLargeError:
            await self._relay.say(inbound, "utter_gateway_file_too_large", self._outbox)
            return
        except AttachmentRejectedError as exc:
            logger.info("attachment refused by the backend: %s", exc.message)
            await self._relay.say(inbound, "utter_gateway_file_rejected", self._outbox)
            return
        except (AttachmentStoreUnavailableError, TelegramError) as exc:
            logger.error("attachment of %s not stored: %s", mask(inbound.sender_id), exc)
            await self._relay.say(inbound, "utter_gateway_file_failed", self._outbox)
            return
        text = (message.caption or "").strip() or "/send_attachment"
        extra = {"attachments": [attachment_id], "attachment_kind": media.kind}
        await self._relay.relay(self._inbound(update, text, **extra), self._outbox)

    async def _store(self, media: MediaFile, context: Context) -> str:
        """Download the file from Telegram (within the size limit) and upload it."""
        if media.file_size is not None and media.file_size > self._max_file_bytes:
            raise FileTooLargeError
        try:
            telegram_file = await context.bot.get_file(media.file_id)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise FileTooLargeError from exc
            raise
        if telegram_file.file_size is not None and telegram_file.file_size > self._max_file_bytes:
            raise FileTooLargeError
        content = bytes(await telegram_file.download_as_bytearray(read_timeout=60))
        if len(content) > self._max_file_bytes:
            raise FileTooLargeError
        return await self._uploader.upload(content, media.filename, media.content_type)

    async def on_edited(self, update: Update, context: Context) -> None:
        """An edited message: say edits are not re-read (live-location moves are ignored)."""
        message = self._message(update)
        if message.location is not None:
            return
        await self._relay.say(self._inbound(update, ""), "utter_gateway_edited", self._outbox)

    async def on_unsupported(self, update: Update, context: Context) -> None:
        """Stickers, polls, contacts, video notes and the like: explain what works."""
        await self._relay.say(self._inbound(update, ""), "utter_gateway_unsupported", self._outbox)
