"""Gateways as separate processes sharing Redis; polling mode; running without Telegram."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
import redis

from bot.gateway import Gateway
from bot.telegram.channel import TelegramConfigError
from tests.conftest import REDIS_URL, service_missing
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import SECRET, WEBHOOK_URL, gateway_process, running, settings_for


@pytest.fixture
def redis_url() -> str:
    """The test Redis (fails in CI when it is down)."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_URL}", exc)
    return REDIS_URL


def _env(telegram: FakeTelegramAPI, rasa: FakeRasa, redis_url: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "RASA_URL": rasa.base_url,
        "REDIS_URL": redis_url,
    }


def _post(url: str, update: dict[str, object]) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    return httpx.post(f"{url}/telegram/webhook", json=update, headers=headers).status_code


def test_two_gateway_processes_sharing_redis_answer_a_redelivered_update_once(
    telegram: FakeTelegramAPI,
    rasa: FakeRasa,
    updates: UpdateFactory,
    redis_url: str,
    tmp_path: Path,
) -> None:
    env = _env(telegram, rasa, redis_url)
    with (
        gateway_process(env, tmp_path / "gw1.log") as (first, _),
        gateway_process(env, tmp_path / "gw2.log") as (second, _),
    ):
        # One after the other, to different processes.
        update = updates.text(7401, "halo")
        assert _post(first, update) == 200
        assert _post(second, update) == 200
        # At the same time, to both processes.
        simultaneous = updates.text(7402, "bersamaan")
        barrier = threading.Barrier(4)
        statuses: list[int] = []

        def deliver(url: str) -> None:
            barrier.wait()
            statuses.append(_post(url, simultaneous))

        threads = [threading.Thread(target=deliver, args=(u,)) for u in (first, second) * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 4
        telegram.wait_for(lambda tg: tg.sent_texts(7401) and tg.sent_texts(7402))
        time.sleep(1.0)
    assert telegram.sent_texts(7401) == ["echo: halo"]
    assert telegram.sent_texts(7402) == ["echo: bersamaan"]
    assert [r.message for r in rasa.requests()].count("halo") == 1
    assert [r.message for r in rasa.requests()].count("bersamaan") == 1


def test_polling_mode_reads_updates_without_a_webhook(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    with running(settings_for(telegram, rasa, telegram_webhook_url="")) as gateway:
        assert gateway.client.get("/health").json()["telegram"] == "polling"
        telegram.queue_update(updates.text(7403, "halo dari polling"))
        telegram.wait_for(lambda tg: tg.sent_texts(7403) == ["echo: halo dari polling"])
    assert telegram.requests("setWebhook") == []
    polls = telegram.requests("getUpdates")
    assert polls
    assert polls[0].params["allowed_updates"] == ["message", "edited_message", "callback_query"]


def test_without_a_token_the_gateway_runs_and_says_telegram_is_off(rasa: FakeRasa) -> None:
    with FakeTelegramAPI() as telegram:
        settings = settings_for(telegram, rasa, telegram_bot_token="")
        with running(settings) as gateway:
            health = gateway.client.get("/health").json()
            assert health == {
                "status": "ok",
                "telegram": "off",
                "whatsapp": "off",
                "notifier": {"mode": "off"},
            }
            response = gateway.client.post("/telegram/webhook", json={"update_id": 1})
            assert response.status_code == 404
        assert telegram.requests() == []


def test_webhook_mode_without_a_secret_refuses_to_start(rasa: FakeRasa) -> None:
    with FakeTelegramAPI() as telegram:
        settings = settings_for(telegram, rasa, telegram_webhook_secret="")
        with pytest.raises(TelegramConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
            Gateway.build(settings)
