"""Delivering the assistant's replies on Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from telegram import Bot, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.privacy import mask
from bot.rasa import BotReply
from bot.reachability import ReachabilityRegistry
from bot.telegram.keyboards import ButtonCodec
from bot.text import split_message

logger = logging.getLogger(__name__)

#: Telegram shows "typing..." for 5 seconds; renew it a little earlier.
TYPING_RENEW_SECONDS = 4.5
#: A quick answer needs no indicator: show it only when the wait gets noticeable.
TYPING_DELAY_SECONDS = 0.8


class TelegramOutbox:
    """Sends replies to a Telegram chat: text split to size, buttons as inline keyboards.

    A chat that blocked the bot (403) is recorded as unreachable and nothing more is
    sent to it in this turn. Rate limits and retries live in the bot's rate limiter.
    """

    def __init__(self, bot: Bot, buttons: ButtonCodec, reachability: ReachabilityRegistry) -> None:
        self._bot = bot
        self._buttons = buttons
        self._reachability = reachability

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: str) -> AsyncIterator[None]:
        """Show "typing..." until the block ends."""
        done = asyncio.Event()
        task = asyncio.create_task(self._keep_typing(int(chat_id), done))
        try:
            yield
        finally:
            # A cancelled HTTP request can surface as a network error (and be retried)
            # instead of CancelledError, so the loop also watches `done`; never wait long.
            done.set()
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)

    async def _keep_typing(self, chat_id: int, done: asyncio.Event) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(done.wait(), TYPING_DELAY_SECONDS)
        while not done.is_set():
            try:
                await self._bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:  # cosmetic: never fail a turn over it
                logger.debug("typing indicator for %s failed: %s", mask(chat_id), exc)
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), TYPING_RENEW_SECONDS)

    async def send_replies(self, chat_id: str, replies: Sequence[BotReply]) -> bool:
        """Deliver `replies` in order; False when the chat turned out unreachable."""
        for reply in replies:
            if not await self._send_reply(int(chat_id), reply):
                return False
        return True

    async def _send_reply(self, chat_id: int, reply: BotReply) -> bool:
        markup = await self._buttons.keyboard(reply.buttons) if reply.buttons else None
        chunks = split_message(reply.text, MessageLimit.MAX_TEXT_LENGTH) if reply.text else []
        try:
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                await self._bot.send_message(chat_id, chunk, reply_markup=markup if last else None)
            if reply.image:
                await self._bot.send_photo(chat_id, reply.image)
        except Forbidden as exc:
            await self._reachability.mark_unreachable(f"telegram:{chat_id}", exc.message)
            return False
        except TelegramError as exc:
            logger.error("reply to %s not delivered: %s", mask(chat_id), exc)
            return False
        return True

    async def show_choice(self, message: MaybeInaccessibleMessage | None, title: str) -> None:
        """Mark the tapped button as chosen: its title under the question, keyboard gone."""
        if not isinstance(message, Message):
            return
        try:
            if message.text:
                await message.edit_text(f"{message.text}\n\n✅ {title}", reply_markup=None)
            else:
                await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup([]))
        except BadRequest as exc:  # already edited, or too old to edit
            logger.debug("could not mark the choice: %s", exc)
        except Forbidden as exc:
            await self._reachability.mark_unreachable(f"telegram:{message.chat.id}", exc.message)
