"""Test doubles shared by the gateway tests: a clock, a sleep and an outbox."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from bot.rasa import BotReply


class FakeClock:
    """A monotonic clock that only moves when a test moves it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSleep:
    """Records the sleeps asked for instead of sleeping (optionally moving a clock)."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[float] = []
        self._clock = clock

    @property
    def clock(self) -> FakeClock:
        """The clock this sleep moves (a new one if it was given none)."""
        if self._clock is None:
            self._clock = FakeClock()
        return self._clock

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self._clock is not None:
            self._clock.advance(seconds)


class FakeOutbox:
    """Records typing indicators and delivered replies, in the order they happened."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.sent: list[tuple[str, list[BotReply]]] = []

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: str) -> AsyncIterator[None]:
        self.events.append(("typing-start", chat_id))
        try:
            yield
        finally:
            self.events.append(("typing-end", chat_id))

    async def send_replies(self, chat_id: str, replies: Sequence[BotReply]) -> bool:
        self.events.append(("send", chat_id))
        self.sent.append((chat_id, list(replies)))
        return True

    @property
    def texts(self) -> list[str]:
        """Every text delivered, in order."""
        return [reply.text for _, replies in self.sent for reply in replies]
