"""Delivering the assistant's replies on WhatsApp (the relay's `Outbox`).

Replies go out within the conversation the citizen just opened, so they are always
free-form. A citizen WhatsApp cannot reach (131026) is recorded as unreachable and
nothing more is sent in this turn; a rejected token raises the alarm; any other error
is logged with its code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from bot.privacy import mask
from bot.rasa import BotReply
from bot.reachability import ReachabilityRegistry
from bot.whatsapp.compose import ReplyComposer
from bot.whatsapp.errors import (
    GraphAPIError,
    InvalidTokenError,
    ReengagementRequiredError,
    UndeliverableError,
)
from bot.whatsapp.sender import GraphSender

logger = logging.getLogger(__name__)

#: WhatsApp shows "typing..." for up to 25 seconds; renew it a little earlier.
TYPING_RENEW_SECONDS = 20.0
#: How long replies wait for the read receipt, so the ticks come before the answer.
READ_RECEIPT_WAIT_SECONDS = 2.0


def sender_id(wa_id: str) -> str:
    """The conversation ID of a WhatsApp citizen: `whatsapp:<wa_id>`."""
    return f"whatsapp:{wa_id}"


class WhatsAppOutbox:
    """Sends replies to a citizen; marks their messages read and shows "typing..."."""

    def __init__(
        self,
        sender: GraphSender,
        composer: ReplyComposer,
        reachability: ReachabilityRegistry,
        typing_renew_seconds: float = TYPING_RENEW_SECONDS,
    ) -> None:
        self._sender = sender
        self._composer = composer
        self._reachability = reachability
        self._renew = typing_renew_seconds
        self._latest: dict[str, str] = {}
        self._reads: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def acknowledge(self, wa_id: str, message_id: str) -> None:
        """Mark a received message read and show "typing..." (while Rasa thinks)."""
        self._latest[wa_id] = message_id
        task = asyncio.create_task(self._sender.mark_read(message_id, typing=True))
        self._reads[wa_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def done_with(self, wa_id: str, message_id: str) -> None:
        """Forget the citizen's latest message once its turn is over."""
        if self._latest.get(wa_id) == message_id:
            del self._latest[wa_id]
            self._reads.pop(wa_id, None)

    async def _read_receipt_sent(self, wa_id: str) -> None:
        task = self._reads.pop(wa_id, None)
        if task is not None:
            await asyncio.wait({task}, timeout=READ_RECEIPT_WAIT_SECONDS)

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: str) -> AsyncIterator[None]:
        """Keep "typing..." up while a slow turn runs (it lapses after 25 s)."""
        done = asyncio.Event()
        task = asyncio.create_task(self._keep_typing(chat_id, done))
        try:
            yield
        finally:
            done.set()
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)

    async def _keep_typing(self, chat_id: str, done: asyncio.Event) -> None:
        while not done.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), self._renew)
            message_id = self._latest.get(chat_id)
            if not done.is_set() and message_id:
                await self._sender.mark_read(message_id, typing=True)

    async def send_replies(self, chat_id: str, replies: Sequence[BotReply]) -> bool:
        """Deliver `replies` in order; False when the citizen turned out unreachable."""
        await self._read_receipt_sent(chat_id)
        for reply in replies:
            for message in await self._composer.messages(reply):
                try:
                    await self._sender.send(chat_id, message, kind="reply")
                except UndeliverableError as exc:
                    await self._reachability.mark_unreachable(sender_id(chat_id), str(exc))
                    return False
                except InvalidTokenError:
                    return False  # the sender raised the alarm
                except ReengagementRequiredError:
                    logger.warning("reply to %s refused: outside the 24-hour window", mask(chat_id))
                    return False
                except GraphAPIError as exc:
                    logger.error(
                        "reply to %s not delivered: Graph API error %s: %s",
                        mask(chat_id),
                        exc.code,
                        exc,
                    )
                    return False
        return True

    async def close(self) -> None:
        """Cancel read receipts still in flight."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
