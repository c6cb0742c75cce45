"""The webhook's JSON (`entry[].changes[].value`) as typed, immutable values.

Parsing is pure and forgiving: a malformed message or status is skipped (and logged)
without losing the others of the same delivery; only a body that is not a JSON
object at all is an error. Messages and statuses keep the order Meta sent them in.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

OBJECT_TYPE = "whatsapp_business_account"
MEDIA_TYPES = frozenset({"image", "document", "audio", "video", "sticker"})
#: Delivery statuses of outgoing messages, as Meta names them.
STATUSES = frozenset({"sent", "delivered", "read", "failed", "deleted", "warning"})


class EnvelopeError(ValueError):
    """The body is not a webhook envelope at all."""


@dataclass(frozen=True)
class ErrorInfo:
    """An error Meta reports in a webhook (`errors[]`)."""

    code: int
    title: str = ""
    message: str = ""
    details: str = ""

    def describe(self) -> str:
        """`131026 Message undeliverable: <details>` for logs and failure reasons."""
        text = self.title or self.message
        return f"{self.code} {text}: {self.details}" if self.details else f"{self.code} {text}"


@dataclass(frozen=True)
class Media:
    """A file in a message: its media ID (to look up its URL) and what Meta says of it."""

    kind: str
    media_id: str
    mime_type: str = ""
    sha256: str = ""
    caption: str = ""
    filename: str = ""
    voice: bool = False


@dataclass(frozen=True)
class Location:
    """A shared pin, with the place's name and address when the citizen picked one."""

    latitude: float
    longitude: float
    name: str = ""
    address: str = ""
    url: str = ""


@dataclass(frozen=True)
class ReplyChoice:
    """A tapped reply button, list row or template quick-reply button.

    Attributes:
        kind: "button_reply", "list_reply" or "button" (a template's quick reply).
        reply_id: The ID the business gave the choice (the Rasa payload or its key).
        title: The label the citizen saw.
    """

    kind: str
    reply_id: str
    title: str = ""


@dataclass(frozen=True)
class WhatsAppMessage:
    """One message a citizen sent.

    Attributes:
        message_id: The `wamid` (unique; used for deduplication and read receipts).
        wa_id: The citizen's WhatsApp ID (their number without "+").
        timestamp: When the citizen sent it (UTC).
        type: Meta's message type (`text`, `interactive`, `image`, ...).
        profile_name: The citizen's WhatsApp profile name, when shared.
        phone_number_id: The business number it was sent to.
        context_id: The `wamid` of the business message it answers, if any.
        text: The text (`text.body`), when a text message.
        choice: The tapped button or row, when an interactive or button reply.
        location: The pin, when a location message.
        media: The file, when an image, document, audio, video or sticker.
        emoji: The reaction, when a reaction ("" when a reaction was removed).
        errors: Meta's errors for messages it could not read (`unsupported`).
    """

    message_id: str
    wa_id: str
    timestamp: dt.datetime
    type: str
    profile_name: str = ""
    phone_number_id: str = ""
    context_id: str = ""
    text: str = ""
    choice: ReplyChoice | None = None
    location: Location | None = None
    media: Media | None = None
    emoji: str = ""
    errors: tuple[ErrorInfo, ...] = ()


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message the business sent (`statuses[]`)."""

    message_id: str
    status: str
    timestamp: dt.datetime
    recipient_id: str = ""
    phone_number_id: str = ""
    errors: tuple[ErrorInfo, ...] = ()

    @property
    def error_codes(self) -> tuple[int, ...]:
        """The codes of the errors reported with the status."""
        return tuple(error.code for error in self.errors)


@dataclass(frozen=True)
class Envelope:
    """Everything of one webhook delivery, in order."""

    messages: tuple[WhatsAppMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    errors: tuple[ErrorInfo, ...] = ()


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_timestamp(value: Any) -> dt.datetime:
    """Meta's timestamps: Unix seconds as a string."""
    try:
        return dt.datetime.fromtimestamp(int(str(value)), tz=dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad timestamp {value!r}") from exc


def parse_errors(value: Any) -> tuple[ErrorInfo, ...]:
    """`errors[]`: code, title, message and `error_data.details`."""
    errors = []
    for item in _list(value):
        item = _dict(item)
        code = _int(item.get("code"))
        if code is None:
            continue
        errors.append(
            ErrorInfo(
                code=code,
                title=_str(item.get("title")),
                message=_str(item.get("message")),
                details=_str(_dict(item.get("error_data")).get("details")),
            )
        )
    return tuple(errors)


def _choice(message: Mapping[str, Any]) -> ReplyChoice | None:
    if message.get("type") == "button":
        button = _dict(message.get("button"))
        payload = _str(button.get("payload")) or _str(button.get("text"))
        return ReplyChoice("button", payload, _str(button.get("text"))) if payload else None
    interactive = _dict(message.get("interactive"))
    kind = _str(interactive.get("type"))
    if kind not in ("button_reply", "list_reply"):
        return None
    reply = _dict(interactive.get(kind))
    reply_id = _str(reply.get("id"))
    return ReplyChoice(kind, reply_id, _str(reply.get("title"))) if reply_id else None


def _location(message: Mapping[str, Any]) -> Location | None:
    pin = _dict(message.get("location"))
    try:
        latitude, longitude = float(pin["latitude"]), float(pin["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return Location(
        latitude=latitude,
        longitude=longitude,
        name=_str(pin.get("name")),
        address=_str(pin.get("address")),
        url=_str(pin.get("url")),
    )


def _media(message: Mapping[str, Any], kind: str) -> Media | None:
    item = _dict(message.get(kind))
    media_id = _str(item.get("id"))
    if not media_id:
        return None
    return Media(
        kind=kind,
        media_id=media_id,
        mime_type=_str(item.get("mime_type")),
        sha256=_str(item.get("sha256")),
        caption=_str(item.get("caption")),
        filename=_str(item.get("filename")),
        voice=item.get("voice") is True,
    )


def parse_message(
    message: Mapping[str, Any], names: Mapping[str, str], phone_number_id: str = ""
) -> WhatsAppMessage:
    """One entry of `messages[]`; `names` maps WhatsApp IDs to profile names.

    Raises:
        ValueError: the message lacks its ID, sender or timestamp.
    """
    message_id, wa_id = _str(message.get("id")), _str(message.get("from"))
    if not message_id or not wa_id:
        raise ValueError("a message without id or sender")
    kind = _str(message.get("type")) or "unknown"
    return WhatsAppMessage(
        message_id=message_id,
        wa_id=wa_id,
        timestamp=parse_timestamp(message.get("timestamp")),
        type=kind,
        profile_name=names.get(wa_id, ""),
        phone_number_id=phone_number_id,
        context_id=_str(_dict(message.get("context")).get("id")),
        text=_str(_dict(message.get("text")).get("body")) if kind == "text" else "",
        choice=_choice(message) if kind in ("interactive", "button") else None,
        location=_location(message) if kind == "location" else None,
        media=_media(message, kind) if kind in MEDIA_TYPES else None,
        emoji=_str(_dict(message.get("reaction")).get("emoji")) if kind == "reaction" else "",
        errors=parse_errors(message.get("errors")),
    )


def parse_status(status: Mapping[str, Any], phone_number_id: str = "") -> StatusUpdate:
    """One entry of `statuses[]`.

    Raises:
        ValueError: the status lacks its message ID, status or timestamp.
    """
    message_id, state = _str(status.get("id")), _str(status.get("status"))
    if not message_id or not state:
        raise ValueError("a status without message id or status")
    return StatusUpdate(
        message_id=message_id,
        status=state,
        timestamp=parse_timestamp(status.get("timestamp")),
        recipient_id=_str(status.get("recipient_id")),
        phone_number_id=phone_number_id,
        errors=parse_errors(status.get("errors")),
    )


def _values(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for entry in _list(data.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field", "messages") == "messages":
                yield _dict(change.get("value"))


def parse_envelope(data: Any) -> Envelope:
    """Every message, status and error of a webhook body, in order.

    Raises:
        EnvelopeError: `data` is not a JSON object.
    """
    if not isinstance(data, Mapping):
        raise EnvelopeError("the webhook body is not a JSON object")
    if data.get("object") != OBJECT_TYPE:
        logger.info("ignored a webhook for object %r", data.get("object"))
        return Envelope()
    messages: list[WhatsAppMessage] = []
    statuses: list[StatusUpdate] = []
    errors: list[ErrorInfo] = []
    for value in _values(data):
        phone_number_id = _str(_dict(value.get("metadata")).get("phone_number_id"))
        names = {
            _str(_dict(c).get("wa_id")): _str(_dict(_dict(c).get("profile")).get("name"))
            for c in _list(value.get("contacts"))
        }
        for item in _list(value.get("messages")):
            try:
                messages.append(parse_message(_dict(item), names, phone_number_id))
            except ValueError as exc:
                logger.warning("skipped a malformed message: %s", exc)
        for item in _list(value.get("statuses")):
            try:
                statuses.append(parse_status(_dict(item), phone_number_id))
            except ValueError as exc:
                logger.warning("skipped a malformed status: %s", exc)
        errors.extend(parse_errors(value.get("errors")))
    return Envelope(tuple(messages), tuple(statuses), tuple(errors))
