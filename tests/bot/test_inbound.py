"""What a Telegram citizen sent, as the text and metadata Rasa expects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Message, Update, User

from bot.telegram.inbound import (
    MediaFile,
    check_status_text,
    command_text,
    display_name,
    language_of,
    media_of,
    user_metadata,
)
from lapor_common.tracking_ids import normalise_tracking_id

CHECK_STATUS = "/check_status"


def tracking_id_in(text: str) -> str:
    """The tracking ID entity of a `/check_status{...}` message."""
    assert text.startswith(CHECK_STATUS + "{"), text
    entities = json.loads(text[len(CHECK_STATUS) :])
    assert set(entities) == {"tracking_id"}
    value = entities["tracking_id"]
    assert isinstance(value, str)
    return value


def make_user(**overrides: Any) -> User:
    data: dict[str, Any] = {"id": 42, "is_bot": False, "first_name": "Siti"}
    data.update(overrides)
    return User(**data)


def make_message(**fields: Any) -> Message:
    """A private-chat message built through `Update.de_json`, as PTB builds them."""
    data: dict[str, Any] = {
        "message_id": 7,
        "date": 1_767_225_600,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Siti"},
    }
    data.update(fields)
    update = Update.de_json({"update_id": 1, "message": data}, None)
    assert update is not None and update.message is not None
    return update.message


# --- commands -------------------------------------------------------------------------
def test_start_without_payload_greets() -> None:
    assert command_text("start", []) == "/greet"


@pytest.mark.parametrize("payload", ["lapor", "LAPOR", "report", "aduan"])
def test_start_with_report_payload_starts_a_report(payload: str) -> None:
    assert command_text("start", [payload]) == "/start_report"


def test_start_with_unknown_payload_greets() -> None:
    assert command_text("start", ["promo2026"]) == "/greet"


@pytest.mark.parametrize(
    "payload",
    [
        "TNG-2026-000123",
        "status_TNG-2026-000123",
        "tng2026000123",
        "TNG_2026_000123",
        "status-tng-2026-000123",
    ],
)
def test_start_with_tracking_id_checks_its_status(payload: str) -> None:
    value = tracking_id_in(command_text("start", [payload]))
    # Deep links cannot carry every character, so the ID may arrive loosely written;
    # the status action normalises it, and it must come out as the same report.
    assert normalise_tracking_id(value) == "TNG-2026-000123"
    assert "status" not in value.lower()
    assert "_" not in value


def test_start_with_canonical_tracking_id_passes_it_unchanged() -> None:
    text = command_text("start", ["TNG-2026-000123"])
    assert text == '/check_status{"tracking_id": "TNG-2026-000123"}'
    assert tracking_id_in(command_text("start", ["status_TNG-2026-000123"])) == "TNG-2026-000123"
    assert tracking_id_in(command_text("start", ["tng2026000123"])) == "tng2026000123"


def test_command_names_are_case_insensitive() -> None:
    assert command_text("START", []) == "/greet"
    assert command_text("Batal", []) == "/cancel"


@pytest.mark.parametrize("command", ["help", "bantuan"])
def test_help_commands(command: str) -> None:
    assert command_text(command, []) == "/help"


@pytest.mark.parametrize("command", ["batal", "cancel"])
def test_cancel_commands(command: str) -> None:
    assert command_text(command, []) == "/cancel"
    assert command_text(command, ["sekarang"]) == "/cancel"


def test_status_without_id_asks_for_one() -> None:
    assert command_text("status", []) == CHECK_STATUS
    assert check_status_text(None) == CHECK_STATUS
    assert check_status_text("") == CHECK_STATUS


def test_status_with_id_passes_it_as_entity() -> None:
    assert tracking_id_in(command_text("status", ["TNG-2026-000123"])) == "TNG-2026-000123"
    assert tracking_id_in(command_text("status", ["TNG_2026_000045"])) == "TNG-2026-000045"
    # Only the first argument is the ID.
    assert tracking_id_in(command_text("status", ["TNG-2026-000007", "tolong"])) == (
        "TNG-2026-000007"
    )


def test_status_entity_is_valid_json_even_with_quotes() -> None:
    value = tracking_id_in(command_text("status", ['x"}{']))
    assert value == 'x"}{'


@pytest.mark.parametrize("command", ["settings", "foo", "lapor", "admin"])
def test_unknown_commands_get_help(command: str) -> None:
    assert command_text(command, ["TNG-2026-000123"]) == "/help"


# --- the citizen ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "en"), ("en-GB", "en"), ("EN-us", "en"), ("id", "id"), ("jv", "id"), (None, "id")],
)
def test_language_of(code: str | None, expected: str) -> None:
    assert language_of(make_user(language_code=code)) == expected


def test_language_of_no_user_is_indonesian() -> None:
    assert language_of(None) == "id"


def test_user_metadata_has_name_and_language() -> None:
    user = make_user(first_name="Siti", last_name="Aminah", language_code="id")
    assert user_metadata(user) == {"display_name": "Siti Aminah", "language_code": "id"}
    assert display_name(user) == "Siti Aminah"


def test_user_metadata_without_language() -> None:
    assert user_metadata(make_user(first_name="Budi")) == {"display_name": "Budi"}


def test_user_metadata_of_no_user_is_empty() -> None:
    assert user_metadata(None) == {}
    assert display_name(None) is None


# --- files ----------------------------------------------------------------------------
def test_photo_takes_the_largest_size() -> None:
    sizes = [
        {"file_id": "small", "file_unique_id": "u1", "width": 90, "height": 67, "file_size": 1_200},
        {"file_id": "mid", "file_unique_id": "u2", "width": 320, "height": 240, "file_size": 9_000},
        {
            "file_id": "big",
            "file_unique_id": "u3",
            "width": 1280,
            "height": 960,
            "file_size": 99_000,
        },
    ]
    media = media_of(make_message(photo=sizes, caption="Jalan rusak"))
    assert media == MediaFile("photo", "big", 99_000, "foto_u3.jpg", "image/jpeg")


def test_document_keeps_its_name_and_type() -> None:
    document = {
        "file_id": "doc-1",
        "file_unique_id": "ud",
        "file_name": "surat_rt.pdf",
        "mime_type": "application/pdf",
        "file_size": 50_000,
    }
    media = media_of(make_message(document=document))
    assert media == MediaFile("document", "doc-1", 50_000, "surat_rt.pdf", "application/pdf")


def test_document_without_name_gets_one() -> None:
    media = media_of(make_message(document={"file_id": "doc-2", "file_unique_id": "ud2"}))
    assert media is not None
    assert (media.kind, media.filename, media.content_type, media.file_size) == (
        "document",
        "dokumen_ud2",
        None,
        None,
    )


def test_voice_note_is_ogg() -> None:
    voice = {"file_id": "v-1", "file_unique_id": "uv", "duration": 4, "file_size": 8_000}
    media = media_of(make_message(voice=voice))
    assert media == MediaFile("voice", "v-1", 8_000, "pesan_suara_uv.ogg", "audio/ogg")
    voice_with_type = {**voice, "mime_type": "audio/opus"}
    media = media_of(make_message(voice=voice_with_type))
    assert media is not None and media.content_type == "audio/opus"


def test_audio_keeps_its_name_or_gets_one() -> None:
    audio = {
        "file_id": "a-1",
        "file_unique_id": "ua",
        "duration": 60,
        "file_name": "rekaman.m4a",
        "mime_type": "audio/mp4",
        "file_size": 700_000,
    }
    assert media_of(make_message(audio=audio)) == MediaFile(
        "audio", "a-1", 700_000, "rekaman.m4a", "audio/mp4"
    )
    bare = {"file_id": "a-2", "file_unique_id": "ub", "duration": 5}
    media = media_of(make_message(audio=bare))
    assert media is not None and (media.kind, media.filename) == ("audio", "audio_ub.mp3")


def test_video_keeps_its_name_or_gets_one() -> None:
    video = {
        "file_id": "vid-1",
        "file_unique_id": "uvid",
        "width": 640,
        "height": 480,
        "duration": 10,
        "mime_type": "video/mp4",
        "file_size": 3_000_000,
    }
    assert media_of(make_message(video=video)) == MediaFile(
        "video", "vid-1", 3_000_000, "video_uvid.mp4", "video/mp4"
    )
    named = {**video, "file_name": "banjir.mov", "mime_type": "video/quicktime"}
    media = media_of(make_message(video=named))
    assert media is not None and (media.filename, media.content_type) == (
        "banjir.mov",
        "video/quicktime",
    )


def test_message_without_a_file_has_no_media() -> None:
    assert media_of(make_message(text="halo")) is None
    location = {"latitude": -6.2, "longitude": 106.45}
    assert media_of(make_message(location=location)) is None
    sticker = {
        "file_id": "st",
        "file_unique_id": "ust",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert media_of(make_message(sticker=sticker)) is None
