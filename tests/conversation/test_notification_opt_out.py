"""Turning status updates off and on by talking to the bot, through the real assistant.

Fake Bot API -> gateway (in-process, notifier on) -> Rasa -> action server -> backend
on SQLite, all real but Telegram. No Redis: the notifier reads the backend's outbox
over its API, the `make run` default.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conversation.conftest import ROOT, Assistant, notifying_gateway
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.gateway.conftest import RunningGateway

#: Long enough for the notifier to poll the outbox (every second when idle) a few times.
QUIET_SECONDS = 3.5
#: A turn through Rasa and the action server on a busy machine.
TURN_SECONDS = 60.0
OPTED_OUT = "the citizen turned notifications off"


def domain_text(response: str) -> str:
    """The Indonesian (unconditional) text of a response in domain.yml."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    [text] = [v["text"] for v in domain["responses"][response] if not v.get("condition")]
    return str(text)


@pytest.fixture
def gateway(
    assistant: Assistant, telegram: FakeTelegramAPI, tmp_path: Path
) -> Iterator[RunningGateway]:
    """A webhook gateway in front of the real assistant, its notifier on the backend's outbox."""
    with notifying_gateway(assistant, telegram, tmp_path, TURN_SECONDS) as started:
        yield started


class Office:
    """The backend as an officer and the gateway's notifier see it."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.assistant.backend_token}"}
        url = f"{self.assistant.backend_url}{path}"
        return httpx.request(method, url, headers=headers, timeout=30, **kwargs)

    def file_report(self, chat: int) -> str:
        body = {
            "report_type": "complaint",
            "category": "sampah",
            "description": "Sampah menumpuk di pinggir jalan dekat pasar sudah dua minggu.",
            "location": {"text": "Pasar Kemis", "kecamatan": "Pasar Kemis"},
            "privacy": "public",
            "channel": "telegram",
            "reporter": {"name": "Budi", "chat_id": f"telegram:{chat}", "language": "id"},
        }
        response = self.api("POST", "/api/v1/complaints", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_id"])

    def move(self, tracking_id: str, status: str) -> dict[str, Any]:
        """Change the status; returns the notification it queued."""
        body = {"status": status, "note": None}
        response = self.api("POST", f"/api/v1/complaints/{tracking_id}/status", json=body)
        assert response.status_code == 200, response.text
        notification = self.notifications(tracking_id)[-1]
        assert notification["status"] == status
        return notification

    def notifications(self, tracking_id: str) -> list[dict[str, Any]]:
        response = self.api("GET", f"/api/v1/complaints/{tracking_id}")
        assert response.status_code == 200, response.text
        return list(response.json()["notifications"])

    def notification(self, tracking_id: str, event_id: str) -> dict[str, Any]:
        [found] = [n for n in self.notifications(tracking_id) if n["event_id"] == event_id]
        return found

    def pending(self) -> list[str]:
        """IDs of the outbox events not yet acknowledged by a notifier."""
        response = self.api("GET", "/api/v1/events/pending", params={"limit": 500})
        assert response.status_code == 200, response.text
        return [str(event["event_id"]) for event in response.json()["events"]]

    def preference(self, chat_id: str) -> bool | None:
        """The stored preference of a chat (None: never set), read from the backend's database."""
        path = self.assistant.data_dir / "backend.db"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            row = connection.execute(
                "SELECT enabled FROM notification_preferences WHERE chat_id = ?", (chat_id,)
            ).fetchone()
        return None if row is None else bool(row[0])


class Citizen:
    """One Telegram user of the bot."""

    def __init__(self, chat: int, gateway: RunningGateway, telegram: FakeTelegramAPI) -> None:
        self.chat = chat
        self.gateway = gateway
        self.telegram = telegram
        self.updates = UpdateFactory(token=telegram.token)

    def sent(self) -> list[str]:
        """Every text sent to this chat (answered or not)."""
        return [str(r.params["text"]) for r in self.telegram.requests("sendMessage", self.chat)]

    def says(self, text: str) -> list[str]:
        """Type a message; the bot's messages of that turn."""
        before = len(self.sent())
        assert self.gateway.post_update(self.updates.text(self.chat, text)).status_code == 200
        self.telegram.wait_for(lambda tg: len(self.sent()) > before, timeout=TURN_SECONDS)
        count = 0
        while count != len(self.sent()):  # a turn's messages go out back to back
            count = len(self.sent())
            time.sleep(0.6)
        return self.sent()[before:]


def _wait(predicate: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(0.2)


def test_berhenti_then_lanjut_notifikasi_turns_status_updates_off_and_on(
    assistant: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    chat = random.randint(10**8, 10**9)  # noqa: S311 - a conversation of its own
    chat_id = f"telegram:{chat}"
    office = Office(assistant)
    citizen = Citizen(chat, gateway, telegram)
    tracking_id = office.file_report(chat)
    assert office.preference(chat_id) is None

    assert citizen.says("berhenti notifikasi") == [domain_text("utter_notifications_stopped")]
    assert office.preference(chat_id) is False

    verified = office.move(tracking_id, "verified")
    _wait(
        lambda: office.notification(tracking_id, verified["event_id"])["state"] == "skipped",
        "the update skipped",
    )
    _wait(lambda: verified["event_id"] not in office.pending(), "the skipped event acknowledged")
    time.sleep(QUIET_SECONDS)
    assert office.notification(tracking_id, verified["event_id"])["reason"] == OPTED_OUT
    assert len(citizen.sent()) == 1, citizen.sent()  # only the bot's confirmation

    assert citizen.says("lanjut notifikasi") == [domain_text("utter_notifications_resumed")]
    assert office.preference(chat_id) is True

    in_progress = office.move(tracking_id, "in_progress")
    telegram.wait_for(lambda tg: len(citizen.sent()) == 3, timeout=30)
    _wait(
        lambda: office.notification(tracking_id, in_progress["event_id"])["state"] == "sent",
        "the update sent",
    )
    _wait(lambda: in_progress["event_id"] not in office.pending(), "the sent event acknowledged")
    time.sleep(QUIET_SECONDS)
    update = citizen.sent()[2:]
    assert len(update) == 1, update
    assert tracking_id in update[0]
    assert "Sedang ditindaklanjuti" in update[0]
    assert [r.params["chat_id"] for r in telegram.requests("sendMessage")] == [chat] * 3
    states = [(n["status"], n["state"]) for n in office.notifications(tracking_id)]
    assert states == [("verified", "skipped"), ("in_progress", "sent")]
