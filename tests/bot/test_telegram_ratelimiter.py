"""Telegram's limits, 429 "retry after" and network retries around every Bot API call."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.ratelimit import MemorySlotStore, Rate, RateLimiter
from bot.sendwindow import MemorySendLog, SendWindow
from bot.telegram.ratelimiter import (
    MESSAGE_METHODS,
    TelegramLimits,
    TelegramRateLimiter,
    retry_after_seconds,
)
from tests.bot.fakes import FakeClock, FakeSleep

# PTB 22 warns that `RetryAfter.retry_after` will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

OK = {"message_id": 1}
LIMITS = TelegramLimits(per_window=30, per_chat=Rate(per_second=1.0, burst=3), max_attempts=5)


class FakeCallback:
    """A Bot API call: raises or returns the scripted outcomes, recording when it ran."""

    def __init__(self, clock: FakeClock, *outcomes: BaseException | Any) -> None:
        self._clock = clock
        self._outcomes = list(outcomes)
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any], float]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs, self._clock.now))
        outcome = self._outcomes.pop(0) if self._outcomes else OK
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @property
    def times(self) -> list[float]:
        return [at for _, _, at in self.calls]


class SpyStore(MemorySlotStore):
    """A slot store that records which keys were reserved and penalised."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.reserved: list[str] = []
        self.penalised: list[tuple[str, float]] = []

    async def reserve(self, key: str, rate: Rate) -> float:
        self.reserved.append(key)
        return await super().reserve(key, rate)

    async def penalise(self, key: str, rate: Rate, seconds: float) -> None:
        self.penalised.append((key, seconds))
        await super().penalise(key, rate, seconds)


class Rig:
    """A TelegramRateLimiter on a fake clock; both sleeps are recorded and move the clock."""

    def __init__(self, limits: TelegramLimits = LIMITS) -> None:
        self.clock = FakeClock()
        self.store = SpyStore(self.clock)
        self.slot_sleep = FakeSleep(self.clock)
        self.retry_sleep = FakeSleep(self.clock)
        self.limiter = TelegramRateLimiter(
            RateLimiter(self.store, sleep=self.slot_sleep),
            SendWindow(MemorySendLog(clock=self.clock), sleep=self.slot_sleep),
            limits,
            sleep=self.retry_sleep,
        )

    async def send(
        self, callback: FakeCallback, chat_id: int | None = 42, endpoint: str = "sendMessage"
    ) -> Any:
        data: dict[str, Any] = {"text": "halo"}
        if chat_id is not None:
            data["chat_id"] = chat_id
        return await self.limiter.process_request(
            callback, ("arg",), {"kw": 1}, endpoint, data, None
        )


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_retry_after_seconds_takes_int_and_timedelta() -> None:
    assert retry_after_seconds(RetryAfter(3)) == 3.0
    assert retry_after_seconds(RetryAfter(dt.timedelta(seconds=7))) == 7.0


async def test_a_send_passes_its_arguments_and_returns_the_result(rig: Rig) -> None:
    callback = FakeCallback(rig.clock, {"message_id": 99})
    assert await rig.send(callback) == {"message_id": 99}
    assert [(args, kwargs) for args, kwargs, _ in callback.calls] == [(("arg",), {"kw": 1})]
    assert rig.store.reserved == ["telegram:chat:42"]
    assert rig.slot_sleep.calls == []


async def test_sends_to_one_chat_burst_then_keep_one_per_second(rig: Rig) -> None:
    callback = FakeCallback(rig.clock)
    start = rig.clock.now
    for _ in range(6):
        await rig.send(callback)
    assert [t - start for t in callback.times] == pytest.approx([0, 0, 0, 1, 2, 3])
    # Another chat is not slowed down by the first one's queue.
    other = FakeCallback(rig.clock)
    before = rig.clock.now
    await rig.send(other, chat_id=43)
    assert other.times == [before]


async def test_retry_after_holds_back_the_chat_and_retries(rig: Rig) -> None:
    callback = FakeCallback(rig.clock, RetryAfter(3), {"message_id": 2})
    start = rig.clock.now

    assert await rig.send(callback) == {"message_id": 2}

    assert len(callback.calls) == 2
    assert callback.times[1] - start == pytest.approx(3.0)
    assert rig.store.penalised == [("telegram:chat:42", 3.0)]
    # The wait is the chat's schedule (so every sender to the chat waits), not a retry sleep.
    assert rig.slot_sleep.calls == pytest.approx([3.0])
    assert sum(rig.retry_sleep.calls) == 0

    # A send to another chat right after is not delayed by that 429.
    other = FakeCallback(rig.clock)
    now = rig.clock.now
    await rig.send(other, chat_id=43)
    assert other.times == [now]
    assert rig.slot_sleep.calls == pytest.approx([3.0])


async def test_retry_after_delays_the_next_send_to_that_chat_too(rig: Rig) -> None:
    rig.slot_sleep = FakeSleep()  # a frozen clock: the held-back schedule shows in the waits
    rig.retry_sleep = FakeSleep()
    rig.limiter = TelegramRateLimiter(
        RateLimiter(rig.store, sleep=rig.slot_sleep),
        SendWindow(MemorySendLog(clock=rig.clock)),
        LIMITS,
        sleep=rig.retry_sleep,
    )
    await rig.send(FakeCallback(rig.clock, RetryAfter(3)))
    await rig.send(FakeCallback(rig.clock), chat_id=42)
    await rig.send(FakeCallback(rig.clock), chat_id=43)
    assert rig.slot_sleep.calls == pytest.approx([3.0, 4.0])


async def test_other_chat_is_not_stuck_behind_a_held_back_chat() -> None:
    """While chat 42 waits out its 429, a message to chat 43 goes out at once."""
    clock = FakeClock()
    store = MemorySlotStore(clock=clock)
    released = asyncio.Event()
    slept: list[float] = []

    async def gated_sleep(seconds: float) -> None:
        slept.append(seconds)
        await released.wait()

    limiter = TelegramRateLimiter(
        RateLimiter(store, sleep=gated_sleep),
        SendWindow(MemorySendLog(clock=clock)),
        LIMITS,
        sleep=FakeSleep(),
    )
    held = FakeCallback(clock, RetryAfter(3))
    other = FakeCallback(clock)

    async def send(callback: FakeCallback, chat_id: int) -> Any:
        data = {"chat_id": chat_id, "text": "x"}
        return await limiter.process_request(callback, (), {}, "sendMessage", data, None)

    first = asyncio.create_task(send(held, 42))
    for _ in range(10):  # let it fail once and start waiting for its slot
        await asyncio.sleep(0)
    assert len(held.calls) == 1
    assert slept == pytest.approx([3.0])
    assert await asyncio.wait_for(send(other, 43), timeout=1) == OK
    assert len(other.calls) == 1
    assert not first.done()
    released.set()
    assert await asyncio.wait_for(first, timeout=1) == OK
    assert len(held.calls) == 2


async def test_retry_after_on_a_call_without_chat_sleeps_it_out(rig: Rig) -> None:
    callback = FakeCallback(rig.clock, RetryAfter(2), True)
    assert await rig.send(callback, chat_id=None, endpoint="getFile") is True
    assert len(callback.calls) == 2
    assert rig.retry_sleep.calls == pytest.approx([2.0])
    assert rig.store.reserved == []
    assert rig.store.penalised == []


async def test_repeated_retry_after_gives_up_after_max_attempts(rig: Rig) -> None:
    errors = [RetryAfter(1) for _ in range(LIMITS.max_attempts)]
    callback = FakeCallback(rig.clock, *errors)
    with pytest.raises(RetryAfter):
        await rig.send(callback)
    assert len(callback.calls) == LIMITS.max_attempts


@pytest.fixture
def highest_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make tenacity's random backoff take its upper bound (the exponential itself)."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


@pytest.mark.usefixtures("highest_backoff")
async def test_network_errors_are_retried_with_exponential_backoff(rig: Rig) -> None:
    callback = FakeCallback(rig.clock, NetworkError("reset"), TimedOut(), NetworkError("x"), OK)
    assert await rig.send(callback) == OK
    assert len(callback.calls) == 4
    assert rig.retry_sleep.calls == [0.5, 1.0, 2.0]


async def test_network_backoff_stays_within_its_bounds(rig: Rig) -> None:
    callback = FakeCallback(rig.clock, *[TimedOut() for _ in range(4)])
    assert await rig.send(callback, chat_id=None, endpoint="getFile") == OK
    assert len(rig.retry_sleep.calls) == 4
    for attempt, slept in enumerate(rig.retry_sleep.calls):
        assert 0 <= slept <= 0.5 * 2**attempt


@pytest.mark.usefixtures("highest_backoff")
async def test_network_errors_are_re_raised_after_max_attempts(rig: Rig) -> None:
    callback = FakeCallback(rig.clock, *[TimedOut(f"t{i}") for i in range(10)])
    with pytest.raises(TimedOut, match="t4"):
        await rig.send(callback)
    assert len(callback.calls) == LIMITS.max_attempts
    assert rig.retry_sleep.calls == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.usefixtures("highest_backoff")
async def test_backoff_is_capped(rig: Rig) -> None:
    limits = TelegramLimits(max_attempts=8)
    rig = Rig(limits)
    callback = FakeCallback(rig.clock, *[NetworkError("x") for _ in range(8)])
    with pytest.raises(NetworkError):
        await rig.send(callback)
    assert rig.retry_sleep.calls == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("Bad Request: message text is empty"),
        Forbidden("Forbidden: bot was blocked by the user"),
    ],
)
async def test_bad_request_and_forbidden_are_raised_at_once(
    rig: Rig, error: BadRequest | Forbidden
) -> None:
    callback = FakeCallback(rig.clock, error)
    with pytest.raises(type(error)) as caught:
        await rig.send(callback)
    assert caught.value is error
    assert len(callback.calls) == 1
    assert rig.retry_sleep.calls == []
    assert rig.store.penalised == []


@pytest.mark.parametrize(
    "endpoint",
    ["sendChatAction", "getFile", "answerCallbackQuery", "getMe", "setWebhook", "getUpdates"],
)
async def test_calls_that_are_not_messages_are_not_throttled(rig: Rig, endpoint: str) -> None:
    assert endpoint not in MESSAGE_METHODS
    callback = FakeCallback(rig.clock)
    for _ in range(10):
        await rig.send(callback, chat_id=42, endpoint=endpoint)
    assert len(callback.calls) == 10
    assert rig.store.reserved == []
    assert rig.slot_sleep.calls == []


async def test_message_call_without_chat_is_not_throttled(rig: Rig) -> None:
    callback = FakeCallback(rig.clock)
    await rig.send(callback, chat_id=None, endpoint="editMessageText")
    assert rig.store.reserved == []


@pytest.mark.parametrize("endpoint", ["sendMessage", "sendPhoto", "editMessageText", "sendVoice"])
async def test_message_calls_are_throttled(rig: Rig, endpoint: str) -> None:
    callback = FakeCallback(rig.clock)
    await rig.send(callback, chat_id=42, endpoint=endpoint)
    assert rig.store.reserved == ["telegram:chat:42"]


async def test_the_bot_window_holds_messages_across_chats() -> None:
    rig = Rig(TelegramLimits(per_window=2, per_chat=Rate(1.0, 3)))
    callback = FakeCallback(rig.clock)
    start = rig.clock.now
    for chat in range(5):
        await rig.send(callback, chat_id=chat)
    assert [t - start for t in callback.times] == pytest.approx([0, 0, 1.0, 1.0, 2.0])
