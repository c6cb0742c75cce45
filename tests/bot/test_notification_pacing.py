"""Notifications under Telegram's overall limit: their share, no bunching, conversations first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.ratelimit import MemorySlotStore, Rate, RateLimiter
from bot.telegram.ratelimiter import NOTIFICATION, TelegramLimits, TelegramRateLimiter
from tests.bot.fakes import FakeClock, FakeSleep

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

OK = {"message_id": 1}
LIMITS = TelegramLimits(
    overall=Rate(per_second=10.0, burst=2),
    per_chat=Rate(per_second=1.0, burst=3),
    notifications=Rate(per_second=5.0, burst=1),
)


class SpyStore(MemorySlotStore):
    """Records the keys reserved, in order."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.reserved: list[str] = []

    async def reserve(self, key: str, rate: Rate) -> float:
        self.reserved.append(key)
        return await super().reserve(key, rate)


class Rig:
    """A TelegramRateLimiter on a fake clock; slot sleeps move the clock."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = SpyStore(self.clock)
        self.sleep = FakeSleep(self.clock)
        self.limiter = TelegramRateLimiter(
            RateLimiter(self.store, sleep=self.sleep, clock=self.clock),
            LIMITS,
            sleep=FakeSleep(),
        )
        self.sent: list[tuple[str, float]] = []

    async def send(self, chat_id: int, kind: str | None = None) -> Any:
        async def callback() -> Any:
            self.sent.append((kind or "reply", self.clock.now))
            return OK

        data = {"chat_id": chat_id, "text": "x"}
        return await self.limiter.process_request(callback, (), {}, "sendMessage", data, kind)


# -- RateLimiter.wait_turn(retake_first=True) ----------------------------------------------


async def test_a_shared_slot_is_taken_again_after_a_longer_wait_for_another_limit() -> None:
    clock = FakeClock()
    store = SpyStore(clock)
    limiter = RateLimiter(store, sleep=FakeSleep(clock), clock=clock)
    overall, chat = ("all", Rate(10.0, burst=1)), ("chat", Rate(1.0, burst=1))
    await limiter.wait_turn([overall, chat], retake_first=True)
    start = clock.now
    # The chat's next slot is a second away: the overall slot reserved now would be gone.
    await limiter.wait_turn([overall, chat], retake_first=True)
    assert clock.now - start == pytest.approx(1.0)
    assert store.reserved == ["all", "chat", "all", "chat", "all"]
    # Without the option, as before: one reservation each, one sleep.
    store.reserved.clear()
    await limiter.wait_turn([overall, chat])
    assert store.reserved == ["all", "chat"]


async def test_a_slot_overslept_by_a_stall_is_taken_again() -> None:
    clock = FakeClock()
    store = SpyStore(clock)

    async def stalled_sleep(seconds: float) -> None:
        clock.advance(seconds + 0.5)  # the process was busy for half a second more

    limiter = RateLimiter(store, sleep=stalled_sleep, clock=clock)
    overall = ("all", Rate(10.0, burst=1))
    await limiter.wait_turn([overall], retake_first=True)
    await limiter.wait_turn([overall], retake_first=True)  # waits 0.1 s, wakes 0.5 s late
    assert store.reserved == ["all", "all", "all"]
    # A sleep that keeps time keeps its slot.
    punctual = RateLimiter(SpyStore(clock), sleep=FakeSleep(clock), clock=clock)
    await punctual.wait_turn([overall], retake_first=True)
    await punctual.wait_turn([overall], retake_first=True)
    assert punctual._store.reserved == ["all", "all"]  # type: ignore[attr-defined]


# -- TelegramRateLimiter: notifications and conversation replies ---------------------------


async def test_a_notification_waits_for_its_chat_its_share_then_the_overall_slot() -> None:
    rig = Rig()
    assert await rig.send(42, NOTIFICATION) == OK
    assert rig.store.reserved == ["telegram:chat:42", "telegram:notify:send", "telegram:all"]
    await rig.send(43, NOTIFICATION)  # its share makes it wait: the overall slot comes after
    assert rig.store.reserved[3:] == ["telegram:chat:43", "telegram:notify:send", "telegram:all"]


async def test_notifications_keep_their_share_and_never_use_the_burst() -> None:
    rig = Rig()
    for chat in range(4):
        await rig.send(chat, NOTIFICATION)
    times = [at - rig.sent[0][1] for _, at in rig.sent]
    assert times == pytest.approx([0.0, 0.2, 0.4, 0.6])  # 5/s, not the overall 10/s


async def test_a_reply_goes_at_once_right_after_a_notification() -> None:
    rig = Rig()
    await rig.send(1, NOTIFICATION)
    start = rig.clock.now
    await rig.send(2)  # the overall burst lets it go one slot ahead of the schedule
    assert rig.sent[-1] == ("reply", start)
    await rig.send(3, NOTIFICATION)  # the notification after it waits its turn
    assert rig.sent[-1][1] - start == pytest.approx(0.2)


async def test_one_notification_at_a_time_holds_an_overall_slot() -> None:
    clock = FakeClock()
    store = SpyStore(clock)
    gate = asyncio.Event()
    slept: list[float] = []

    async def gated_sleep(seconds: float) -> None:
        slept.append(seconds)
        await gate.wait()
        clock.advance(seconds)

    limiter = TelegramRateLimiter(
        RateLimiter(store, sleep=gated_sleep, clock=clock), LIMITS, sleep=FakeSleep()
    )

    async def send(chat_id: int) -> Any:
        data = {"chat_id": chat_id, "text": "x"}

        async def callback() -> Any:
            return OK

        return await limiter.process_request(callback, (), {}, "sendMessage", data, NOTIFICATION)

    first = asyncio.create_task(send(1))  # goes at once
    await asyncio.sleep(0)
    second = asyncio.create_task(send(2))  # must wait for its slot
    third = asyncio.create_task(send(3))
    for _ in range(20):
        await asyncio.sleep(0)
    assert first.done()
    # The third has its chat slot but no other: only the second holds a slot ahead.
    assert store.reserved.count("telegram:notify:send") == 2
    assert store.reserved.count("telegram:all") == 1
    assert slept == pytest.approx([0.2])
    gate.set()
    await asyncio.wait_for(asyncio.gather(second, third), timeout=1)
    assert store.reserved.count("telegram:all") == 3
