"""Telling the backend how each notification went (shown with the report to officers).

A takeover's messages (no report of their own) go to the conversation instead:
`PUT /api/v1/conversations/{conversation_id}/deliveries/{event_id}`.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from bot.notifier.events import ReportEvent

logger = logging.getLogger(__name__)


class DeliveryReporter:
    """`PUT /api/v1/complaints/{tracking_id}/notifications/{event_id}` with the state."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def report(
        self,
        event: ReportEvent,
        state: str,
        message_id: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Record the state; False (logged) when the backend did not take it."""
        if event.is_conversation or not event.tracking_id:
            conversation = quote(event.sender_id or "", safe="")
            url = f"{self._base}/api/v1/conversations/{conversation}/deliveries/{event.event_id}"
        else:
            url = (
                f"{self._base}/api/v1/complaints/{event.tracking_id}/notifications/{event.event_id}"
            )
        body = {
            "channel": event.channel,
            "state": state,
            "message_id": message_id,
            "reason": reason,
        }
        try:
            response = await self._http.put(url, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            logger.warning("delivery state of %s not recorded: %s", event.event_id, exc)
            return False
        if response.status_code >= 300:
            logger.warning(
                "delivery state of %s refused: HTTP %s", event.event_id, response.status_code
            )
            return False
        return True
