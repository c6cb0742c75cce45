"""Writing status updates into the citizen's Rasa conversation (Rasa's HTTP API)."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

from bot.privacy import mask

logger = logging.getLogger(__name__)


#: The intent that puts an officer's question in the conversation (stories/thread.yml).
EXPECT_ANSWER_INTENT = "EXTERNAL_reporter_question"


class ConversationLogError(Exception):
    """Rasa's HTTP API did not take the events."""


class ConversationLog:
    """Appends events to a conversation through `POST /conversations/{id}/tracker/events`."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token

    async def _append(self, sender_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        url = f"{self._base}/conversations/{quote(sender_id, safe='')}/tracker/events"
        params = {"include_events": "NONE", "token": self._token}
        try:
            response = await self._http.post(url, json=events, params=params)
        except httpx.HTTPError as exc:
            raise ConversationLogError(str(exc) or type(exc).__name__) from exc
        if response.status_code != 200:
            raise ConversationLogError(f"HTTP {response.status_code}")
        try:
            tracker = response.json()
        except ValueError as exc:
            raise ConversationLogError("Rasa answered with something that is not JSON") from exc
        if not isinstance(tracker, dict):
            raise ConversationLogError("Rasa's answer is not a tracker")
        return tracker

    async def open_update(self, sender_id: str, tracking_id: str) -> str:
        """Put the report in context (`tracking_id` slot); returns the citizen's language."""
        tracker = await self._append(
            sender_id, [{"event": "slot", "name": "tracking_id", "value": tracking_id}]
        )
        language = (tracker.get("slots") or {}).get("language")
        return "en" if language == "en" else "id"

    async def record_message(
        self,
        sender_id: str,
        text: str,
        event_id: str,
        tracking_id: str | None = None,
        by_person: bool = False,
    ) -> None:
        """Log the update as the bot's message (and its report as the one in context);
        `by_person`: an officer wrote it during a takeover (marked in its metadata)."""
        events: list[dict[str, Any]] = []
        if tracking_id:
            events.append({"event": "slot", "name": "tracking_id", "value": tracking_id})
        events.append(
            {
                "event": "bot",
                "text": text,
                "timestamp": time.time(),
                "metadata": {"notification_event_id": event_id}
                | ({"written_by": "person"} if by_person else {}),
            }
        )
        try:
            await self._append(sender_id, events)
        except ConversationLogError as exc:  # the citizen has the message: log, go on
            logger.warning("update not logged in %s's conversation: %s", mask(sender_id), exc)

    async def expect_answer(self, sender_id: str, tracking_id: str) -> None:
        """Make the conversation take the citizen's next messages as the answer.

        Rasa's `POST /conversations/{id}/trigger_intent` with `EXTERNAL_reporter_question`
        and the tracking ID as entity: its rule runs `action_expect_answer`, which notes
        the open question and says nothing. What Rasa returns is discarded. A failure is
        logged: the citizen can still answer with "tambah info laporan <ID>".
        """
        # Rasa takes this path parameter as it is: "telegram%3A1" would be another chat.
        url = f"{self._base}/conversations/{quote(sender_id, safe=':')}/trigger_intent"
        body = {"name": EXPECT_ANSWER_INTENT, "entities": {"tracking_id": tracking_id}}
        params = {"token": self._token, "include_events": "NONE"}
        try:
            response = await self._http.post(url, json=body, params=params)
        except httpx.HTTPError as exc:
            logger.warning("answer to %s not expected: %s", mask(sender_id), exc)
            return
        if response.status_code != 200:
            logger.warning(
                "answer to %s not expected: HTTP %s", mask(sender_id), response.status_code
            )
