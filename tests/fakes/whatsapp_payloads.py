"""Webhook payloads in the exact shapes of Meta's WhatsApp Cloud API documentation.

A delivery is ``{"object": "whatsapp_business_account", "entry": [{"id": <WABA ID>,
"changes": [{"value": {...}, "field": "messages"}]}]}`` whose ``value`` holds
``messaging_product``, ``metadata`` (``display_phone_number``, ``phone_number_id``),
``contacts`` (``profile.name``, ``wa_id``) and ``messages`` and/or ``statuses``.

The factory builds the message and status objects; :meth:`WebhookFactory.delivery`
wraps them (the ``contacts`` of every sender included), :func:`encode` serialises a
delivery as Meta does and :func:`sign` computes its ``X-Hub-Signature-256`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.whatsapp_api import DISPLAY_PHONE_NUMBER, PHONE_NUMBER_ID, new_wamid

JSONDict = dict[str, Any]

WABA_ID = "102290129340398"
DEFAULT_NAME = "Budi Santoso"
_media_numbers = itertools.count(1_013_859_600_285_441)


def encode(payload: JSONDict, *, escape_unicode: bool = True) -> bytes:
    """The body as Meta sends it: compact JSON, non-ASCII escaped as ``\\uXXXX``.

    Args:
        payload: The delivery.
        escape_unicode: False to send raw UTF-8 instead (some proxies re-encode).
    """
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=escape_unicode).encode()


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header for `body`: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def new_media_id() -> str:
    """A media ID in WhatsApp's shape (digits)."""
    return str(next(_media_numbers))


def _timestamp(timestamp: float | None) -> str:
    return str(int(time.time() if timestamp is None else timestamp))


def _b64_sha256(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


class WebhookFactory:
    """Builds messages, statuses and deliveries for one business phone number."""

    def __init__(
        self,
        phone_number_id: str = PHONE_NUMBER_ID,
        display_phone_number: str = DISPLAY_PHONE_NUMBER,
        waba_id: str = WABA_ID,
    ) -> None:
        self.phone_number_id = phone_number_id
        self.display_phone_number = display_phone_number
        self.waba_id = waba_id
        #: Profile names by WhatsApp ID (senders not listed are "Budi Santoso").
        self.names: dict[str, str] = {}

    # -- envelope ------------------------------------------------------------------------

    def delivery(
        self,
        messages: Iterable[JSONDict] = (),
        statuses: Iterable[JSONDict] = (),
        *,
        errors: Iterable[JSONDict] = (),
    ) -> JSONDict:
        """One webhook delivery holding `messages` and/or `statuses`."""
        messages, statuses, errors = list(messages), list(statuses), list(errors)
        value: JSONDict = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": self.display_phone_number,
                "phone_number_id": self.phone_number_id,
            },
        }
        if messages:
            senders = list(dict.fromkeys(m["from"] for m in messages))
            value["contacts"] = [
                {"profile": {"name": self.names.get(s, DEFAULT_NAME)}, "wa_id": s} for s in senders
            ]
            value["messages"] = messages
        if statuses:
            value["statuses"] = statuses
        if errors:
            value["errors"] = errors
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [{"value": value, "field": "messages"}]}],
        }

    # -- messages (one entry of ``messages[]``) ------------------------------------------

    def _message(
        self,
        wa_id: str,
        kind: str,
        content: Any,
        *,
        wamid: str | None = None,
        timestamp: float | None = None,
        context_id: str | None = None,
    ) -> JSONDict:
        message: JSONDict = {}
        if context_id is not None:
            message["context"] = {"from": self.display_phone_number, "id": context_id}
        message.update(
            {
                "from": wa_id,
                "id": wamid or new_wamid(),
                "timestamp": _timestamp(timestamp),
                "type": kind,
            }
        )
        if content is not None:
            message[kind] = content
        return message

    def text(self, wa_id: str, body: str, **options: Any) -> JSONDict:
        """A text message."""
        return self._message(wa_id, "text", {"body": body}, **options)

    def button_reply(self, wa_id: str, reply_id: str, title: str, **options: Any) -> JSONDict:
        """A tapped reply button (``interactive.button_reply``)."""
        options.setdefault("context_id", new_wamid())
        content = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
        return self._message(wa_id, "interactive", content, **options)

    def list_reply(
        self, wa_id: str, reply_id: str, title: str, description: str = "", **options: Any
    ) -> JSONDict:
        """A chosen list row (``interactive.list_reply``)."""
        options.setdefault("context_id", new_wamid())
        row = {"id": reply_id, "title": title}
        if description:
            row["description"] = description
        return self._message(
            wa_id, "interactive", {"type": "list_reply", "list_reply": row}, **options
        )

    def template_button(self, wa_id: str, payload: str, text: str, **options: Any) -> JSONDict:
        """A tapped quick-reply button of a template message (type ``button``)."""
        options.setdefault("context_id", new_wamid())
        return self._message(wa_id, "button", {"payload": payload, "text": text}, **options)

    def location(
        self,
        wa_id: str,
        latitude: float,
        longitude: float,
        *,
        name: str | None = None,
        address: str | None = None,
        **options: Any,
    ) -> JSONDict:
        """A shared location (with a place's name and address when picked from a list)."""
        pin: JSONDict = {"latitude": latitude, "longitude": longitude}
        if address is not None:
            pin["address"] = address
        if name is not None:
            pin["name"] = name
            pin["url"] = "https://maps.google.com/?q=" + name.replace(" ", "+")
        return self._message(wa_id, "location", pin, **options)

    @staticmethod
    def _media(media_id: str, mime_type: str, content: bytes) -> JSONDict:
        return {"mime_type": mime_type, "sha256": _b64_sha256(content), "id": media_id}

    def image(
        self,
        wa_id: str,
        media_id: str,
        *,
        mime_type: str = "image/jpeg",
        caption: str | None = None,
        content: bytes = b"",
        **options: Any,
    ) -> JSONDict:
        """A photo (``image`` with ``id``, ``mime_type``, ``sha256`` and ``caption``)."""
        image = self._media(media_id, mime_type, content)
        if caption is not None:
            image = {"caption": caption, **image}
        return self._message(wa_id, "image", image, **options)

    def document(
        self,
        wa_id: str,
        media_id: str,
        filename: str,
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        content: bytes = b"",
        **options: Any,
    ) -> JSONDict:
        """A document (with its ``filename``)."""
        document = {"filename": filename, **self._media(media_id, mime_type, content)}
        if caption is not None:
            document = {"caption": caption, **document}
        return self._message(wa_id, "document", document, **options)

    def audio(
        self,
        wa_id: str,
        media_id: str,
        *,
        voice: bool = True,
        mime_type: str = "audio/ogg; codecs=opus",
        content: bytes = b"",
        **options: Any,
    ) -> JSONDict:
        """A voice note (``voice: true``) or an audio file."""
        audio = {**self._media(media_id, mime_type, content), "voice": voice}
        return self._message(wa_id, "audio", audio, **options)

    def video(
        self,
        wa_id: str,
        media_id: str,
        *,
        mime_type: str = "video/mp4",
        caption: str | None = None,
        content: bytes = b"",
        **options: Any,
    ) -> JSONDict:
        """A video."""
        video = self._media(media_id, mime_type, content)
        if caption is not None:
            video = {"caption": caption, **video}
        return self._message(wa_id, "video", video, **options)

    def sticker(self, wa_id: str, media_id: str = "", **options: Any) -> JSONDict:
        """A sticker (``image/webp``)."""
        sticker = {
            "mime_type": "image/webp",
            "sha256": _b64_sha256(b"sticker"),
            "id": media_id or new_media_id(),
            "animated": False,
        }
        return self._message(wa_id, "sticker", sticker, **options)

    def reaction(self, wa_id: str, message_id: str, emoji: str | None, **options: Any) -> JSONDict:
        """A reaction to a message (no ``emoji`` when a reaction is taken back)."""
        reaction: JSONDict = {"message_id": message_id}
        if emoji is not None:
            reaction["emoji"] = emoji
        return self._message(wa_id, "reaction", reaction, **options)

    def contacts(self, wa_id: str, name: str, phone: str, **options: Any) -> JSONDict:
        """Shared contact cards (``contacts[]`` inside the message)."""
        first, _, last = name.partition(" ")
        card = {
            "name": {"formatted_name": name, "first_name": first, "last_name": last},
            "phones": [{"phone": phone, "wa_id": phone.lstrip("+"), "type": "MOBILE"}],
        }
        return self._message(wa_id, "contacts", [card], **options)

    def unsupported(self, wa_id: str, **options: Any) -> JSONDict:
        """A message type the Cloud API cannot pass on (``type: unsupported``)."""
        message = self._message(wa_id, "unsupported", None, **options)
        message["errors"] = [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ]
        return message

    def system(self, wa_id: str, new_wa_id: str, **options: Any) -> JSONDict:
        """A system message: the citizen changed their number."""
        body = {
            "body": f"User {wa_id} changed from {wa_id} to {new_wa_id}",
            "wa_id": new_wa_id,
            "type": "user_changed_number",
        }
        return self._message(wa_id, "system", body, **options)

    def of_type(self, wa_id: str, kind: str, content: JSONDict, **options: Any) -> JSONDict:
        """A message of any `kind` (for types the gateway does not know)."""
        return self._message(wa_id, kind, content, **options)

    # -- statuses (one entry of ``statuses[]``) ------------------------------------------

    def status(
        self,
        wamid: str,
        status: str,
        recipient_id: str,
        *,
        timestamp: float | None = None,
        errors: Iterable[Mapping[str, Any]] | None = None,
    ) -> JSONDict:
        """A status of an outgoing message: sent, delivered, read or failed."""
        item: JSONDict = {
            "id": wamid,
            "status": status,
            "timestamp": _timestamp(timestamp),
            "recipient_id": recipient_id,
        }
        if status == "failed":
            item["errors"] = [dict(e) for e in errors or [status_error(131000)]]
            return item
        item["conversation"] = {
            "id": "CONVERSATION_" + wamid[-12:],
            "origin": {"type": "service"},
        }
        if status == "sent":
            item["conversation"]["expiration_timestamp"] = _timestamp(
                (timestamp or time.time()) + 86_400
            )
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
        return item

    def failed(self, wamid: str, recipient_id: str, code: int, **options: Any) -> JSONDict:
        """A ``failed`` status with Meta's error `code`."""
        return self.status(wamid, "failed", recipient_id, errors=[status_error(code)], **options)


_STATUS_ERRORS = {
    131026: ("Message undeliverable", "Message Undeliverable."),
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131049: (
        "This message was not delivered to maintain healthy ecosystem engagement.",
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    ),
    131000: ("Something went wrong", "Something went wrong"),
}


def status_error(code: int) -> JSONDict:
    """An entry of a failed status's ``errors[]``."""
    title, details = _STATUS_ERRORS.get(code, ("Error", "Error"))
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
