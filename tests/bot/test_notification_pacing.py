"""Notifications in the bot's window: below the headroom, room reserved ahead, replies first."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import Forbidden, RetryAfter

from bot.ratelimit import MemorySlotStore, Rate, RateLimiter
from bot.sendwindow import MemorySendLog, SendWindow
from bot.telegram.ratelimiter import (
    NOTIFICATION,
    WINDOW_KEY,
    TelegramLimits,
    TelegramRateLimiter,
)
from tests.bot.fakes import FakeClock, FakeSleep

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

OK = {"message_id": 1}
WINDOW = 1.0
LIMITS = TelegramLimits(per_window=5, reply_headroom=1, per_chat=Rate(1.0, burst=3))


class SpyLog(MemorySendLog):
    """Counts the room taken and given back."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.taken = 0
        self.cancelled = 0

    async def try_take(self, key: str, ceiling: int, window: float, ticket: str) -> float:
        wait = await super().try_take(key, ceiling, window, ticket)
        self.taken += wait == 0.0
        return wait

    async def cancel(self, key: str, ticket: str) -> None:
        self.cancelled += 1
        await super().cancel(key, ticket)


class Rig:
    """A TelegramRateLimiter on a fake clock whose window is a spied in-process log."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.log = SpyLog(self.clock)
        sleep = FakeSleep(self.clock)
        self.limiter = TelegramRateLimiter(
            RateLimiter(MemorySlotStore(clock=self.clock), sleep=sleep),
            SendWindow(self.log, window=WINDOW, sleep=sleep),
            LIMITS,
            sleep=sleep,
        )
        self.sent: list[tuple[int, float]] = []

    async def send(self, chat: int, kind: str | None = None, outcome: Any = OK) -> Any:
        """A sendMessage to `chat`, a reply (None) or a notification."""

        async def callback() -> Any:
            self.sent.append((chat, self.clock.now))
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        data = {"chat_id": chat, "text": "halo"}
        return await self.limiter.process_request(callback, (), {}, "sendMessage", data, kind)

    async def in_window(self) -> float:
        """Seconds a reply would wait now (0: there is room)."""
        wait = await self.log.try_take(WINDOW_KEY, LIMITS.per_window, WINDOW, "probe")
        await self.log.cancel(WINDOW_KEY, "probe")
        self.log.cancelled -= 1
        self.log.taken -= wait == 0.0
        return wait


def test_notifications_stop_short_of_the_limit_by_the_headroom() -> None:
    assert LIMITS.notification_ceiling == 4
    assert TelegramLimits(per_window=30).notification_ceiling == 29
    assert TelegramLimits(per_window=1, reply_headroom=3).notification_ceiling == 1


async def test_notifications_leave_the_headroom_to_replies() -> None:
    rig = Rig()
    start = rig.clock.now
    for chat in range(4):
        assert await rig.send(chat, NOTIFICATION) == OK
    assert [at - start for _, at in rig.sent] == [0, 0, 0, 0]
    await rig.send(100)  # a reply takes the last place at once
    assert rig.sent[-1] == (100, start)
    await rig.send(5, NOTIFICATION)  # the next notification waits for two to leave
    assert rig.sent[-1] == (5, pytest.approx(start + 1.0))


async def test_a_reply_waits_only_when_the_whole_window_is_full() -> None:
    rig = Rig()
    start = rig.clock.now
    for chat in range(5):
        await rig.send(chat)
    await rig.send(5)
    assert [at - start for _, at in rig.sent] == pytest.approx([0, 0, 0, 0, 0, 1.0])


async def test_room_reserved_ahead_is_used_by_the_next_notification() -> None:
    rig = Rig()
    await rig.limiter.reserve_notification_room()
    assert rig.log.taken == 1
    await rig.send(1, NOTIFICATION)
    assert rig.log.taken == 1, "the send used the room reserved for it"
    await rig.send(2, NOTIFICATION)
    assert rig.log.taken == 2, "room is reserved once: the next send takes its own"


async def test_a_reply_never_uses_room_reserved_for_a_notification() -> None:
    rig = Rig()
    await rig.limiter.reserve_notification_room()
    await rig.send(1)
    assert rig.log.taken == 2


async def test_unused_reserved_room_is_given_back_at_the_next_reservation() -> None:
    rig = Rig()
    await rig.limiter.reserve_notification_room()  # the update was handled already
    await rig.limiter.reserve_notification_room()
    assert rig.log.cancelled == 1
    assert rig.log.taken == 2


async def test_released_room_is_free_at_once_and_not_used_by_the_next_send() -> None:
    rig = Rig()
    for _ in range(LIMITS.notification_ceiling):  # the claim was lost each time
        await rig.limiter.reserve_notification_room()
        await rig.limiter.release_notification_room()
    assert rig.log.cancelled == LIMITS.notification_ceiling
    assert await rig.in_window() == 0.0
    start = rig.clock.now
    for chat in range(LIMITS.notification_ceiling):
        await rig.send(chat, NOTIFICATION)
    assert [at for _, at in rig.sent] == [start] * LIMITS.notification_ceiling
    assert rig.log.taken == 2 * LIMITS.notification_ceiling, "each send took room of its own"


async def test_releasing_without_reserved_room_gives_nothing_back() -> None:
    rig = Rig()
    await rig.limiter.release_notification_room()
    await rig.limiter.reserve_notification_room()
    await rig.send(1, NOTIFICATION)
    await rig.limiter.release_notification_room()  # the send used it already
    assert rig.log.cancelled == 0


async def test_a_failed_send_still_counts_from_its_answer() -> None:
    rig = Rig()
    for chat in range(4):
        with pytest.raises(Forbidden):
            await rig.send(chat, outcome=Forbidden("Forbidden: bot was blocked by the user"))
    await rig.send(4)
    assert await rig.in_window() == pytest.approx(1.0), "the refused sends may have arrived"
    rig.clock.advance(1.0)
    assert await rig.in_window() == 0.0


async def test_a_429_retry_takes_new_room() -> None:
    rig = Rig()
    await rig.limiter.reserve_notification_room()
    with pytest.raises(RetryAfter):
        await rig.send(7, NOTIFICATION, outcome=RetryAfter(1))
    assert len(rig.sent) == LIMITS.max_attempts
    assert rig.log.taken == LIMITS.max_attempts, "the reserved room, then new room per retry"
