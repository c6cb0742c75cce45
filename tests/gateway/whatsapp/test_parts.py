"""Smaller parts: settings, routes without a channel, media names, typed text, processing."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.applications import Starlette

from bot.shared_state import MemoryState
from bot.whatsapp.envelope import Location, Media, WhatsAppMessage
from bot.whatsapp.errors import ErrorDetails, InvalidTokenError
from bot.whatsapp.handlers import citizen_text, location_metadata
from bot.whatsapp.media import attachment_kind, base_type, filename_for
from bot.whatsapp.processor import SenderOrderedProcessor
from bot.whatsapp.routes import whatsapp_routes
from bot.whatsapp.sender import TokenAlarm
from bot.whatsapp.settings import DEFAULT_API_BASE_URL, WhatsAppSettings

AT = dt.datetime(2026, 5, 12, tzinfo=dt.timezone.utc)


# --- settings ----------------------------------------------------------------------------


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "WHATSAPP_ACCESS_TOKEN": "EAA-token",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_APP_SECRET": "secret",
        "WHATSAPP_VERIFY_TOKEN": "verify",
        "WHATSAPP_TEMPLATE_NAME": "pembaruan_status",
        "WHATSAPP_TEMPLATE_LANGUAGE": "en",
        "WHATSAPP_MESSAGES_PER_SECOND": "20",
        "DATA_DIR": str(tmp_path),
        "GATEWAY_DATABASE_URL": "",
    }.items():
        monkeypatch.setenv(name, value)
    settings = WhatsAppSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.enabled
    assert settings.api_base_url == DEFAULT_API_BASE_URL == "https://graph.facebook.com/v21.0"
    assert settings.template_name == "pembaruan_status" and settings.template_language == "en"
    assert settings.messages_per_second == 20.0
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'gateway.db'}"
    assert settings.messages_url == "https://graph.facebook.com/v21.0/106540352242922/messages"


def test_defaults_and_when_the_channel_is_enabled() -> None:
    settings = WhatsAppSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.messages_per_second == 80.0
    assert settings.template_name == "status_laporan" and settings.template_language == "id"
    assert not settings.enabled
    assert not WhatsAppSettings(access_token="t", phone_number_id="1", _env_file=None).enabled  # type: ignore[call-arg]
    postgres = WhatsAppSettings(gateway_database_url="postgres://u@h/db", _env_file=None)  # type: ignore[call-arg]
    assert postgres.effective_database_url == "postgresql://u@h/db"


# --- routes ------------------------------------------------------------------------------


async def test_the_routes_answer_404_when_whatsapp_is_off() -> None:
    app = Starlette(routes=whatsapp_routes(lambda request: None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        verify = await client.get("/whatsapp/webhook", params={"hub.mode": "subscribe"})
        assert verify.status_code == 404
        assert (await client.post("/whatsapp/webhook", content=b"{}")).status_code == 404
        assert (await client.put("/whatsapp/webhook")).status_code == 405


# --- media names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media", "mime_type", "kind", "name"),
    [
        (Media("image", "11"), "image/jpeg", "photo", "foto_11.jpg"),
        (Media("audio", "12", voice=True), "audio/ogg; codecs=opus", "voice", "pesan_suara_12.ogg"),
        (Media("audio", "13"), "audio/mpeg", "audio", "audio_13.mp3"),
        (Media("video", "14"), "video/mp4", "video", "video_14.mp4"),
        (Media("document", "15", filename="bukti.pdf"), "application/pdf", "document", "bukti.pdf"),
        (Media("document", "16"), "application/x-unknown", "document", "dokumen_16"),
    ],
)
def test_media_kinds_and_file_names(media: Media, mime_type: str, kind: str, name: str) -> None:
    assert attachment_kind(media) == kind
    assert filename_for(media, mime_type) == name


def test_base_type_drops_parameters() -> None:
    assert base_type("Audio/OGG; codecs=opus") == "audio/ogg"
    assert base_type("") == ""


# --- text and pins -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("  jalan rusak  ", "jalan rusak"),
        ("/batal", "batal"),
        ('//inform{"privacy": "public"}', 'inform{"privacy": "public"}'),
        ("/", ""),
        ("harga 1/2", "harga 1/2"),
    ],
)
def test_typed_text_never_carries_an_intent(typed: str, sent: str) -> None:
    assert citizen_text(typed) == sent


def test_location_metadata() -> None:
    assert location_metadata(Location(-6.1, 106.5)) == {"latitude": -6.1, "longitude": 106.5}
    place = location_metadata(Location(-6.1, 106.5, "Pasar", "Jl. Raya", "https://maps"))
    assert place == {"latitude": -6.1, "longitude": 106.5, "title": "Pasar", "address": "Jl. Raya"}


# --- the token alarm ---------------------------------------------------------------------


def test_the_alarm_is_critical_once_until_cleared(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    alarm = TokenAlarm()
    error = InvalidTokenError(ErrorDetails(190, "expired", subcode=463))
    alarm.raise_alarm(error)
    alarm.raise_alarm(error)
    assert alarm.rejected
    assert len([r for r in caplog.records if r.levelno == logging.CRITICAL]) == 1
    alarm.clear()
    assert not alarm.rejected
    alarm.raise_alarm(error)
    assert len([r for r in caplog.records if r.levelno == logging.CRITICAL]) == 2


# --- processing --------------------------------------------------------------------------


def message(wa_id: str, text: str, message_id: str | None = None) -> WhatsAppMessage:
    return WhatsAppMessage(message_id or f"wamid.{wa_id}.{text}", wa_id, AT, "text", text=text)


async def test_one_citizen_in_order_others_in_parallel_each_message_once() -> None:
    handled: list[str] = []

    async def handler(msg: WhatsAppMessage) -> None:
        if msg.text == "lambat":
            await asyncio.sleep(0.2)
        handled.append(f"{msg.wa_id}:{msg.text}")

    processor = SenderOrderedProcessor(handler, MemoryState(), 60, max_concurrent=10)
    for item in [message("a", "lambat"), message("a", "dua"), message("b", "cepat")]:
        processor.submit(item)
    processor.submit(message("a", "dua"))  # redelivered
    assert await processor.drain(5)
    assert handled == ["b:cepat", "a:lambat", "a:dua"]


async def test_statuses_of_one_message_run_in_order() -> None:
    done: list[int] = []

    async def work(n: int) -> None:
        await asyncio.sleep(0.05 if n == 0 else 0)
        done.append(n)

    processor = SenderOrderedProcessor(lambda m: asyncio.sleep(0), MemoryState(), 60, 10)
    for n in range(3):
        processor.submit_status("wamid.X", lambda n=n: work(n))
    assert await processor.drain(5)
    assert done == [0, 1, 2]


class BrokenState(MemoryState):
    async def claim(self, key: str, ttl_seconds: float) -> bool:
        raise RedisConnectionError("Redis is down")


async def test_without_redis_messages_are_still_handled() -> None:
    handled: list[str] = []

    async def handler(msg: WhatsAppMessage) -> None:
        handled.append(msg.text)

    processor = SenderOrderedProcessor(handler, BrokenState(), 60, 10)
    processor.submit(message("a", "halo"))
    assert await processor.drain(5)
    assert handled == ["halo"]


async def test_a_failing_handler_does_not_stop_the_next_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[str] = []

    async def handler(msg: WhatsAppMessage) -> None:
        if msg.text == "rusak":
            raise RuntimeError("boom")
        handled.append(msg.text)

    processor = SenderOrderedProcessor(handler, MemoryState(), 60, 10)
    processor.submit(message("a", "rusak"))
    processor.submit(message("a", "berikut"))
    assert await processor.drain(5)
    assert handled == ["berikut"]
    assert "background work failed" in caplog.text


async def test_stop_cancels_what_does_not_finish_in_time() -> None:
    finished: list[str] = []

    async def handler(msg: WhatsAppMessage) -> None:
        await asyncio.sleep(10)
        finished.append(msg.text)

    processor = SenderOrderedProcessor(handler, MemoryState(), 60, 10)
    processor.submit(message("a", "lama"))
    await asyncio.sleep(0)
    assert not await processor.drain(0.05)
    await processor.stop(0.05)
    assert await processor.drain(1)
    assert finished == []
