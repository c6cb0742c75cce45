"""`TelegramNotificationSender` against the fake Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot
from telegram.ext import ExtBot

from bot.delivery import DeliveryResult, Notification
from bot.rasa import Button
from bot.ratelimit import MemorySlotStore, Rate, RateLimiter
from bot.reachability import ReachabilityRegistry
from bot.sendwindow import MemorySendLog, SendWindow
from bot.shared_state import MemoryState
from bot.telegram.keyboards import ButtonCodec
from bot.telegram.notify import TelegramNotificationSender
from bot.telegram.ratelimiter import TelegramLimits, TelegramRateLimiter
from tests.bot.fakes import FakeClock, FakeSleep
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHAT = 4242
RESOLVED_BUTTONS = (
    Button("Ya, sudah beres", '/confirm_resolved{"tracking_id":"TNG-2026-000123"}'),
    Button("Belum beres", '/reject_resolution{"tracking_id":"TNG-2026-000123"}'),
)


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def sleeps() -> FakeSleep:
    return FakeSleep(FakeClock())


@pytest.fixture
def rate_limiter(sleeps: FakeSleep) -> TelegramRateLimiter:
    """One notification in any second (two sends, one kept for replies); sleeps recorded.

    One attempt per call: a failure reaches the sender as it is (retries are the rate
    limiter's, tested with it).
    """
    clock = sleeps.clock
    return TelegramRateLimiter(
        RateLimiter(MemorySlotStore(clock=clock), sleep=sleeps),
        SendWindow(MemorySendLog(clock=clock), sleep=sleeps),
        TelegramLimits(
            per_window=2, reply_headroom=1, per_chat=Rate(100.0, burst=100), max_attempts=1
        ),
        sleep=sleeps,
    )


@pytest.fixture
async def bot(telegram: FakeTelegramAPI, rate_limiter: TelegramRateLimiter) -> AsyncIterator[Bot]:
    telegram.reset()
    async with ExtBot(
        telegram.token,
        base_url=f"{telegram.base_url}/bot",
        base_file_url=f"{telegram.base_url}/file/bot",
        rate_limiter=rate_limiter,
    ) as client:
        yield client


@pytest.fixture
def state() -> MemoryState:
    return MemoryState()


@pytest.fixture
def sender(
    bot: Bot, state: MemoryState, rate_limiter: TelegramRateLimiter
) -> TelegramNotificationSender:
    return TelegramNotificationSender(
        bot, ButtonCodec(state), rate_limiter, ReachabilityRegistry(state)
    )


def notification(text: str = "Kabar terbaru laporan TNG-2026-000123", **kw: object) -> Notification:
    return Notification(chat_id=str(CHAT), text=text, **kw)  # type: ignore[arg-type]


async def test_text_and_keyboard_are_sent(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI
) -> None:
    result = await sender.deliver(notification(buttons=RESOLVED_BUTTONS))
    [request] = telegram.requests("sendMessage")
    assert request.params["chat_id"] == CHAT
    assert request.params["text"] == "Kabar terbaru laporan TNG-2026-000123"
    assert request.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": b.title, "callback_data": b.payload} for b in RESOLVED_BUTTONS]
        ]
    }
    [message] = telegram.sent_messages(CHAT)
    assert result == DeliveryResult(accepted=True, message_id=str(message["message_id"]))


async def test_without_buttons_no_keyboard(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI
) -> None:
    first = await sender.deliver(notification("satu"))
    second = await sender.deliver(notification("dua"))
    requests = telegram.requests("sendMessage")
    assert [r.params.get("reply_markup") for r in requests] == [None, None]
    assert telegram.sent_texts(CHAT) == ["satu", "dua"]
    assert first.message_id != second.message_id
    assert [first.message_id, second.message_id] == [
        str(m["message_id"]) for m in telegram.sent_messages(CHAT)
    ]


async def test_a_long_payload_travels_by_reference(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, state: MemoryState
) -> None:
    payload = '/reject_resolution{"tracking_id":"TNG-2026-000123","reason":"' + "x" * 40 + '"}'
    assert len(payload.encode()) > 64
    await sender.deliver(notification(buttons=(Button("Belum", payload),)))
    [request] = telegram.requests("sendMessage", successful=True)
    [[button]] = request.params["reply_markup"]["inline_keyboard"]
    assert len(button["callback_data"].encode()) <= 64
    assert await ButtonCodec(state).decode(button["callback_data"]) == payload


async def test_a_long_text_is_split_with_the_keyboard_under_the_last_part(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, sleeps: FakeSleep
) -> None:
    text = " ".join(f"Kalimat nomor {n} dari catatan petugas." for n in range(200))
    assert len(text) > 4096
    await sender.pace()  # as the notifier does before deliver()
    result = await sender.deliver(notification(text, buttons=RESOLVED_BUTTONS))
    requests = telegram.requests("sendMessage", successful=True)
    assert len(requests) >= 2
    assert all(len(r.params["text"]) <= 4096 for r in requests)
    assert " ".join(r.params["text"].strip() for r in requests) == text
    assert [r.params.get("reply_markup") is not None for r in requests] == [False] * (
        len(requests) - 1
    ) + [True]
    # The first part used pace()'s slot; every further part waited for one of its own.
    assert len(sleeps.calls) == len(requests) - 1
    assert all(0.5 < wait <= 1.0 * n for n, wait in enumerate(sleeps.calls, start=1))
    last = telegram.sent_messages(CHAT)[-1]
    assert result.message_id == str(last["message_id"])


async def test_blocked_by_the_citizen_is_permanent_and_recorded(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, state: MemoryState
) -> None:
    telegram.fail_next("sendMessage", kind="forbidden")
    result = await sender.deliver(notification())
    assert result.accepted is False
    assert result.permanent is True
    assert result.message_id is None
    assert result.failure is not None and "blocked" in result.failure
    unreachable = await ReachabilityRegistry(state).unreachable(f"telegram:{CHAT}")
    assert unreachable is not None
    assert "blocked" in unreachable.reason
    assert telegram.sent_messages(CHAT) == []


async def test_a_bad_request_is_permanent(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, state: MemoryState
) -> None:
    telegram.fail_next("sendMessage", kind="bad_request", description="Bad Request: chat not found")
    result = await sender.deliver(notification())
    assert result.accepted is False
    assert result.permanent is True
    assert result.failure is not None and "chat not found" in result.failure.lower()
    # Not the same as being blocked: the chat is not marked unreachable.
    assert await ReachabilityRegistry(state).unreachable(f"telegram:{CHAT}") is None


@pytest.mark.parametrize("kind", ["server_error", "retry_after"])
async def test_a_passing_failure_is_not_permanent(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, kind: str
) -> None:
    telegram.fail_next("sendMessage", kind=kind, retry_after=1)
    result = await sender.deliver(notification())
    assert result.accepted is False
    assert result.permanent is False
    assert result.failure
    # The next try goes through.
    assert (await sender.deliver(notification())).accepted is True


async def test_a_success_after_being_blocked_is_sent(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI
) -> None:
    telegram.fail_next("sendMessage", kind="forbidden", chat_id=999)
    result = await sender.deliver(notification())
    assert result.accepted is True


async def test_pace_reserves_the_room_its_delivery_uses(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, sleeps: FakeSleep
) -> None:
    await sender.pace()
    assert (await sender.deliver(notification())).accepted
    assert sleeps.calls == [], "the delivery took no second room"
    await sender.pace()  # the one place for notifications is taken for a second
    assert sleeps.calls == [pytest.approx(1.0)]
    assert (await sender.deliver(notification())).accepted
    assert len(telegram.sent_texts(CHAT)) == 2


async def test_released_room_goes_to_the_next_notification_at_once(
    sender: TelegramNotificationSender, telegram: FakeTelegramAPI, sleeps: FakeSleep
) -> None:
    await sender.pace()  # the one place for notifications
    await sender.release()  # the update was claimed by another notifier meanwhile
    await sender.pace()
    assert sleeps.calls == [], "the released place was free again"
    assert (await sender.deliver(notification())).accepted
    assert len(telegram.sent_texts(CHAT)) == 1
