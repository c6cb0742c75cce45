"""Rasa buttons as WhatsApp interactive messages, and back from a tapped choice.

Up to three buttons become reply buttons (titles of at most 20 characters); more
become list messages (at most 10 rows each, titles of at most 24 characters, with the
full title as the row's description when it had to be shortened). More than ten
choices take several list messages, so no choice is ever dropped. A choice's ID
carries its Rasa payload; a payload too long for an ID is kept in the shared state
under a short key that any gateway process can resolve.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.shared_state import SharedState

MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_BUTTON_BODY = 1024
MAX_LIST_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BODY = 4096
#: How long a stored long payload stays usable.
PAYLOAD_TTL_SECONDS = 30 * 86_400
_STORED = "#"
_ELLIPSIS = "…"


@dataclass(frozen=True)
class Choice:
    """A choice to offer: the ID WhatsApp sends back when tapped, and its label."""

    reply_id: str
    title: str


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "…" when it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + _ELLIPSIS


def uses_buttons(choice_count: int) -> bool:
    """Whether this many choices are shown as reply buttons (else as a list)."""
    return 0 < choice_count <= MAX_REPLY_BUTTONS


def body_limit(choice_count: int) -> int:
    """The longest body text the interactive message for this many choices takes."""
    return MAX_BUTTON_BODY if uses_buttons(choice_count) else MAX_LIST_BODY


def reply_buttons(body: str, choices: Sequence[Choice]) -> dict[str, Any]:
    """An interactive `button` object: one to three reply buttons under `body`.

    Raises:
        ValueError: no choices, more than three, or an empty body.
    """
    if not uses_buttons(len(choices)) or not body.strip():
        raise ValueError("reply buttons need a body and one to three choices")
    return {
        "type": "button",
        "body": {"text": truncate_body(body, MAX_BUTTON_BODY)},
        "action": {
            "buttons": [
                {
                    "type": "reply",
                    "reply": {"id": c.reply_id, "title": truncate(c.title, MAX_BUTTON_TITLE)},
                }
                for c in choices
            ]
        },
    }


def _row(choice: Choice) -> dict[str, str]:
    row = {"id": choice.reply_id, "title": truncate(choice.title, MAX_ROW_TITLE)}
    if row["title"] != " ".join(choice.title.split()):
        row["description"] = truncate(choice.title, MAX_ROW_DESCRIPTION)
    return row


def list_message(body: str, choices: Sequence[Choice], button_label: str) -> dict[str, Any]:
    """An interactive `list` object: one section of up to ten rows behind a button.

    Raises:
        ValueError: no choices, more than ten, or an empty body or button label.
    """
    if not 0 < len(choices) <= MAX_LIST_ROWS or not body.strip() or not button_label.strip():
        raise ValueError("a list needs a body, a button label and one to ten choices")
    return {
        "type": "list",
        "body": {"text": truncate_body(body, MAX_LIST_BODY)},
        "action": {
            "button": truncate(button_label, MAX_LIST_BUTTON),
            "sections": [{"rows": [_row(c) for c in choices]}],
        },
    }


def truncate_body(text: str, limit: int) -> str:
    """A body text cut to `limit` characters (line breaks kept)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + _ELLIPSIS


def unique(choices: Sequence[Choice]) -> list[Choice]:
    """The choices without repeated IDs (WhatsApp refuses duplicates), first kept."""
    seen: set[str] = set()
    kept = []
    for choice in choices:
        if choice.reply_id not in seen:
            seen.add(choice.reply_id)
            kept.append(choice)
    return kept


def interactive_messages(
    body: str, choices: Sequence[Choice], list_button: str, more_body: str
) -> list[dict[str, Any]]:
    """The interactive objects offering every choice.

    Args:
        body: The question (the reply's last text).
        choices: The choices, in order.
        list_button: The label of the button that opens a list.
        more_body: The body of the second and later lists ("more choices").
    """
    choices = unique(choices)
    if not choices:
        return []
    if uses_buttons(len(choices)):
        return [reply_buttons(body, choices)]
    pages = [choices[i : i + MAX_LIST_ROWS] for i in range(0, len(choices), MAX_LIST_ROWS)]
    return [
        list_message(body if n == 0 else more_body, page, list_button)
        for n, page in enumerate(pages)
    ]


class PayloadCodec:
    """Turns Rasa payloads into choice IDs and back.

    Payloads that fit travel as they are; longer ones are stored under a short digest
    in the shared state.
    """

    def __init__(self, state: SharedState) -> None:
        self._state = state

    @staticmethod
    def _key(digest: str) -> str:
        return f"whatsapp:payload:{digest}"

    async def encode(self, payload: str, limit: int = MAX_ROW_ID) -> str:
        """The choice ID for `payload` (at most `limit` characters)."""
        if len(payload) <= limit and not payload.startswith(_STORED):
            return payload
        digest = _STORED + hashlib.sha256(payload.encode()).hexdigest()[:32]
        await self._state.set(self._key(digest), payload, PAYLOAD_TTL_SECONDS)
        return digest

    async def decode(self, reply_id: str) -> str | None:
        """The payload behind `reply_id`; None when a stored one has expired."""
        if reply_id.startswith(_STORED):
            return await self._state.get(self._key(reply_id))
        return reply_id
