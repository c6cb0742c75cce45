"""Messages the gateway must deliver on its own initiative (status updates), per channel.

The notifier hands a `Notification` to the channel's `NotificationSender`; the channel
applies its own rules (Telegram's limits; WhatsApp's 24-hour window, where a
template message stands in for free text) and answers with a `DeliveryResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.rasa import Button

#: Stands for the channel's question template (WHATSAPP_QUESTION_TEMPLATE_NAME).
QUESTION_TEMPLATE = "question"


@dataclass(frozen=True)
class Notification:
    """One message to one citizen.

    Attributes:
        chat_id: The chat on its channel (without the `telegram:` prefix).
        text: The free-form message.
        template_params: Body parameters of the channel's approved template, used by
            WhatsApp outside the 24-hour customer-service window.
        buttons: Quick answers offered with the message.
        language: "id" or "en".
        template: Which approved template stands in outside WhatsApp's window: None
            the status template, "question" the question template, "" none (the
            message is free text only and fails, named, outside the window).
    """

    chat_id: str
    text: str
    template_params: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    language: str = "id"
    template: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """What the platform said.

    Attributes:
        accepted: The platform took the message (sent; delivery may follow).
        message_id: The platform's ID of the sent message, to match later receipts.
        failure: Why it was not accepted (blocked, undeliverable, ...), when it was not.
        permanent: True when retrying cannot help (blocked, no such user).
    """

    accepted: bool
    message_id: str | None = None
    failure: str | None = None
    permanent: bool = False


class NotificationSender(Protocol):
    """A channel's way of sending a notification.

    The notifier first waits for `pace()` (room for the notification within the
    channel's limits, leaving conversations theirs), records that it is about to
    send, then calls `deliver()` at once; when it finds that the update is not to be
    sent after all (handled already), it calls `release()` instead.
    """

    channel: str

    async def pace(self) -> None:
        """Wait for room for the next notification (and take it, where the channel can)."""

    async def release(self) -> None:
        """Give back the room `pace()` took, for a notification that will not be sent."""

    async def deliver(self, notification: Notification) -> DeliveryResult:
        """Send `notification` now, within the channel's rules."""
