"""The WhatsApp webhook: verification, signatures, envelopes, order, redelivery, receipts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from pathlib import Path

import pytest

from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.whatsapp_api import PHONE_NUMBER, READ, FakeGraphAPI
from tests.gateway.whatsapp.conftest import (
    APP_SECRET,
    VERIFY_TOKEN,
    RunningWhatsApp,
    Services,
    gateway_text,
    new_citizen,
    running,
    settings_for,
)

# --- verification ------------------------------------------------------------------------


def test_verification_echoes_the_challenge(whatsapp: RunningWhatsApp) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = whatsapp.client.get("/whatsapp/webhook", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN[:-1], "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {},
    ],
    ids=["wrong-token", "prefix-of-token", "wrong-mode", "no-token", "no-challenge", "nothing"],
)
def test_verification_with_a_wrong_token_or_mode_is_403(
    params: dict[str, str], whatsapp: RunningWhatsApp
) -> None:
    response = whatsapp.client.get("/whatsapp/webhook", params=params)
    assert response.status_code == 403
    assert "1" not in response.text.split()


def test_verification_is_refused_without_a_configured_verify_token(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path
) -> None:
    settings = settings_for(graph, tmp_path, verify_token="")
    with running(settings, Services(rasa.base_url)) as whatsapp:
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "5"}
        assert whatsapp.client.get("/whatsapp/webhook", params=params).status_code == 403


def test_the_access_token_is_checked_at_start(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running(settings_for(graph, tmp_path), Services(rasa.base_url)) as whatsapp:
        graph.wait_for(lambda g: g.requests(PHONE_NUMBER, successful=True))
        assert not whatsapp.channel.token_rejected
    caplog.set_level(logging.INFO)
    wrong = settings_for(graph, tmp_path, access_token="EAA-revoked")
    with running(wrong, Services(rasa.base_url)) as whatsapp:
        graph.wait_for(lambda g: g.requests(PHONE_NUMBER, successful=False))
        deadline = time.monotonic() + 5
        while not whatsapp.channel.token_rejected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert whatsapp.channel.token_rejected
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    assert "EAA-revoked" not in caplog.text


# --- signatures --------------------------------------------------------------------------


def _nothing_happened(graph: FakeGraphAPI, rasa: FakeRasa) -> None:
    time.sleep(0.5)
    assert rasa.requests() == []
    assert [r for r in graph.requests() if r.endpoint != PHONE_NUMBER] == []


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,
        "sha256=zz" + "0" * 62,
        "0" * 64,
    ],
    ids=["missing", "empty", "no-digest", "wrong-digest", "sha1", "not-hex", "no-prefix"],
)
def test_a_missing_or_bad_signature_is_403_and_nothing_is_processed(
    signature: str | None,
    whatsapp: RunningWhatsApp,
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    delivery = payloads.delivery([payloads.text(new_citizen(), "halo")])
    assert whatsapp.post(delivery, signature=signature).status_code == 403
    _nothing_happened(graph, rasa)


def test_a_signature_of_other_bytes_or_another_secret_is_403(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    body = wp.encode(payloads.delivery([payloads.text(citizen, "halo")]))
    tampered = body.replace(b"halo", b"hali")
    assert whatsapp.post_raw(tampered, signature=wp.sign(body, APP_SECRET)).status_code == 403
    assert whatsapp.post_raw(body, signature=wp.sign(body, APP_SECRET + "x")).status_code == 403
    assert whatsapp.post_raw(body + b" ", signature=wp.sign(body, APP_SECRET)).status_code == 403
    _nothing_happened(graph, rasa)


@pytest.mark.parametrize("escape_unicode", [True, False], ids=["escaped", "raw-utf8"])
def test_the_signature_is_checked_on_the_raw_bytes_of_non_ascii_bodies(
    escape_unicode: bool,
    whatsapp: RunningWhatsApp,
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    citizen = new_citizen()
    text = "Jalan rusak 🚧 di depan Indomaret @Cikupa — tolong \u2018segera\u2019 🙏 ñ"
    payloads.names[citizen] = "Dewi Lestari 🌸"
    response = whatsapp.post(
        payloads.delivery([payloads.text(citizen, text)]), escape_unicode=escape_unicode
    )
    assert response.status_code == 200
    graph.wait_for(lambda g: g.sent_texts(citizen) == [f"echo: {text}"])
    [request] = rasa.requests()
    assert request.message == text
    assert request.metadata["display_name"] == "Dewi Lestari 🌸"


def test_an_uppercase_hex_signature_is_accepted(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    body = wp.encode(payloads.delivery([payloads.text(citizen, "halo")]))
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest().upper()
    assert whatsapp.post_raw(body, signature=f"sha256={digest}").status_code == 200
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"])


def test_a_signed_body_that_is_not_json_is_400(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa
) -> None:
    assert whatsapp.post_raw(b'{"object": "whatsapp_business_account", ').status_code == 400
    assert whatsapp.post_raw(b"[1, 2, 3]").status_code == 400
    _nothing_happened(graph, rasa)


def test_an_oversized_body_is_413(whatsapp: RunningWhatsApp, rasa: FakeRasa) -> None:
    assert whatsapp.post_raw(b"{" + b" " * (3 * 1024 * 1024) + b"}").status_code == 413
    assert rasa.requests() == []


def test_other_objects_and_other_phone_numbers_are_ignored(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    page = {"object": "page", "entry": []}
    assert whatsapp.post(page).status_code == 200
    other = wp.WebhookFactory(phone_number_id="999000111")
    assert whatsapp.post(other.delivery([other.text(new_citizen(), "halo")])).status_code == 200
    _nothing_happened(graph, rasa)


# --- processing --------------------------------------------------------------------------


def test_a_text_reaches_rasa_as_whatsapp_sender_with_name_and_number(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    payloads.names[citizen] = "Siti Aminah"
    message = payloads.text(citizen, "Jalan depan rumah saya berlubang")
    assert whatsapp.post(payloads.delivery([message])).status_code == 200
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: Jalan depan rumah saya berlubang"])
    [request] = rasa.requests()
    assert request.sender == f"whatsapp:{citizen}"
    assert request.metadata["channel"] == "whatsapp"
    assert request.metadata["chat_id"] == citizen
    assert request.metadata["phone"] == f"+{citizen}"
    assert request.metadata["display_name"] == "Siti Aminah"
    [sent] = graph.sent(citizen)
    assert sent["messaging_product"] == "whatsapp"
    assert sent["recipient_type"] == "individual"
    assert sent["text"] == {"preview_url": False, "body": "echo: Jalan depan rumah saya berlubang"}


def test_incoming_messages_are_marked_read_with_a_typing_indicator(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    first, second = payloads.text(citizen, "satu"), payloads.text(citizen, "dua")
    whatsapp.post(payloads.delivery([first, second]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 2 and len(g.read_receipts()) == 2)
    receipts = graph.read_receipts()
    assert [r["message_id"] for r in receipts] == [first["id"], second["id"]]
    assert all(r["status"] == "read" for r in receipts)
    assert all(r["typing_indicator"] == {"type": "text"} for r in receipts)
    first_reply = graph.requests("messages", to=citizen)[0]
    assert graph.requests(READ)[0].at < first_reply.at, "the answer came before the blue ticks"


def test_a_failing_read_receipt_does_not_stop_the_reply(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    graph.fail_next(131000, endpoint=READ)
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"])
    assert graph.requests(READ)[0].status == 500


def test_several_messages_in_one_delivery_are_all_handled_in_order(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    rasa.delays["satu"] = 0.6
    citizen, other = new_citizen(), new_citizen()
    messages = [
        payloads.text(citizen, "satu"),
        payloads.text(citizen, "dua"),
        payloads.text(other, "warga lain"),
        payloads.text(citizen, "tiga"),
    ]
    assert whatsapp.post(payloads.delivery(messages)).status_code == 200
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 3 and g.sent_texts(other))
    assert [r.message for r in rasa.requests(f"whatsapp:{citizen}")] == ["satu", "dua", "tiga"]
    assert graph.sent_texts(citizen) == ["echo: satu", "echo: dua", "echo: tiga"]
    first_reply = graph.requests("messages", to=citizen)[0].at
    assert graph.requests("messages", to=other)[0].at < first_reply, "the other citizen waited"


def test_several_changes_and_entries_in_one_delivery_are_all_handled(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    first = payloads.delivery([payloads.text(citizen, "pertama")])
    second = payloads.delivery([payloads.text(citizen, "kedua")])
    first["entry"][0]["changes"].append(second["entry"][0]["changes"][0])
    first["entry"].append(payloads.delivery([payloads.text(citizen, "ketiga")])["entry"][0])
    whatsapp.post(first)
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 3)
    assert [r.message for r in rasa.requests()] == ["pertama", "kedua", "ketiga"]


def test_the_webhook_answers_at_once_while_rasa_is_slow(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    rasa.delay = 2.0
    citizen = new_citizen()
    started = time.monotonic()
    assert whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")])).status_code == 200
    assert time.monotonic() - started < 0.5
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"], timeout=10)


def test_rasa_down_gets_one_apology(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    rasa.fail_status = 500
    citizen = new_citizen()
    messages = [payloads.text(citizen, t) for t in ("halo", "halo?", "tolong")]
    whatsapp.post(payloads.delivery(messages))
    apology = gateway_text("utter_gateway_unavailable")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [apology])
    whatsapp.drain()
    assert [r.message for r in rasa.requests()] == ["halo", "halo?", "tolong"]
    assert graph.sent_texts(citizen) == [apology]


# --- redelivery --------------------------------------------------------------------------


def test_the_same_delivery_twice_yields_one_reply(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    delivery = payloads.delivery([payloads.text(citizen, "halo"), payloads.text(citizen, "lagi")])
    assert whatsapp.post(delivery).status_code == 200
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 2)
    assert whatsapp.post(delivery).status_code == 200
    whatsapp.drain()
    assert [r.message for r in rasa.requests()] == ["halo", "lagi"]
    assert graph.sent_texts(citizen) == ["echo: halo", "echo: lagi"]
    assert len(graph.read_receipts()) == 2


def test_the_same_delivery_at_the_same_time_yields_one_reply(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    delivery = payloads.delivery([payloads.text(citizen, "halo bersamaan")])
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        statuses.append(whatsapp.post(delivery).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    whatsapp.drain()
    assert len(rasa.requests()) == 1
    assert graph.sent_texts(citizen) == ["echo: halo bersamaan"]


def test_a_message_redelivered_inside_another_delivery_is_dropped(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    first = payloads.text(citizen, "satu")
    whatsapp.post(payloads.delivery([first]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 1)
    whatsapp.post(payloads.delivery([first, payloads.text(citizen, "dua")]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 2)
    whatsapp.drain()
    assert [r.message for r in rasa.requests()] == ["satu", "dua"]
