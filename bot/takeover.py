"""Chats a person has taken over: marked in the shared state, their messages to the backend.

While an officer holds a conversation (issue 17), the citizen's messages go to the
backend's `POST /api/v1/conversations/{id}/inbound` instead of Rasa, and the bot says
nothing. The notifier marks a chat when it delivers `conversation.takeover` and clears
the mark on `conversation.released`; the gateway loads the active takeovers at start
(`GET /api/v1/takeovers/active`), so a restart keeps routing right; a 409 from the
backend (no takeover any more) clears a stale mark and the message goes to Rasa.

Nothing is lost: when the backend cannot take a message (down, 5xx) the citizen is
asked to send it again (the platforms do not redeliver a message the gateway took).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from bot.metrics import GatewayMetrics
from bot.privacy import mask
from bot.rasa import BotReply, RasaClient
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay, InboundMessage, Outbox
from bot.replies import ReplyCatalogue
from bot.shared_state import SharedState

logger = logging.getLogger(__name__)

#: A mark outlives any takeover the backend would keep (its idle release comes first);
#: a mark left by a lost release event is cleared by the backend's 409.
MARK_TTL_SECONDS = 7 * 86_400.0


def _key(sender_id: str) -> str:
    return f"takeover:{sender_id}"


class TakeoverMarks:
    """Which conversations a person holds, in the gateway's shared state."""

    def __init__(self, state: SharedState) -> None:
        self._state = state

    async def mark(self, sender_id: str) -> None:
        """`sender_id` (e.g. `telegram:123`) is now answered by a person."""
        await self._state.set(_key(sender_id), "1", MARK_TTL_SECONDS)

    async def clear(self, sender_id: str) -> None:
        """The assistant answers `sender_id` again."""
        await self._state.delete(_key(sender_id))

    async def held(self, sender_id: str) -> bool:
        """Whether a person holds `sender_id`."""
        return await self._state.get(_key(sender_id)) is not None


class TakeoverUnavailableError(Exception):
    """The backend could not take the citizen's message now."""


class TakeoverBackend:
    """The backend's takeover endpoints the gateway uses, with the service token."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def forward(self, sender_id: str, text: str, attachments: list[str]) -> bool:
        """Hand the citizen's message to the person: True when taken, False when no
        takeover is active (409).

        Raises:
            TakeoverUnavailableError: the backend is down or failed.
        """
        url = f"{self._base}/api/v1/conversations/{quote(sender_id, safe='')}/inbound"
        body = {"text": text, "attachments": attachments}
        try:
            response = await self._http.post(url, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise TakeoverUnavailableError(str(exc) or type(exc).__name__) from exc
        if response.status_code in (200, 201):
            return True
        if response.status_code in (404, 409):
            return False
        raise TakeoverUnavailableError(f"HTTP {response.status_code}")

    async def active(self) -> list[str]:
        """The conversation IDs a person holds now.

        Raises:
            TakeoverUnavailableError: the backend is down or failed.
        """
        url = f"{self._base}/api/v1/takeovers/active"
        try:
            response = await self._http.get(url, headers=self._headers)
        except httpx.HTTPError as exc:
            raise TakeoverUnavailableError(str(exc) or type(exc).__name__) from exc
        if response.status_code != 200:
            raise TakeoverUnavailableError(f"HTTP {response.status_code}")
        data: Any = response.json()
        items = (data.get("takeovers") or data.get("items")) if isinstance(data, dict) else data
        return [
            str(item["conversation_id"])
            for item in items or []
            if isinstance(item, dict) and item.get("conversation_id")
        ]


async def load_active(backend: TakeoverBackend, marks: TakeoverMarks) -> int:
    """Mark every conversation the backend says a person holds; returns how many.

    A backend that cannot answer is logged: the 409 path and the notifier's events
    still route right, and a held chat's message goes to the backend once marked.
    """
    try:
        held = await backend.active()
    except TakeoverUnavailableError as exc:
        logger.warning("active takeovers not loaded: %s", exc)
        return 0
    for sender_id in held:
        await marks.mark(sender_id)
    return len(held)


def inbound_text(message: InboundMessage) -> str:
    """What the person reads: the text, a pin as coordinates, nothing for a bare file."""
    pin = message.metadata.get("location")
    if isinstance(pin, dict) and "latitude" in pin and "longitude" in pin:
        place = " ".join(str(pin[k]) for k in ("title", "address") if pin.get(k))
        where = f"{pin['latitude']}, {pin['longitude']}"
        return f"Lokasi: {where}" + (f" ({place})" if place else "")
    text = message.text.strip()
    return "" if text in ("/send_attachment", "/share_location") else text


class TakeoverRelay(ConversationRelay):
    """The relay, with a held chat's messages going to the person instead of Rasa."""

    def __init__(
        self,
        rasa: RasaClient,
        replies: ReplyCatalogue,
        state: SharedState,
        reachability: ReachabilityRegistry,
        apology_interval_seconds: float = 60.0,
        metrics: GatewayMetrics | None = None,
        *,
        backend: TakeoverBackend,
    ) -> None:
        super().__init__(
            rasa, replies, state, reachability, apology_interval_seconds, metrics=metrics
        )
        self.marks = TakeoverMarks(state)
        self.takeovers = backend

    async def _relay(self, message: InboundMessage, outbox: Outbox) -> list[BotReply]:
        if not await self.marks.held(message.sender_id):
            return await super()._relay(message, outbox)
        await self._reachability.mark_reachable(message.sender_id)
        attachments = [str(a) for a in message.metadata.get("attachments") or []]
        try:
            taken = await self.takeovers.forward(
                message.sender_id, inbound_text(message), attachments
            )
        except TakeoverUnavailableError as exc:
            logger.error("message of %s not passed on: %s", mask(message.sender_id), exc)
            await self.say(message, "utter_gateway_passed_on_failed", outbox)
            return []
        if taken:
            return []  # the person answers; the bot stays silent
        await self.marks.clear(message.sender_id)  # handed back meanwhile
        return await super()._relay(message, outbox)
