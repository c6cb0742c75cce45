"""Which citizens the gateway cannot reach (they blocked the bot, the number is gone)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from bot.privacy import mask
from bot.shared_state import SharedState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unreachable:
    """Why and since when a conversation cannot receive messages."""

    reason: str
    since: float


class ReachabilityRegistry:
    """Records unreachable conversations (by sender ID such as `telegram:123`).

    A record stays until the citizen writes again: writing proves they are back.
    """

    def __init__(self, state: SharedState) -> None:
        self._state = state

    @staticmethod
    def _key(sender_id: str) -> str:
        return f"unreachable:{sender_id}"

    async def mark_unreachable(self, sender_id: str, reason: str) -> None:
        """Record that messages to `sender_id` fail for `reason`."""
        record = json.dumps({"reason": reason, "since": time.time()})
        await self._state.set(self._key(sender_id), record)
        logger.warning("conversation %s unreachable: %s", mask(sender_id), reason)

    async def mark_reachable(self, sender_id: str) -> None:
        """The citizen wrote: they can be reached again."""
        await self._state.delete(self._key(sender_id))

    async def unreachable(self, sender_id: str) -> Unreachable | None:
        """The record for `sender_id`, or None when it is reachable."""
        raw = await self._state.get(self._key(sender_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return Unreachable(reason=str(data["reason"]), since=float(data["since"]))
