"""The backend's report events, as the notifier reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STATUS_CHANGED = "complaint.status_changed"
RECEIPT = "complaint.receipt"
#: An officer's question to the reporter (issue 17): sent even with status updates off.
QUESTION = "complaint.question"
#: A report was merged into another as a duplicate (issue 18): its citizens follow that one.
MERGED = "complaint.merged"
#: A person took over the chat, wrote in it, handed it back to the assistant.
TAKEOVER = "conversation.takeover"
OFFICER_MESSAGE = "conversation.message"
RELEASED = "conversation.released"
#: Events of a takeover: about the conversation, delivered whatever the chat's settings.
CONVERSATION_TYPES = frozenset({TAKEOVER, OFFICER_MESSAGE, RELEASED})
#: Events a citizen is told about (a new report's tracking ID is said in the chat itself).
NOTIFIED_TYPES = frozenset({STATUS_CHANGED, RECEIPT, QUESTION, MERGED}) | CONVERSATION_TYPES


class MalformedEventError(ValueError):
    """An event without the fields the notifier needs."""


@dataclass(frozen=True)
class ReportEvent:
    """One change of a report, from the backend's outbox."""

    event_id: str
    type: str
    tracking_id: str
    status: str
    sender_id: str | None
    note: str | None = None
    previous_status: str | None = None
    agency: str | None = None
    notifications_enabled: bool = True
    language: str | None = None
    #: The officer's words (a question, a message during a takeover).
    text: str | None = None
    question_id: str | None = None
    #: The backend's ID of an officer's message during a takeover.
    message_id: str | None = None
    #: The name shown for the person who took over (None: hidden).
    agent_name: str | None = None
    #: Why a takeover ended: "officer" or "idle".
    reason: str | None = None
    #: The report a merged duplicate now follows.
    original_tracking_id: str | None = None

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> ReportEvent:
        """Parse an outbox payload.

        Raises:
            MalformedEventError: a required field is missing.
        """
        try:
            return cls(
                event_id=str(data["event_id"]),
                type=str(data["type"]),
                tracking_id=str(data.get("tracking_id") or "")
                if data.get("type") in CONVERSATION_TYPES
                else str(data["tracking_id"]),
                status=str(data.get("status") or "")
                if data.get("type") in CONVERSATION_TYPES
                else str(data["status"]),
                sender_id=str(data["chat_id"]) if data.get("chat_id") else None,
                note=str(data["note"]) if data.get("note") else None,
                previous_status=data.get("previous_status"),
                agency=data.get("agency"),
                notifications_enabled=bool(data.get("notifications_enabled", True)),
                language=data.get("language") if data.get("language") in ("id", "en") else None,
                text=_optional(data.get("text")),
                question_id=_optional(data.get("question_id")),
                message_id=_optional(data.get("message_id")),
                agent_name=_optional(data.get("agent_name")),
                reason=_optional(data.get("reason")),
                original_tracking_id=_optional(data.get("original_tracking_id")),
            )
        except KeyError as exc:
            raise MalformedEventError(f"event without {exc.args[0]!r}") from exc

    @property
    def channel(self) -> str:
        """The channel of the citizen's conversation (`telegram`, `whatsapp`, ...)."""
        return (self.sender_id or "").partition(":")[0]

    @property
    def chat_id(self) -> str:
        """The chat on that channel."""
        return (self.sender_id or "").partition(":")[2]

    @property
    def concerns_citizen(self) -> bool:
        """Whether the citizen is told about this event at all."""
        return self.type in NOTIFIED_TYPES and bool(self.chat_id)

    @property
    def is_conversation(self) -> bool:
        """A takeover's event (its delivery state goes to the conversation, not a report)."""
        return self.type in CONVERSATION_TYPES

    @property
    def is_status_update(self) -> bool:
        """Whether the chat's "no status updates" choice applies (questions and a
        person's messages are not status updates: they always go)."""
        return self.type in (STATUS_CHANGED, RECEIPT)


def _optional(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
