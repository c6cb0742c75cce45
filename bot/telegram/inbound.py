"""What a Telegram citizen sent, as the text and metadata Rasa expects."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from telegram import Message, User

#: A tracking ID in a deep link or a command: `TNG-2026-000123`, `tng2026000123`.
_TRACKING_ID = re.compile(r"^(?:status[_-])?([a-z]{2,5}[-_]?\d{4}[-_]?\d{1,8})$", re.IGNORECASE)


def check_status_text(tracking_id: str | None) -> str:
    """The Rasa message asking for a status, with the tracking ID as an entity."""
    if not tracking_id:
        return "/check_status"
    return "/check_status" + json.dumps({"tracking_id": tracking_id.replace("_", "-")})


def command_text(command: str, args: list[str]) -> str:
    """The Rasa message for a Telegram command.

    `/start` carries the deep-link payload: `lapor` starts a report, a tracking ID (or
    `status_<id>`) asks for its status, anything else greets. `/help`, `/batal` (and
    `/cancel`) and `/status [id]` map to their intents; unknown commands get help.
    """
    command = command.lower()
    argument = args[0] if args else ""
    if command == "start":
        match = _TRACKING_ID.match(argument)
        if match:
            return check_status_text(match.group(1))
        if argument.lower() in ("lapor", "report", "aduan"):
            return "/start_report"
        return "/greet"
    if command in ("batal", "cancel"):
        return "/cancel"
    if command == "status":
        return check_status_text(argument or None)
    return "/help"


def language_of(user: User | None) -> str:
    """ "en" for citizens whose Telegram app is in English, else Indonesian."""
    code = (user.language_code or "") if user else ""
    return "en" if code.lower().startswith("en") else "id"


def display_name(user: User | None) -> str | None:
    """The citizen's name as Telegram shows it."""
    return user.full_name if user else None


def user_metadata(user: User | None) -> dict[str, Any]:
    """Metadata about the citizen for Rasa (display name and app language)."""
    metadata: dict[str, Any] = {}
    name = display_name(user)
    if name:
        metadata["display_name"] = name
    if user and user.language_code:
        metadata["language_code"] = user.language_code
    return metadata


@dataclass(frozen=True)
class MediaFile:
    """A file in a message: what to download and how to name it."""

    kind: str
    file_id: str
    file_size: int | None
    filename: str
    content_type: str | None


def media_of(message: Message) -> MediaFile | None:
    """The photo (largest size), document, voice note, audio or video of `message`."""
    if message.photo:
        photo = message.photo[-1]
        name = f"foto_{photo.file_unique_id}.jpg"
        return MediaFile("photo", photo.file_id, photo.file_size, name, "image/jpeg")
    if message.document:
        doc = message.document
        name = doc.file_name or f"dokumen_{doc.file_unique_id}"
        return MediaFile("document", doc.file_id, doc.file_size, name, doc.mime_type)
    if message.voice:
        voice = message.voice
        return MediaFile(
            "voice",
            voice.file_id,
            voice.file_size,
            f"pesan_suara_{voice.file_unique_id}.ogg",
            voice.mime_type or "audio/ogg",
        )
    if message.audio:
        audio = message.audio
        name = audio.file_name or f"audio_{audio.file_unique_id}.mp3"
        return MediaFile("audio", audio.file_id, audio.file_size, name, audio.mime_type)
    if message.video:
        video = message.video
        name = video.file_name or f"video_{video.file_unique_id}.mp4"
        return MediaFile("video", video.file_id, video.file_size, name, video.mime_type)
    return None
