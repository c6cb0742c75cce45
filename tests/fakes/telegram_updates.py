"""Factories for Telegram Bot API `Update` payloads, shaped as in core.telegram.org/bots/api.

Every function returns a plain, JSON-ready dict exactly as Telegram would POST it to a webhook
or return it from `getUpdates` (field names `update_id`, `message`, `from`, `chat`, `date`, ...).
Feed them to `FakeTelegramAPI.queue_update`, to a webhook endpoint, or to
`telegram.Update.de_json(payload, bot)`.

The users are private-chat users: the user id equals the chat id, as in Telegram.

Example:
    >>> from tests.fakes import telegram_updates as tu
    >>> update = tu.text(42, "/start lapor")
    >>> update["message"]["entities"]
    [{'offset': 0, 'length': 6, 'type': 'bot_command'}]
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from typing import Any

DEFAULT_TOKEN = "123456:TEST-TOKEN"
BOT_FIRST_NAME = "Lapor Tangerang (test)"
BOT_USERNAME = "lapor_tangerang_test_bot"

JSONDict = dict[str, Any]


def bot_user(token: str = DEFAULT_TOKEN) -> JSONDict:
    """The bot's `User` object as `getMe` returns it (id is the token's numeric part).

    Args:
        token: The bot token; its part before ``:`` is the bot's user id.

    Returns:
        A `User` dict with the bot-only fields `getMe` adds.
    """
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def bot_sender(token: str = DEFAULT_TOKEN) -> JSONDict:
    """The bot as it appears in a message's `from` field (no `getMe`-only fields).

    Args:
        token: The bot token.

    Returns:
        A `User` dict.
    """
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
    }


def file_unique_id(file_id: str) -> str:
    """A stable, Telegram-looking `file_unique_id` derived from a `file_id`.

    Args:
        file_id: The file identifier.

    Returns:
        A short identifier that is the same for the same `file_id`.
    """
    return "AQAD" + hashlib.sha256(file_id.encode()).hexdigest()[:12]


class UpdateFactory:
    """Builds `Update` dicts with increasing `update_id` and `message_id` values.

    Thread-safe: the counters may be used from the test thread and from server threads.

    Args:
        first_update_id: The first `update_id` handed out.
        first_message_id: The first `message_id` handed out.
        token: The bot token, for the bot user in callback queries' messages.
    """

    def __init__(
        self,
        *,
        first_update_id: int = 100_000_001,
        first_message_id: int = 1,
        token: str = DEFAULT_TOKEN,
    ) -> None:
        self._lock = threading.Lock()
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(first_message_id)
        self._callback_ids = itertools.count(1)
        self.token = token

    # -- counters ---------------------------------------------------------------------------

    def next_update_id(self) -> int:
        """Hand out the next `update_id`."""
        with self._lock:
            return next(self._update_ids)

    def next_message_id(self) -> int:
        """Hand out the next `message_id`."""
        with self._lock:
            return next(self._message_ids)

    def _next_callback_id(self) -> str:
        with self._lock:
            number = next(self._callback_ids)
        # Real callback query ids are large decimal numbers sent as strings.
        return str(4_411_000_000_000_000_000 + number)

    # -- building blocks --------------------------------------------------------------------

    @staticmethod
    def user(
        chat_id: int,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A human `User` whose id is `chat_id`.

        Args:
            chat_id: The private chat id, which is also the user id.
            first_name: The user's first name.
            username: The user's @username without the @, if any.
            language_code: The IETF language tag of the user's client, if any.

        Returns:
            A `User` dict.
        """
        user: JSONDict = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    @staticmethod
    def private_chat(
        chat_id: int, *, first_name: str = "Budi", username: str | None = None
    ) -> JSONDict:
        """A private `Chat`.

        Args:
            chat_id: The chat id.
            first_name: The other party's first name.
            username: The other party's @username without the @, if any.

        Returns:
            A `Chat` dict.
        """
        chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
        if username is not None:
            chat["username"] = username
        return chat

    def message(
        self,
        chat_id: int,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
        message_id: int | None = None,
        date: int | None = None,
        **content: Any,
    ) -> JSONDict:
        """A `Message` from the user in their private chat with the bot.

        Args:
            chat_id: The private chat id (and user id).
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.
            message_id: The message id; the next counter value when omitted.
            date: Unix time the message was sent; now when omitted.
            **content: The message's content fields (`text`, `photo`, `location`, ...).

        Returns:
            A `Message` dict.
        """
        message: JSONDict = {
            "message_id": self.next_message_id() if message_id is None else message_id,
            "from": self.user(
                chat_id, first_name=first_name, username=username, language_code=language_code
            ),
            "chat": self.private_chat(chat_id, first_name=first_name, username=username),
            "date": int(time.time()) if date is None else date,
        }
        message.update(content)
        return message

    def wrap(self, kind: str, payload: JSONDict) -> JSONDict:
        """An `Update` carrying `payload` under the field `kind`.

        Args:
            kind: The update type field, e.g. ``"message"`` or ``"callback_query"``.
            payload: The object for that field.

        Returns:
            An `Update` dict with a fresh `update_id`.
        """
        return {"update_id": self.next_update_id(), kind: payload}

    # -- updates ----------------------------------------------------------------------------

    def text(
        self,
        chat_id: int,
        text: str,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A text message; a leading ``/command`` gets its `bot_command` entity.

        Args:
            chat_id: The private chat id.
            text: The message text.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.text`.
        """
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            # Entity offsets and lengths count UTF-16 code units.
            length = len(command.encode("utf-16-le")) // 2
            content["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                **content,
            ),
        )

    def callback(
        self,
        chat_id: int,
        data: str,
        message_id: int | None = None,
        message_text: str = "Pilih salah satu:",
        inline_keyboard: list[list[JSONDict]] | None = None,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A button press on an inline keyboard of a message the bot sent.

        Args:
            chat_id: The private chat id.
            data: The pressed button's `callback_data`.
            message_id: The bot message's id; the next counter value when omitted.
            message_text: The bot message's text.
            inline_keyboard: The bot message's keyboard rows; one button carrying `data`
                when omitted.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `callback_query`.
        """
        keyboard = inline_keyboard or [[{"text": data, "callback_data": data}]]
        bot_message: JSONDict = {
            "message_id": self.next_message_id() if message_id is None else message_id,
            "from": bot_sender(self.token),
            "chat": self.private_chat(chat_id, first_name=first_name, username=username),
            "date": int(time.time()) - 5,
            "text": message_text,
            "reply_markup": {"inline_keyboard": keyboard},
        }
        query: JSONDict = {
            "id": self._next_callback_id(),
            "from": self.user(
                chat_id, first_name=first_name, username=username, language_code=language_code
            ),
            "message": bot_message,
            "chat_instance": str(-(7_000_000_000_000_000_000 + abs(chat_id))),
            "data": data,
        }
        return self.wrap("callback_query", query)

    def location(
        self,
        chat_id: int,
        latitude: float = -6.1783,
        longitude: float = 106.6319,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A shared (static) location; defaults to Tangerang.

        Args:
            chat_id: The private chat id.
            latitude: Latitude in degrees.
            longitude: Longitude in degrees.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.location`.
        """
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                location={"latitude": latitude, "longitude": longitude},
            ),
        )

    def photo(
        self,
        chat_id: int,
        file_id: str,
        caption: str | None = None,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A photo: three `PhotoSize` entries, smallest first, the largest using `file_id`.

        Args:
            chat_id: The private chat id.
            file_id: The largest size's `file_id` (the one a bot downloads).
            caption: The photo's caption, if any.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.photo` (and `message.caption`).
        """
        sizes = [
            (f"{file_id}-s", 90, 68, 1_204),
            (f"{file_id}-m", 320, 240, 15_873),
            (file_id, 1280, 960, 132_011),
        ]
        photo = [
            {
                "file_id": size_id,
                "file_unique_id": file_unique_id(size_id),
                "file_size": size,
                "width": width,
                "height": height,
            }
            for size_id, width, height, size in sizes
        ]
        content: JSONDict = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                **content,
            ),
        )

    def document(
        self,
        chat_id: int,
        file_id: str,
        file_name: str = "laporan.pdf",
        mime_type: str = "application/pdf",
        file_size: int = 48_213,
        *,
        caption: str | None = None,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A general file sent as a document.

        Args:
            chat_id: The private chat id.
            file_id: The document's `file_id`.
            file_name: The original file name.
            mime_type: The MIME type declared by the sender.
            file_size: The size in bytes.
            caption: The caption, if any.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.document`.
        """
        content: JSONDict = {
            "document": {
                "file_name": file_name,
                "mime_type": mime_type,
                "file_id": file_id,
                "file_unique_id": file_unique_id(file_id),
                "file_size": file_size,
            }
        }
        if caption is not None:
            content["caption"] = caption
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                **content,
            ),
        )

    def voice(
        self,
        chat_id: int,
        file_id: str,
        duration: int = 4,
        file_size: int = 9_876,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A voice note (OGG/Opus).

        Args:
            chat_id: The private chat id.
            file_id: The voice note's `file_id`.
            duration: Length in seconds.
            file_size: Size in bytes.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.voice`.
        """
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                voice={
                    "duration": duration,
                    "mime_type": "audio/ogg",
                    "file_id": file_id,
                    "file_unique_id": file_unique_id(file_id),
                    "file_size": file_size,
                },
            ),
        )

    def sticker(
        self,
        chat_id: int,
        *,
        file_id: str = "CAACAgIAAxkBAAIBsticker",
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A regular static sticker (thumbs-up).

        Args:
            chat_id: The private chat id.
            file_id: The sticker's `file_id`.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.sticker`.
        """
        thumb_id = f"{file_id}-thumb"
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                sticker={
                    "width": 512,
                    "height": 512,
                    "emoji": "\U0001f44d",
                    "set_name": "HotCherry",
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                    "thumbnail": {
                        "file_id": thumb_id,
                        "file_unique_id": file_unique_id(thumb_id),
                        "file_size": 5_416,
                        "width": 128,
                        "height": 128,
                    },
                    "file_id": file_id,
                    "file_unique_id": file_unique_id(file_id),
                    "file_size": 22_954,
                },
            ),
        )

    def poll(
        self,
        chat_id: int,
        *,
        question: str = "Jalan mana yang paling rusak?",
        options: tuple[str, ...] = ("Jl. Raya Serang", "Jl. Daan Mogot"),
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A regular poll the user forwarded or created in the chat.

        Args:
            chat_id: The private chat id.
            question: The poll question.
            options: The answer options.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.poll`.
        """
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                poll={
                    "id": str(5_300_000_000_000_000_000 + self.next_update_id()),
                    "question": question,
                    "options": [
                        {"persistent_id": str(index), "text": option, "voter_count": 0}
                        for index, option in enumerate(options)
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    # Required since Bot API 9.6 / 10.0 (python-telegram-bot 22.8 enforces them).
                    "allows_revoting": False,
                    "members_only": False,
                },
            ),
        )

    def contact(
        self,
        chat_id: int,
        phone_number: str = "+6281234567890",
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """The user sharing their own contact (as a `request_contact` button does).

        Args:
            chat_id: The private chat id (and the contact's user id).
            phone_number: The phone number as Telegram sends it.
            first_name: The user's (and contact's) first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.contact`.
        """
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                contact={
                    "phone_number": phone_number,
                    "first_name": first_name,
                    "user_id": chat_id,
                },
            ),
        )

    def video_note(
        self,
        chat_id: int,
        *,
        file_id: str = "DQACAgUAAxkBAAIBvideonote",
        duration: int = 6,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """A round video message.

        Args:
            chat_id: The private chat id.
            file_id: The video note's `file_id`.
            duration: Length in seconds.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `message.video_note`.
        """
        thumb_id = f"{file_id}-thumb"
        return self.wrap(
            "message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                video_note={
                    "duration": duration,
                    "length": 384,
                    "thumbnail": {
                        "file_id": thumb_id,
                        "file_unique_id": file_unique_id(thumb_id),
                        "file_size": 9_001,
                        "width": 320,
                        "height": 320,
                    },
                    "file_id": file_id,
                    "file_unique_id": file_unique_id(file_id),
                    "file_size": 412_300,
                },
            ),
        )

    def edited_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        first_name: str = "Budi",
        username: str | None = None,
        language_code: str | None = "id",
    ) -> JSONDict:
        """The user editing an earlier text message.

        Args:
            chat_id: The private chat id.
            message_id: The edited message's id.
            text: The new text.
            first_name: The user's first name.
            username: The user's @username, if any.
            language_code: The user's language tag, if any.

        Returns:
            An `Update` dict with `edited_message` (carrying `edit_date`).
        """
        now = int(time.time())
        return self.wrap(
            "edited_message",
            self.message(
                chat_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
                message_id=message_id,
                date=now - 30,
                edit_date=now,
                text=text,
            ),
        )


#: The module's shared factory; the module-level functions below use it.
default_factory = UpdateFactory()

text = default_factory.text
callback = default_factory.callback
location = default_factory.location
photo = default_factory.photo
document = default_factory.document
voice = default_factory.voice
sticker = default_factory.sticker
poll = default_factory.poll
contact = default_factory.contact
video_note = default_factory.video_note
edited_text = default_factory.edited_text
next_update_id = default_factory.next_update_id
next_message_id = default_factory.next_message_id
