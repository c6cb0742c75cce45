"""The same problem reported twice, through the real assistant: nearby open reports are
offered before filing, and a citizen who picks one follows it.

Fake Bot API -> gateway (notifier on the backend's outbox) -> Rasa -> action server ->
backend on SQLite. The first reports are filed through the backend's API (another
citizen, earlier); each test uses its own corner of the regency so they never meet.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conversation.conftest import Assistant, notifying_gateway
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import RunningGateway

TURN_SECONDS = 60.0
#: Long enough for a second delivery of one update to show up.
QUIET_SECONDS = 4.0
POTHOLE = "jalan berlubang besar dan dalam, motor sering jatuh kalau malam"
FIRST_POTHOLE = "Jalan berlubang besar di depan warung, dua motor jatuh minggu ini"
#: About 50 m north of a point (a degree of latitude is ~111 km).
FIFTY_METRES = 0.00045
#: The words of the offer and of a follow, as the domain says them.
OFFER = "Sudah ada laporan serupa di sekitar lokasi itu"
SAME = "Ya, masalah yang sama"
NEW = "Bukan, buat laporan baru"
DATE_QUESTION = "Kapan kejadiannya"
Messages = list[dict[str, Any]]


@pytest.fixture
def gateway(
    assistant: Assistant, telegram: FakeTelegramAPI, tmp_path: Path
) -> Iterator[RunningGateway]:
    """A webhook gateway in front of the real assistant, its notifier on the outbox."""
    with notifying_gateway(assistant, telegram, tmp_path, TURN_SECONDS) as started:
        yield started


def api(assistant: Assistant, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {assistant.backend_token}"}
    url = f"{assistant.backend_url}{path}"
    return httpx.request(method, url, headers=headers, timeout=30, **kwargs)


def file_earlier(
    assistant: Assistant,
    latitude: float,
    longitude: float,
    *,
    category: str = "jalan_jembatan",
    privacy: str = "public",
    description: str = FIRST_POTHOLE,
) -> str:
    """A report filed earlier by another citizen, with a pin; its tracking ID."""
    body = {
        "report_type": "complaint",
        "category": category,
        "description": description,
        "location": {"text": "dekat warung", "latitude": latitude, "longitude": longitude},
        "privacy": privacy,
        "channel": "telegram",
        "reporter": {"name": "Budi", "chat_id": f"telegram:{new_chat()}", "language": "id"},
    }
    response = api(assistant, "POST", "/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_id"])


def new_chat() -> int:
    return random.randint(10**8, 10**9)  # noqa: S311 - a conversation of its own


class Citizen:
    """One Telegram user of the bot."""

    def __init__(self, gateway: RunningGateway, telegram: FakeTelegramAPI) -> None:
        self.chat = new_chat()
        self.gateway = gateway
        self.telegram = telegram
        # Update IDs of their own: the gateway drops an update ID it has seen already.
        first = random.randint(10**8, 10**9) * 1000  # noqa: S311
        self.updates = UpdateFactory(token=telegram.token, first_update_id=first)
        self.latest: Messages = []

    def sent(self) -> Messages:
        """Every message sent to this chat."""
        return self.telegram.sent_messages(self.chat)

    def _send(self, update: dict[str, Any]) -> str:
        before = len(self.sent())
        assert self.gateway.post_update(update).status_code == 200
        self.telegram.wait_for(lambda tg: len(self.sent()) > before, timeout=TURN_SECONDS)
        count = 0
        while count != len(self.sent()):  # a turn's messages go out back to back
            count = len(self.sent())
            time.sleep(0.6)
        self.latest = self.sent()[before:]
        return "\n".join(str(m.get("text", "")) for m in self.latest)

    def says(self, text: str) -> str:
        return self._send(self.updates.text(self.chat, text))

    def shares_location(self, latitude: float, longitude: float) -> str:
        return self._send(self.updates.location(self.chat, latitude, longitude))

    def buttons(self) -> list[str]:
        """The titles of the buttons in the bot's latest answer."""
        rows = [(m.get("reply_markup") or {}).get("inline_keyboard") or [] for m in self.latest]
        return [b["text"] for keyboard in rows for row in keyboard for b in row]

    def taps(self, title: str) -> str:
        for message in reversed(self.latest):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for button in (b for row in rows for b in row):
                if button["text"] == title:
                    update = self.updates.callback(
                        self.chat, button["callback_data"], message["message_id"],
                        message["text"], rows,
                    )  # fmt: skip
                    return self._send(update)
        raise AssertionError(f"no button {title!r} in {self.latest}")

    def reaches_the_place_question(self) -> None:
        """The pothole told, its category confirmed: the bot asks where."""
        asked = self.says(POTHOLE)
        if "Di mana lokasinya" not in asked:
            asked = self.says("iya")  # the category suggestion
        assert "Di mana lokasinya" in asked, asked

    def finishes_the_report(self) -> str:
        """Date, privacy, no photo, send: the bot's last answer."""
        assert "boleh dilihat siapa" in self.says("kemarin")
        assert "foto" in self.says("publik")
        assert "Mohon periksa laporan" in self.says("gak ada")
        return self.says("ya")


def reports_of(assistant: Assistant, chat: int) -> list[dict[str, Any]]:
    params = {"reporter_chat_id": f"telegram:{chat}"}
    response = api(assistant, "GET", "/api/v1/complaints", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def report(assistant: Assistant, tracking_id: str) -> dict[str, Any]:
    response = api(assistant, "GET", f"/api/v1/complaints/{tracking_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_same_pothole_50_m_away_is_offered_followed_and_its_update_arrives_once(
    assistant: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    latitude, longitude = -6.190, 106.440
    first = file_earlier(assistant, latitude, longitude)
    citizen = Citizen(gateway, telegram)
    citizen.reaches_the_place_question()

    offered = citizen.shares_location(latitude + FIFTY_METRES, longitude)
    assert OFFER in offered, offered
    assert "dua motor jatuh" in offered  # what the first report says
    assert "±50 m dari lokasi Bapak/Ibu" in offered
    assert "menunggu verifikasi" in offered
    assert citizen.buttons() == [SAME, NEW]

    followed = citizen.taps(SAME)
    assert f"ikut memantau laporan {first}" in followed, followed
    assert "berhenti notifikasi" in followed
    assert reports_of(assistant, citizen.chat) == []  # no second report
    assert report(assistant, first)["followers_count"] == 1

    # The first report's status changes: the follower hears it once.
    before = len(citizen.sent())
    changed = api(
        assistant,
        "POST",
        f"/api/v1/complaints/{first}/status",
        json={"status": "verified", "note": "Sudah dicek petugas."},
    )
    assert changed.status_code == 200, changed.text
    telegram.wait_for(lambda tg: len(citizen.sent()) > before, timeout=30)
    time.sleep(QUIET_SECONDS)
    update = citizen.sent()[before:]
    assert len(update) == 1, update
    assert first in update[0]["text"]

    # After the form ended, the conversation goes on as usual.
    assert "Nomor laporan" not in citizen.says("terima kasih pak")


def test_a_report_2_km_away_or_of_another_category_is_not_offered(
    assistant: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    latitude, longitude = -6.230, 106.470
    far = file_earlier(assistant, latitude - 0.018, longitude)  # ~2 km south
    rubbish = file_earlier(
        assistant,
        latitude,
        longitude,
        category="sampah",
        description="Sampah menumpuk di pinggir jalan, bau sekali",
    )
    citizen = Citizen(gateway, telegram)
    citizen.reaches_the_place_question()

    asked = citizen.shares_location(latitude, longitude)
    assert OFFER not in asked
    assert DATE_QUESTION in asked, asked
    filed = citizen.finishes_the_report()
    assert "Nomor laporan" in filed, filed
    [mine] = reports_of(assistant, citizen.chat)
    assert mine["tracking_id"] not in (far, rubbish)
    assert report(assistant, far)["followers_count"] == 0


def test_a_confidential_report_is_offered_without_details_and_no_files_a_new_one(
    assistant: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    latitude, longitude = -6.210, 106.500
    secret = file_earlier(
        assistant,
        latitude,
        longitude,
        privacy="confidential",
        description="Lubang di depan rumah Pak Joko nomor 12, saya takut melapor terbuka",
    )
    citizen = Citizen(gateway, telegram)
    citizen.reaches_the_place_question()

    offered = citizen.shares_location(latitude - 0.0003, longitude + 0.0002)
    assert OFFER in offered, offered
    assert "1. Laporan serupa" in offered
    for detail in ("Joko", "rumah", "takut", "m dari lokasi", "verifikasi", secret):
        assert detail not in offered, detail

    assert DATE_QUESTION in citizen.taps(NEW), citizen.latest
    filed = citizen.finishes_the_report()
    assert "Nomor laporan" in filed, filed
    [mine] = reports_of(assistant, citizen.chat)
    assert mine["tracking_id"] != secret
    assert mine["location"]["latitude"] == pytest.approx(latitude - 0.0003)
    assert report(assistant, secret)["followers_count"] == 0


def test_typed_answers_choose_too(
    assistant: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    latitude, longitude = -6.150, 106.420
    first = file_earlier(assistant, latitude, longitude)
    beda = Citizen(gateway, telegram)
    beda.reaches_the_place_question()
    assert OFFER in beda.shares_location(latitude, longitude + 0.0003)
    assert DATE_QUESTION in beda.says("beda pak, itu lain")

    same = Citizen(gateway, telegram)
    same.reaches_the_place_question()
    assert OFFER in same.shares_location(latitude, longitude - 0.0003)
    assert f"ikut memantau laporan {first}" in same.says("iya sama yg itu")
    assert reports_of(assistant, same.chat) == []
