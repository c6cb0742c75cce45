"""Parsing webhook deliveries: every message type, statuses, several of each, odd input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.whatsapp.envelope import (
    EnvelopeError,
    ErrorInfo,
    Location,
    Media,
    ReplyChoice,
    parse_envelope,
    parse_timestamp,
)
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.whatsapp_api import PHONE_NUMBER_ID

CITIZEN = "6281234567890"
FACTORY = wp.WebhookFactory()


def only_message(message: dict[str, Any]) -> Any:
    envelope = parse_envelope(FACTORY.delivery([message]))
    [parsed] = envelope.messages
    assert envelope.statuses == ()
    return parsed


def test_a_text_message_with_sender_name_and_time() -> None:
    message = FACTORY.text(CITIZEN, "Lampu jalan mati 🌑", timestamp=1_778_560_000)
    parsed = only_message(message)
    assert parsed.message_id == message["id"]
    assert parsed.wa_id == CITIZEN
    assert parsed.type == "text"
    assert parsed.text == "Lampu jalan mati 🌑"
    assert parsed.profile_name == wp.DEFAULT_NAME
    assert parsed.phone_number_id == PHONE_NUMBER_ID
    assert parsed.timestamp == dt.datetime.fromtimestamp(1_778_560_000, dt.timezone.utc)
    assert parsed.choice is None and parsed.media is None and parsed.location is None


def test_button_and_list_replies_carry_their_ids_and_context() -> None:
    tap = FACTORY.button_reply(CITIZEN, '/inform{"privacy": "public"}', "Publik")
    parsed = only_message(tap)
    assert parsed.type == "interactive"
    assert parsed.choice == ReplyChoice("button_reply", '/inform{"privacy": "public"}', "Publik")
    assert parsed.context_id == tap["context"]["id"]
    row = only_message(FACTORY.list_reply(CITIZEN, "/c3", "Sampah", "Sampah menumpuk"))
    assert row.choice == ReplyChoice("list_reply", "/c3", "Sampah")
    quick = only_message(FACTORY.template_button(CITIZEN, "/check_status", "Cek status"))
    assert quick.choice == ReplyChoice("button", "/check_status", "Cek status")


def test_a_location_with_and_without_a_place() -> None:
    pin = only_message(FACTORY.location(CITIZEN, -6.2615, 106.5132))
    assert pin.location == Location(-6.2615, 106.5132)
    place = only_message(
        FACTORY.location(CITIZEN, -6.2, 106.6, name="Pasar Cikupa", address="Jl. Raya Serang")
    )
    assert place.location is not None
    assert (place.location.name, place.location.address) == ("Pasar Cikupa", "Jl. Raya Serang")
    assert place.location.url.startswith("https://")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda: FACTORY.image(CITIZEN, "11", caption="lubang", content=b"x"),
            Media("image", "11", "image/jpeg", wp._b64_sha256(b"x"), caption="lubang"),
        ),
        (
            lambda: FACTORY.document(CITIZEN, "12", "kwitansi.pdf", content=b"y"),
            Media(
                "document", "12", "application/pdf", wp._b64_sha256(b"y"), filename="kwitansi.pdf"
            ),
        ),
        (
            lambda: FACTORY.audio(CITIZEN, "13"),
            Media("audio", "13", "audio/ogg; codecs=opus", wp._b64_sha256(b""), voice=True),
        ),
        (
            lambda: FACTORY.audio(CITIZEN, "14", voice=False, mime_type="audio/mpeg"),
            Media("audio", "14", "audio/mpeg", wp._b64_sha256(b"")),
        ),
        (
            lambda: FACTORY.video(CITIZEN, "15", caption="banjir"),
            Media("video", "15", "video/mp4", wp._b64_sha256(b""), caption="banjir"),
        ),
        (
            lambda: FACTORY.sticker(CITIZEN, "16"),
            Media("sticker", "16", "image/webp", wp._b64_sha256(b"sticker")),
        ),
    ],
    ids=["image", "document", "voice", "audio", "video", "sticker"],
)
def test_media_messages(make: Any, expected: Media) -> None:
    parsed = only_message(make())
    assert parsed.type == expected.kind
    assert parsed.media == expected


def test_reactions_contacts_and_unsupported_messages() -> None:
    target = wp.new_wamid()
    reaction = only_message(FACTORY.reaction(CITIZEN, target, "👍"))
    assert (reaction.type, reaction.emoji) == ("reaction", "👍")
    removed = only_message(FACTORY.reaction(CITIZEN, target, None))
    assert removed.emoji == ""
    contacts = only_message(FACTORY.contacts(CITIZEN, "Pak RT", "+628111"))
    assert contacts.type == "contacts" and contacts.text == ""
    unsupported = only_message(FACTORY.unsupported(CITIZEN))
    assert unsupported.type == "unsupported"
    assert unsupported.errors == (
        ErrorInfo(
            131051,
            "Message type unknown",
            "Message type unknown",
            "Message type is currently not supported.",
        ),
    )
    unknown = only_message(FACTORY.of_type(CITIZEN, "order", {"catalog_id": "1"}))
    assert unknown.type == "order"


def test_several_messages_and_statuses_in_one_delivery_keep_their_order() -> None:
    FACTORY.names["628222"] = "Siti"
    messages = [
        FACTORY.text(CITIZEN, "satu"),
        FACTORY.text("628222", "dari Siti"),
        FACTORY.image(CITIZEN, "21"),
        FACTORY.text(CITIZEN, "tiga"),
    ]
    wamid = wp.new_wamid()
    statuses = [
        FACTORY.status(wamid, "sent", CITIZEN, timestamp=1_778_560_000),
        FACTORY.status(wamid, "delivered", CITIZEN),
        FACTORY.failed(wp.new_wamid(), "628222", 131026),
    ]
    envelope = parse_envelope(FACTORY.delivery(messages, statuses))
    assert [m.message_id for m in envelope.messages] == [m["id"] for m in messages]
    assert [m.profile_name for m in envelope.messages] == [
        wp.DEFAULT_NAME,
        "Siti",
        wp.DEFAULT_NAME,
        wp.DEFAULT_NAME,
    ]
    assert [s.status for s in envelope.statuses] == ["sent", "delivered", "failed"]
    sent = envelope.statuses[0]
    assert sent.message_id == wamid and sent.recipient_id == CITIZEN
    assert sent.timestamp == dt.datetime.fromtimestamp(1_778_560_000, dt.timezone.utc)
    failed = envelope.statuses[2]
    assert failed.error_codes == (131026,)
    assert failed.errors[0].describe() == "131026 Message undeliverable: Message Undeliverable."


def test_several_entries_and_changes_are_all_read() -> None:
    first = FACTORY.delivery([FACTORY.text(CITIZEN, "a")])
    second = FACTORY.delivery(statuses=[FACTORY.status(wp.new_wamid(), "read", CITIZEN)])
    first["entry"][0]["changes"].append(second["entry"][0]["changes"][0])
    first["entry"].append(FACTORY.delivery([FACTORY.text(CITIZEN, "b")])["entry"][0])
    envelope = parse_envelope(first)
    assert [m.text for m in envelope.messages] == ["a", "b"]
    assert [s.status for s in envelope.statuses] == ["read"]


def test_value_level_errors_are_read() -> None:
    error = {"code": 131000, "title": "Something went wrong", "error_data": {"details": "x"}}
    envelope = parse_envelope(FACTORY.delivery(errors=[error]))
    assert envelope.errors == (ErrorInfo(131000, "Something went wrong", "", "x"),)


def test_changes_of_other_fields_and_other_objects_are_ignored() -> None:
    delivery = FACTORY.delivery([FACTORY.text(CITIZEN, "a")])
    delivery["entry"][0]["changes"][0]["field"] = "message_template_status_update"
    assert parse_envelope(delivery).messages == ()
    assert parse_envelope({"object": "page", "entry": [{"changes": []}]}).messages == ()


def test_malformed_items_are_skipped_without_losing_the_others() -> None:
    good = FACTORY.text(CITIZEN, "tetap dibaca")
    no_id = FACTORY.text(CITIZEN, "x")
    del no_id["id"]
    bad_time = FACTORY.text(CITIZEN, "y")
    bad_time["timestamp"] = "kemarin"
    bad_status = FACTORY.status(wp.new_wamid(), "sent", CITIZEN)
    del bad_status["status"]
    delivery = FACTORY.delivery([no_id, bad_time, good], [bad_status])
    delivery["entry"][0]["changes"][0]["value"]["messages"].append("not an object")
    envelope = parse_envelope(delivery)
    assert [m.text for m in envelope.messages] == ["tetap dibaca"]
    assert envelope.statuses == ()


def test_broken_parts_of_a_message_become_empty_not_errors() -> None:
    pin = FACTORY.location(CITIZEN, 0, 0)
    pin["location"] = {"latitude": "utara"}
    assert only_message(pin).location is None
    image = FACTORY.image(CITIZEN, "1")
    del image["image"]["id"]
    assert only_message(image).media is None
    tap = FACTORY.button_reply(CITIZEN, "", "kosong")
    assert only_message(tap).choice is None
    odd = FACTORY.unsupported(CITIZEN)
    odd["errors"] = [{"code": "bukan angka"}, {"code": True}, "x"]
    assert only_message(odd).errors == ()


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_that_is_not_an_object_is_an_error(body: Any) -> None:
    with pytest.raises(EnvelopeError):
        parse_envelope(body)


def test_timestamps() -> None:
    assert parse_timestamp("0") == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError):
        parse_timestamp(None)
    with pytest.raises(ValueError):
        parse_timestamp("99999999999999999999")
