"""A whole complaint filed on Telegram: fake Bot API -> gateway -> Rasa -> actions -> backend."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conversation.conftest import Assistant
from tests.conversation.test_end_to_end import backend_get, tiny_png
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import RunningGateway, running, settings_for

CHAT = 880_001
Messages = list[dict[str, Any]]


@pytest.fixture
def gateway(assistant: Assistant, telegram: FakeTelegramAPI) -> Iterator[RunningGateway]:
    """A webhook gateway in front of the real assistant."""
    settings = settings_for(
        telegram,
        assistant.rasa_url,
        assistant.backend_url,
        backend_api_token=assistant.backend_token,
    )
    with running(settings) as started:
        yield started


class Citizen:
    """One Telegram user talking to the bot through the gateway."""

    def __init__(
        self, gateway: RunningGateway, telegram: FakeTelegramAPI, chat: int = CHAT
    ) -> None:
        self.gateway = gateway
        self.telegram = telegram
        self.chat = chat
        self.updates = UpdateFactory(token=telegram.token)
        self.latest: Messages = []

    def _sent(self) -> Messages:
        return self.telegram.sent_messages(self.chat)

    def _send(self, update: dict[str, Any]) -> str:
        """Deliver an update; the bot's answer (all messages of the turn) as one text."""
        before = len(self._sent())
        assert self.gateway.post_update(update).status_code == 200
        self.telegram.wait_for(lambda tg: len(tg.sent_messages(self.chat)) > before, timeout=30)
        count = 0
        while count != len(self._sent()):  # a turn's messages go out back to back
            count = len(self._sent())
            time.sleep(0.6)
        self.latest = self._sent()[before:]
        return "\n".join(str(m.get("text", "")) for m in self.latest)

    def says(self, text: str) -> str:
        """Type a message."""
        return self._send(self.updates.text(self.chat, text))

    def taps(self, title: str) -> str:
        """Tap the button titled `title` in the bot's latest answer."""
        for message in reversed(self.latest):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for button in (b for row in rows for b in row):
                if button["text"] == title:
                    return self._send(
                        self.updates.callback(
                            self.chat,
                            button["callback_data"],
                            message["message_id"],
                            message["text"],
                            rows,
                        )
                    )
        raise AssertionError(f"no button {title!r} in {self.latest}")

    def shares_location(self, latitude: float, longitude: float) -> str:
        """Share a location pin."""
        return self._send(self.updates.location(self.chat, latitude, longitude))

    def sends_photo(self, file_id: str, content: bytes) -> str:
        """Send a photo without a caption."""
        self.telegram.add_file(file_id, content, "photos/file_9.png")
        return self._send(self.updates.photo(self.chat, file_id))


def test_a_complaint_filed_on_telegram_from_start_to_tracking_id(
    assistant: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    citizen = Citizen(gateway, telegram)
    assert "Bapak/Ibu" in citizen.says("/start")
    suggestion = citizen.says(
        "sampah numpuk di pinggir jalan dekat pasar udah 2 minggu gak diangkut, bau banget"
    )
    assert "Sampah" in suggestion
    sampah = next(
        b["text"]
        for m in citizen.latest
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if "Sampah" in b["text"]
    )
    assert "lokasi" in citizen.taps(sampah).lower()
    edits = telegram.requests("editMessageText", chat_id=CHAT)
    assert edits and edits[-1].params["text"].endswith(f"✅ {sampah}")

    # "2 minggu" in the first message is offered as the date; the citizen taps "Bukan".
    # (The pin is 2 km from test_end_to_end's report of the same kind: no duplicate offer.)
    assert "Kejadiannya sekitar" in citizen.shares_location(-6.180, 106.520)
    assert "kapan" in citizen.taps("Bukan").lower()
    assert "Publik" in str(citizen.says("2 hari lalu"))
    assert "foto" in citizen.taps("Publik").lower()
    summary = citizen.sends_photo("tg-photo-1", tiny_png())
    assert "Lampiran: 1" in summary
    done = citizen.taps("Kirim")
    assert "Nomor laporan: TNG-" in done
    tracking_id = done.split("Nomor laporan: ")[1].split()[0]

    report = backend_get(assistant, f"/api/v1/complaints/{tracking_id}").json()
    assert report["category"] == "sampah"
    assert report["channel"] == "telegram"
    assert report["location"]["latitude"] == -6.180
    assert report["location"]["longitude"] == 106.520
    assert len(report["attachments"]) == 1
    assert report["reporter"]["chat_id"] == f"telegram:{CHAT}"
    assert report["reporter"]["name"] == "Budi"
    stored = backend_get(assistant, f"/api/v1/attachments/{report['attachments'][0]}")
    assert stored.content == tiny_png()
