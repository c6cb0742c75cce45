"""A citizen chatting with the running assistant over Rasa's REST channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conversation.conftest import Assistant

FALLBACK_MARKERS = ("saya belum paham maksud", "I didn't quite understand")


@dataclass
class Chat:
    """One conversation: what the citizen sent and what the assistant answered."""

    assistant: Assistant
    sender: str
    metadata: dict[str, Any] = field(default_factory=dict)
    turns: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def say(self, text: str, **extra: Any) -> list[dict[str, Any]]:
        """Send one message; the replies."""
        replies = self.assistant.say(self.sender, text, {**self.metadata, **extra})
        self.turns.append((text, replies))
        return replies

    def text(self, message: str, **extra: Any) -> str:
        """Send one message; the replies' texts joined."""
        return texts(self.say(message, **extra))

    @property
    def last_buttons(self) -> list[dict[str, str]]:
        """The buttons of the latest reply that has any."""
        for reply in reversed(self.turns[-1][1] if self.turns else []):
            if reply.get("buttons"):
                return list(reply["buttons"])
        return []

    def tap(self, title: str) -> str:
        """Tap the latest reply's button with this title; the replies' texts."""
        for button in self.last_buttons:
            if button["title"] == title:
                return self.text(button["payload"])
        raise AssertionError(f"no button {title!r} in {self.last_buttons}")

    def tracking_id(self) -> str | None:
        """The tracking ID the assistant gave in this conversation, if any."""
        for _, replies in reversed(self.turns):
            joined = texts(replies)
            for marker in ("Nomor laporan: ", "Tracking ID: "):
                if marker in joined:
                    return joined.split(marker)[1].split()[0]
        return None

    def report(self) -> dict[str, Any]:
        """The filed report as the backend has it."""
        tracking_id = self.tracking_id()
        assert tracking_id, self.transcript()
        return backend_report(self.assistant, tracking_id)

    def fallback_count(self) -> int:
        """How many citizen messages got the "I don't understand" answer."""
        return sum(
            any(marker in texts(replies) for marker in FALLBACK_MARKERS)
            for _, replies in self.turns
        )

    def transcript(self) -> str:
        """The conversation as text, for assertion messages."""
        lines = []
        for said, replies in self.turns:
            lines.append(f"> {said}")
            lines += [f"  {r.get('text', '')}" for r in replies]
        return "\n".join(lines)


def texts(replies: list[dict[str, Any]]) -> str:
    """All reply texts joined."""
    return "\n".join(str(r.get("text", "")) for r in replies)


def questions_in(replies: list[dict[str, Any]]) -> int:
    """How many of the replies ask something (a question mark or buttons)."""
    return sum(1 for r in replies if "?" in str(r.get("text", "")) or r.get("buttons"))


def backend_report(assistant: Assistant, tracking_id: str) -> dict[str, Any]:
    """GET a report from the backend with the service token."""
    headers = {"Authorization": f"Bearer {assistant.backend_token}"}
    response = httpx.get(
        f"{assistant.backend_url}/api/v1/complaints/{tracking_id}", headers=headers, timeout=10
    )
    response.raise_for_status()
    report: dict[str, Any] = response.json()
    return report
