"""The backend's report events, as the notifier reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STATUS_CHANGED = "complaint.status_changed"
RECEIPT = "complaint.receipt"
#: Events a citizen is told about (a new report's tracking ID is said in the chat itself).
NOTIFIED_TYPES = frozenset({STATUS_CHANGED, RECEIPT})


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
                tracking_id=str(data["tracking_id"]),
                status=str(data["status"]),
                sender_id=str(data["chat_id"]) if data.get("chat_id") else None,
                note=str(data["note"]) if data.get("note") else None,
                previous_status=data.get("previous_status"),
                agency=data.get("agency"),
                notifications_enabled=bool(data.get("notifications_enabled", True)),
                language=data.get("language") if data.get("language") in ("id", "en") else None,
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
