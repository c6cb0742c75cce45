"""Rasa's REST channel, seen from the gateway."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.privacy import mask

logger = logging.getLogger(__name__)


class RasaUnavailableError(Exception):
    """Rasa did not answer, answered too slowly or failed."""


@dataclass(frozen=True)
class Button:
    """A choice the citizen can tap: its label and the message it sends."""

    title: str
    payload: str


@dataclass(frozen=True)
class BotReply:
    """One message of the assistant."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)


def parse_replies(data: Any) -> list[BotReply]:
    """Rasa REST channel replies (`[{"text", "buttons", "image", "custom"}]`) in order."""
    if not isinstance(data, list):
        raise RasaUnavailableError(f"unexpected reply from Rasa: {type(data).__name__}")
    replies = []
    for item in data:
        if not isinstance(item, dict):
            continue
        buttons = tuple(
            Button(title=str(b.get("title") or b.get("payload")), payload=str(b["payload"]))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("payload")
        )
        custom = item.get("custom")
        replies.append(
            BotReply(
                text=str(item.get("text") or ""),
                buttons=buttons,
                image=item.get("image") or None,
                custom=custom if isinstance(custom, dict) else {},
            )
        )
    return replies


class RasaClient:
    """Sends citizens' messages to Rasa's REST channel and returns the assistant's replies."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        """One turn of the conversation `sender_id`.

        Raises:
            RasaUnavailableError: Rasa is down, too slow or answered with an error.
        """
        body = {"sender": sender_id, "message": text, "metadata": metadata}
        try:
            response = await self._http.post(self._url, json=body)
        except httpx.HTTPError as exc:
            logger.warning("Rasa unreachable for %s: %r", mask(sender_id), exc)
            raise RasaUnavailableError(str(exc) or type(exc).__name__) from exc
        if response.status_code != 200:
            logger.warning("Rasa answered HTTP %s for %s", response.status_code, mask(sender_id))
            raise RasaUnavailableError(f"HTTP {response.status_code}")
        try:
            return parse_replies(response.json())
        except ValueError as exc:
            raise RasaUnavailableError("Rasa answered with something that is not JSON") from exc


def rasa_http_client(timeout_seconds: float) -> httpx.AsyncClient:
    """An HTTP client for Rasa: a short connect timeout, a long read timeout for slow turns."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=3.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
    )
