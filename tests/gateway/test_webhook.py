"""The Telegram webhook: registration, secret, redelivery, fast answers, order, failures."""

from __future__ import annotations

import threading
import time

from bot.replies import ReplyCatalogue
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import SECRET, WEBHOOK_URL, RunningGateway, running, settings_for

CATALOGUE = ReplyCatalogue.from_domain()


def test_set_webhook_once_at_start_with_secret_and_allowed_updates(
    gateway: RunningGateway, telegram: FakeTelegramAPI, updates: UpdateFactory
) -> None:
    for n in range(3):
        assert gateway.post_update(updates.text(7001, f"pesan {n}")).status_code == 200
    telegram.wait_for(lambda tg: len(tg.sent_texts(7001)) == 3)
    calls = telegram.requests("setWebhook")
    assert len(calls) == 1
    assert calls[0].params["url"] == WEBHOOK_URL
    assert calls[0].params["secret_token"] == SECRET
    assert calls[0].params["allowed_updates"] == ["message", "edited_message", "callback_query"]


def test_text_is_relayed_with_metadata_and_the_reply_comes_back(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    gateway.post_update(updates.text(7002, "jalan depan rumah saya berlubang"))
    telegram.wait_for(lambda tg: tg.sent_texts(7002) == ["echo: jalan depan rumah saya berlubang"])
    [request] = rasa.requests()
    assert request.sender == "telegram:7002"
    assert request.metadata["channel"] == "telegram"
    assert request.metadata["chat_id"] == "7002"
    assert request.metadata["display_name"] == "Budi"
    assert telegram.requests("sendChatAction") == [], "a quick answer needs no indicator"


def test_missing_secret_is_401_and_wrong_secret_is_403_and_nothing_is_processed(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    assert gateway.post_update(updates.text(7003, "halo"), secret=None).status_code == 401
    assert gateway.post_update(updates.text(7003, "halo"), secret="wrong").status_code == 403
    assert gateway.post_update(updates.text(7003, "halo"), secret=SECRET[:-1]).status_code == 403
    time.sleep(0.5)
    assert rasa.requests() == []
    assert telegram.requests("sendMessage") == []


def test_malformed_body_is_400(gateway: RunningGateway, rasa: FakeRasa) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    bad = gateway.client.post("/telegram/webhook", content=b"{not json", headers=headers)
    assert bad.status_code == 400
    no_id = gateway.client.post("/telegram/webhook", json={"message": {}}, headers=headers)
    assert no_id.status_code == 400
    assert rasa.requests() == []


def test_same_update_twice_in_a_row_yields_one_reply(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    update = updates.text(7004, "halo")
    assert gateway.post_update(update).status_code == 200
    assert gateway.post_update(update).status_code == 200
    telegram.wait_for(lambda tg: len(tg.sent_texts(7004)) == 1)
    time.sleep(0.5)
    assert len(rasa.requests()) == 1
    assert telegram.sent_texts(7004) == ["echo: halo"]


def test_same_update_at_the_same_time_yields_one_reply(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    update = updates.text(7005, "halo bersamaan")
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        statuses.append(gateway.post_update(update).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    telegram.wait_for(lambda tg: len(tg.sent_texts(7005)) == 1)
    time.sleep(0.5)
    assert len(rasa.requests()) == 1


def test_webhook_answers_at_once_while_rasa_is_slow(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.delay = 2.0
    started = time.monotonic()
    assert gateway.post_update(updates.text(7006, "halo")).status_code == 200
    assert time.monotonic() - started < 0.5
    telegram.wait_for(lambda tg: tg.sent_texts(7006) == ["echo: halo"], timeout=10)
    typing = telegram.requests("sendChatAction", chat_id=7006)
    assert typing, "no typing indicator while Rasa was slow"
    assert typing[0].params["action"] == "typing"
    assert typing[0].at < telegram.requests("sendMessage", chat_id=7006)[0].at


def test_rasa_failure_gets_one_apology_and_no_retries(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.fail_status = 500
    for text in ("halo", "halo?", "tolong"):
        gateway.post_update(updates.text(7007, text))
    apology = CATALOGUE.text("utter_gateway_unavailable", "id")
    telegram.wait_for(lambda tg: tg.sent_texts(7007) == [apology])
    time.sleep(0.5)
    assert [r.message for r in rasa.requests()] == ["halo", "halo?", "tolong"]
    assert telegram.sent_texts(7007) == [apology]


def test_english_speakers_get_the_english_apology(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.fail_status = 503
    gateway.post_update(updates.text(7008, "hello", language_code="en"))
    english = CATALOGUE.text("utter_gateway_unavailable", "en")
    telegram.wait_for(lambda tg: tg.sent_texts(7008) == [english])


def test_one_chat_in_order_other_chats_in_parallel(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.delays["satu"] = 1.0
    with running(settings_for(telegram, rasa)) as gateway:
        for text in ("satu", "dua", "tiga"):
            gateway.post_update(updates.text(7010, text))
        gateway.post_update(updates.text(7011, "chat lain"))
        telegram.wait_for(lambda tg: len(tg.sent_texts(7010)) == 3, timeout=15)
    assert [r.message for r in rasa.requests("telegram:7010")] == ["satu", "dua", "tiga"]
    assert telegram.sent_texts(7010) == ["echo: satu", "echo: dua", "echo: tiga"]
    first_a = telegram.requests("sendMessage", chat_id=7010)[0].at
    other = telegram.requests("sendMessage", chat_id=7011)[0].at
    assert other < first_a, "the other chat waited for the slow one"


def test_webhook_is_404_when_the_gateway_polls(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    with running(settings_for(telegram, rasa, telegram_webhook_url="")) as gateway:
        assert gateway.post_update(updates.text(7012, "halo")).status_code == 404
