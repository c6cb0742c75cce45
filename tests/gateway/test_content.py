"""What citizens send on Telegram and how it reaches Rasa; what Rasa says and how it is shown."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from bot.replies import ReplyCatalogue
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import BACKEND_TOKEN, RunningGateway, running, settings_for

CATALOGUE = ReplyCatalogue.from_domain()
LONG_PAYLOAD = '/choose_category{"complaint_category": "infrastruktur_jalan_dan_jembatan_rusak"}'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _with_buttons(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    if message.startswith("/"):
        return [{"recipient_id": sender, "text": f"got {message}"}]
    return [
        {
            "recipient_id": sender,
            "text": "Kategori yang paling sesuai?",
            "buttons": [
                {"title": "Jalan rusak", "payload": LONG_PAYLOAD},
                {"title": "Sampah", "payload": "/choose_category"},
            ],
        }
    ]


def test_buttons_become_an_inline_keyboard_and_a_tap_sends_its_payload(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.script = _with_buttons
    gateway.post_update(updates.text(7101, "jalan rusak parah"))
    telegram.wait_for(lambda tg: len(tg.sent_messages(7101)) == 1)
    [sent] = telegram.sent_messages(7101)
    keyboard = sent["reply_markup"]["inline_keyboard"]
    buttons = [button for row in keyboard for button in row]
    assert [b["text"] for b in buttons] == ["Jalan rusak", "Sampah"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert buttons[1]["callback_data"] == "/choose_category"

    tap = updates.callback(
        7101, buttons[0]["callback_data"], sent["message_id"], sent["text"], keyboard
    )
    gateway.post_update(tap)
    telegram.wait_for(lambda tg: f"got {LONG_PAYLOAD}" in tg.sent_texts(7101))
    assert rasa.requests("telegram:7101")[-1].message == LONG_PAYLOAD
    assert rasa.requests("telegram:7101")[-1].metadata["button_title"] == "Jalan rusak"
    [answer] = telegram.requests("answerCallbackQuery")
    assert answer.params["callback_query_id"] == tap["callback_query"]["id"]
    [edit] = telegram.requests("editMessageText", chat_id=7101)
    assert edit.params["text"] == "Kategori yang paling sesuai?\n\n✅ Jalan rusak"
    assert not edit.params.get("reply_markup", {}).get("inline_keyboard")


def test_a_second_tap_on_the_same_keyboard_is_answered_but_not_sent(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    rasa.script = _with_buttons
    gateway.post_update(updates.text(7102, "sampah menumpuk"))
    telegram.wait_for(lambda tg: len(tg.sent_messages(7102)) == 1)
    [sent] = telegram.sent_messages(7102)
    keyboard = sent["reply_markup"]["inline_keyboard"]
    for _ in range(2):
        gateway.post_update(
            updates.callback(7102, "/choose_category", sent["message_id"], sent["text"], keyboard)
        )
    telegram.wait_for(lambda tg: len(tg.requests("answerCallbackQuery")) == 2)
    time.sleep(0.3)
    assert [r.message for r in rasa.requests("telegram:7102")] == [
        "sampah menumpuk",
        "/choose_category",
    ]


def test_an_expired_long_payload_tells_the_citizen_to_type(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    gateway.post_update(updates.callback(7103, "#" + "0" * 32))
    telegram.wait_for(lambda tg: len(tg.requests("answerCallbackQuery")) == 1)
    [answer] = telegram.requests("answerCallbackQuery")
    assert answer.params["text"] == CATALOGUE.text("utter_gateway_button_expired", "id")
    time.sleep(0.3)
    assert rasa.requests() == []


def test_a_reply_over_4096_characters_is_split_at_sentences(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    sentence = "Laporan Bapak/Ibu sedang kami verifikasi bersama dinas terkait. "
    long_text = (sentence * 160).strip()
    rasa.script = lambda sender, message, metadata: [{"recipient_id": sender, "text": long_text}]
    gateway.post_update(updates.text(7104, "info"))
    telegram.wait_for(lambda tg: len(tg.sent_texts(7104)) >= 3)
    time.sleep(0.3)
    parts = telegram.sent_texts(7104)
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.endswith("terkait.") for part in parts)
    assert " ".join(parts).split() == long_text.split()


@pytest.mark.parametrize("kind", ["sticker", "poll", "contact", "video_note"])
def test_unsupported_content_gets_an_explanation_not_silence(
    kind: str,
    gateway: RunningGateway,
    telegram: FakeTelegramAPI,
    rasa: FakeRasa,
    updates: UpdateFactory,
) -> None:
    make = getattr(updates, kind)
    update = make(7105, "081234567890") if kind == "contact" else make(7105)
    gateway.post_update(update)
    expected = CATALOGUE.text("utter_gateway_unsupported", "id")
    telegram.wait_for(lambda tg: tg.sent_texts(7105) == [expected])
    assert rasa.requests() == []


def test_an_edited_message_is_answered_not_re_read(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    gateway.post_update(updates.edited_text(7106, 55, "maksud saya di Cikupa"))
    expected = CATALOGUE.text("utter_gateway_edited", "id")
    telegram.wait_for(lambda tg: tg.sent_texts(7106) == [expected])
    assert rasa.requests() == []


def test_a_location_pin_is_sent_as_share_location_with_coordinates(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    gateway.post_update(updates.location(7107, -6.2615, 106.5132))
    telegram.wait_for(lambda tg: len(tg.sent_texts(7107)) == 1)
    [request] = rasa.requests()
    assert request.message == "/share_location"
    assert request.metadata["location"] == {"latitude": -6.2615, "longitude": 106.5132}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/start", "/greet"),
        ("/start lapor", "/start_report"),
        ("/start status_TNG-2026-000123", '/check_status{"tracking_id": "TNG-2026-000123"}'),
        ("/help", "/help"),
        ("/batal", "/cancel"),
        ("/status tng2026000123", '/check_status{"tracking_id": "tng2026000123"}'),
        ("/status", "/check_status"),
        ("/tidakada", "/help"),
    ],
)
def test_commands_map_to_intents(
    command: str,
    expected: str,
    gateway: RunningGateway,
    telegram: FakeTelegramAPI,
    rasa: FakeRasa,
    updates: UpdateFactory,
) -> None:
    gateway.post_update(updates.text(7108, command))
    telegram.wait_for(lambda tg: len(tg.sent_texts(7108)) == 1)
    [request] = rasa.requests()
    assert request.message == expected


def test_a_photo_is_stored_in_the_backend_and_its_id_sent_to_rasa(
    backend_url: str, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    telegram.add_file("photo-big-1", PNG, "photos/file_1.jpg")
    with running(settings_for(telegram, rasa, backend_url)) as gateway:
        gateway.post_update(updates.photo(7109, "photo-big-1", caption="ini fotonya"))
        telegram.wait_for(lambda tg: len(tg.sent_texts(7109)) == 1)
    [request] = rasa.requests()
    assert request.message == "ini fotonya"
    [attachment_id] = request.metadata["attachments"]
    [get_file] = telegram.requests("getFile")
    assert get_file.params["file_id"] == "photo-big-1"
    stored = httpx.get(
        f"{backend_url}/api/v1/attachments/{attachment_id}",
        headers={"Authorization": f"Bearer {BACKEND_TOKEN}"},
    )
    assert stored.status_code == 200, stored.text
    assert stored.content == PNG


def test_a_file_without_caption_is_sent_as_send_attachment(
    backend_url: str, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    telegram.add_file("voice-1", b"OggS" + b"\x00" * 200, "voice/file_2.oga")
    with running(settings_for(telegram, rasa, backend_url)) as gateway:
        gateway.post_update(updates.voice(7110, "voice-1", duration=4, file_size=204))
        telegram.wait_for(lambda tg: len(tg.sent_texts(7110)) == 1)
    [request] = rasa.requests()
    assert request.message == "/send_attachment"
    assert len(request.metadata["attachments"]) == 1
    assert request.metadata["attachment_kind"] == "voice"


def test_a_file_over_the_limit_is_refused_without_downloading(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    telegram.add_file(
        "doc-huge", b"%PDF-1.4 small", "documents/file_3.pdf", declared_size=30_000_000
    )
    with running(settings_for(telegram, rasa)) as gateway:
        update = updates.document(7111, "doc-huge", "bukti.pdf", "application/pdf", 30_000_000)
        gateway.post_update(update)
        expected = CATALOGUE.text("utter_gateway_file_too_large", "id")
        telegram.wait_for(lambda tg: tg.sent_texts(7111) == [expected])
    assert telegram.requests("getFile") == []
    assert rasa.requests() == []


def test_a_file_type_the_backend_refuses_gets_a_clear_answer(
    backend_url: str, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    telegram.add_file("exe-1", b"MZ\x90\x00" + b"\x00" * 100, "documents/file_4.exe")
    with running(settings_for(telegram, rasa, backend_url)) as gateway:
        update = updates.document(7112, "exe-1", "hadiah.exe", "application/octet-stream", 104)
        gateway.post_update(update)
        expected = CATALOGUE.text("utter_gateway_file_rejected", "id")
        telegram.wait_for(lambda tg: tg.sent_texts(7112) == [expected])
    assert rasa.requests() == []


def test_backend_down_while_uploading_gets_an_apology(
    telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    telegram.add_file("photo-2", PNG, "photos/file_5.jpg")
    with running(settings_for(telegram, rasa)) as gateway:  # backend URL: a closed port
        gateway.post_update(updates.photo(7113, "photo-2"))
        expected = CATALOGUE.text("utter_gateway_file_failed", "id")
        telegram.wait_for(lambda tg: tg.sent_texts(7113) == [expected])
    assert rasa.requests() == []


def test_metadata_is_json_serialisable_for_rasa(
    gateway: RunningGateway, telegram: FakeTelegramAPI, rasa: FakeRasa, updates: UpdateFactory
) -> None:
    gateway.post_update(updates.text(7114, "halo", username="budi_s", language_code="en"))
    telegram.wait_for(lambda tg: len(tg.sent_texts(7114)) == 1)
    [request] = rasa.requests()
    assert json.loads(json.dumps(request.metadata))["language_code"] == "en"
