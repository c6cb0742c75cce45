"""Sending to Telegram: 429 "retry after", blocked citizens, network errors, the overall limit."""

from __future__ import annotations

import itertools
import time

from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import RunningGateway, running, settings_for


def test_429_is_obeyed_for_its_chat_without_holding_up_others(
    gateway: RunningGateway, telegram: FakeTelegramAPI, updates: UpdateFactory
) -> None:
    telegram.fail_next("sendMessage", kind="retry_after", chat_id=7201, retry_after=2)
    gateway.post_update(updates.text(7201, "halo"))
    telegram.wait_for(lambda tg: len(tg.requests("sendMessage", chat_id=7201)) == 1)
    gateway.post_update(updates.text(7202, "halo juga"))
    telegram.wait_for(lambda tg: tg.sent_texts(7201) == ["echo: halo"], timeout=10)
    telegram.wait_for(lambda tg: tg.sent_texts(7202) == ["echo: halo juga"])
    refused, delivered = telegram.requests("sendMessage", chat_id=7201)
    assert refused.status == 429
    assert delivered.at - refused.at >= 1.95, "sent again before retry_after"
    other = telegram.requests("sendMessage", chat_id=7202, successful=True)[0]
    assert other.at < delivered.at, "another chat waited for this chat's retry_after"


def test_a_429_storm_is_retried_until_delivered(
    gateway: RunningGateway, telegram: FakeTelegramAPI, updates: UpdateFactory
) -> None:
    telegram.fail_next("sendMessage", kind="retry_after", chat_id=7203, retry_after=1, times=3)
    gateway.post_update(updates.text(7203, "halo"))
    telegram.wait_for(lambda tg: tg.sent_texts(7203) == ["echo: halo"], timeout=15)
    attempts = telegram.requests("sendMessage", chat_id=7203)
    assert [a.status for a in attempts] == [429, 429, 429, 200]
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert all(gap >= 0.95 for gap in gaps)


def test_a_citizen_who_blocked_the_bot_is_recorded_unreachable_until_they_write(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.script = lambda sender, message, metadata: [
        {"recipient_id": sender, "text": "satu"},
        {"recipient_id": sender, "text": "dua"},
    ]
    telegram.fail_next("sendMessage", kind="forbidden", chat_id=7204)
    gateway.post_update(updates.text(7204, "halo"))
    telegram.wait_for(lambda tg: len(tg.requests("sendMessage", chat_id=7204)) == 1)
    time.sleep(0.5)
    assert len(telegram.requests("sendMessage", chat_id=7204)) == 1, "kept sending after 403"
    record = gateway.run(gateway.gateway.reachability.unreachable("telegram:7204"))
    assert record is not None
    assert "blocked" in record.reason

    gateway.post_update(updates.text(7204, "saya kembali"))
    telegram.wait_for(lambda tg: tg.sent_texts(7204) == ["satu", "dua"])
    assert gateway.run(gateway.gateway.reachability.unreachable("telegram:7204")) is None


def test_network_errors_are_retried_with_backoff(
    gateway: RunningGateway, telegram: FakeTelegramAPI, updates: UpdateFactory
) -> None:
    telegram.fail_next("sendMessage", kind="server_error", chat_id=7205, times=2)
    gateway.post_update(updates.text(7205, "halo"))
    telegram.wait_for(lambda tg: tg.sent_texts(7205) == ["echo: halo"], timeout=20)
    assert [r.status for r in telegram.requests("sendMessage", chat_id=7205)] == [502, 502, 200]


def test_a_timeout_is_retried(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    telegram.fail_next("sendMessage", kind="timeout", chat_id=7206, delay=20)
    with running(settings_for(telegram, rasa, telegram_timeout_seconds=1.0)) as gateway:
        gateway.post_update(updates.text(7206, "halo"))
        telegram.wait_for(lambda tg: tg.sent_texts(7206) == ["echo: halo"], timeout=20)
    assert len(telegram.requests("sendMessage", chat_id=7206)) >= 2


def test_messages_to_one_chat_keep_about_one_a_second_after_a_burst(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.script = lambda sender, message, metadata: [
        {"recipient_id": sender, "text": f"balasan {n}"} for n in range(6)
    ]
    with running(settings_for(telegram, rasa, telegram_chat_burst=3)) as gateway:
        gateway.post_update(updates.text(7207, "halo"))
        telegram.wait_for(lambda tg: len(tg.sent_texts(7207)) == 6, timeout=15)
    times = [r.at for r in telegram.requests("sendMessage", chat_id=7207)]
    assert times[2] - times[0] < 0.5, "the first three go out as a burst"
    assert times[5] - times[2] >= 2.8, "then about one a second"


def test_the_overall_limit_spreads_messages_to_many_chats(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    with running(settings_for(telegram, rasa, telegram_messages_per_second=10.0)) as gateway:
        for chat in range(7300, 7340):
            gateway.post_update(updates.text(chat, "halo"))
        telegram.wait_for(lambda tg: len(tg.requests("sendMessage", successful=True)) == 40, 20)
    times = sorted(r.at for r in telegram.requests("sendMessage"))
    # A burst of 30, then 10/s: the last 10 need about one more second.
    assert times[-1] - times[0] >= 0.9
