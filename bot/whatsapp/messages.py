"""Bodies of `POST /{phone-number-id}/messages`, by message type (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: WhatsApp's limit on a text message's body.
MAX_TEXT_LENGTH = 4096
#: A template parameter may not hold line breaks, tabs or runs of spaces (error 132018).
MAX_TEMPLATE_PARAMETER = 1000

Message = dict[str, Any]


def envelope(to: str, message: Message) -> dict[str, Any]:
    """The full request body: product, recipient and the typed message."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}


def text_message(body: str, preview_url: bool = False) -> Message:
    """A text message (at most 4,096 characters)."""
    return {"type": "text", "text": {"preview_url": preview_url, "body": body}}


def interactive_message(interactive: dict[str, Any]) -> Message:
    """An interactive message (reply buttons or a list)."""
    return {"type": "interactive", "interactive": interactive}


def image_message(link: str, caption: str = "") -> Message:
    """An image by URL, with an optional caption."""
    image: dict[str, str] = {"link": link}
    if caption:
        image["caption"] = caption
    return {"type": "image", "image": image}


def template_parameter(text: str) -> str:
    """A template body parameter: one line, single spaces, within the length limit."""
    flat = " ".join(text.split()) or "-"
    return flat if len(flat) <= MAX_TEMPLATE_PARAMETER else flat[: MAX_TEMPLATE_PARAMETER - 1] + "…"


def template_message(name: str, language: str, parameters: Sequence[str] = ()) -> Message:
    """An approved template, with its body parameters `{{1}}`, `{{2}}`, ... in order."""
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": template_parameter(p)} for p in parameters],
            }
        ]
    return {"type": "template", "template": template}


def read_receipt(message_id: str, typing: bool = False) -> dict[str, Any]:
    """Marks a received message as read (blue ticks), optionally showing "typing..."."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": message_id,
    }
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body
