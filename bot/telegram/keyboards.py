"""Rasa buttons as Telegram inline keyboards, and back from a tapped button."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.rasa import Button
from bot.shared_state import SharedState

#: Telegram's limit on `callback_data`.
MAX_CALLBACK_BYTES = 64
#: Longest title for two buttons side by side on a phone.
SHORT_TITLE = 18
#: How long a stored long payload stays usable.
PAYLOAD_TTL_SECONDS = 30 * 86_400
_STORED = "#"


class ButtonCodec:
    """Turns Rasa payloads into `callback_data` and back.

    Payloads up to 64 bytes travel as they are; longer ones are stored under a short
    digest (in the shared state, so any gateway process can resolve the tap).
    """

    def __init__(self, state: SharedState) -> None:
        self._state = state

    async def encode(self, payload: str) -> str:
        """The `callback_data` for `payload`."""
        if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(_STORED):
            return payload
        digest = _STORED + hashlib.sha256(payload.encode()).hexdigest()[:32]
        await self._state.set(f"button:{digest}", payload, PAYLOAD_TTL_SECONDS)
        return digest

    async def decode(self, callback_data: str) -> str | None:
        """The payload behind `callback_data`; None when a stored one has expired."""
        if callback_data.startswith(_STORED):
            return await self._state.get(f"button:{callback_data}")
        return callback_data

    async def keyboard(self, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
        """An inline keyboard: two short buttons a row, long titles one a row."""
        encoded = [
            InlineKeyboardButton(b.title, callback_data=await self.encode(b.payload))
            for b in buttons
        ]
        width = 2 if all(len(b.title) <= SHORT_TITLE for b in buttons) else 1
        rows = [encoded[i : i + width] for i in range(0, len(encoded), width)]
        return InlineKeyboardMarkup(rows)


def chosen_title(markup: InlineKeyboardMarkup | None, callback_data: str) -> str | None:
    """The title of the button in `markup` that sent `callback_data`."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == callback_data:
                return button.text
    return None
