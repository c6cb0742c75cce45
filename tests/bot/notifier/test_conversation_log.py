"""`ConversationLog`: status updates written into the citizen's Rasa conversation."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.notifier.conversation_log import ConversationLog, ConversationLogError

Reply = Callable[[httpx.Request], httpx.Response]


class FakeRasa:
    """Rasa's `POST /conversations/{id}/tracker/events`, recording requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.slots: dict[str, Any] = {"language": None}
        self.reply: Reply | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply(request)
        return httpx.Response(200, json={"sender_id": "x", "slots": self.slots, "events": None})

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def log(rasa: FakeRasa) -> AsyncIterator[ConversationLog]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(rasa)) as http:
        yield ConversationLog(http, "http://rasa.test:5005/", "rasa-secret")


def raise_(error: Exception) -> Reply:
    def reply(request: httpx.Request) -> httpx.Response:
        raise error

    return reply


async def test_open_update_sets_the_tracking_id_slot(log: ConversationLog, rasa: FakeRasa) -> None:
    assert await log.open_update("telegram:4242", "TNG-2026-000123") == "id"
    [request] = rasa.requests
    assert request.method == "POST"
    assert request.url.raw_path.split(b"?")[0] == (b"/conversations/telegram%3A4242/tracker/events")
    assert request.url.host == "rasa.test"
    assert request.url.port == 5005
    assert dict(request.url.params) == {"include_events": "NONE", "token": "rasa-secret"}
    assert request.headers["content-type"] == "application/json"
    assert rasa.bodies() == [[{"event": "slot", "name": "tracking_id", "value": "TNG-2026-000123"}]]


@pytest.mark.parametrize(
    ("sender_id", "quoted"),
    [
        ("whatsapp:6281234567890", b"whatsapp%3A6281234567890"),
        ("telegram:-100/1 2", b"telegram%3A-100%2F1%202"),
    ],
)
async def test_the_sender_id_is_quoted_whole(
    log: ConversationLog, rasa: FakeRasa, sender_id: str, quoted: bytes
) -> None:
    await log.open_update(sender_id, "TNG-1")
    [request] = rasa.requests
    assert request.url.raw_path.split(b"?")[0] == b"/conversations/" + quoted + b"/tracker/events"


@pytest.mark.parametrize(
    ("slots", "language"),
    [
        ({"language": "en"}, "en"),
        ({"language": "id"}, "id"),
        ({"language": None}, "id"),
        ({"language": "fr"}, "id"),
        ({}, "id"),
        (None, "id"),
    ],
)
async def test_the_language_comes_from_the_slots(
    log: ConversationLog, rasa: FakeRasa, slots: dict[str, Any] | None, language: str
) -> None:
    rasa.slots = slots  # type: ignore[assignment]
    assert await log.open_update("telegram:4242", "TNG-1") == language


async def test_no_slots_in_the_tracker_means_indonesian(
    log: ConversationLog, rasa: FakeRasa
) -> None:
    rasa.reply = lambda r: httpx.Response(200, json={"sender_id": "telegram:4242"})
    assert await log.open_update("telegram:4242", "TNG-1") == "id"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (lambda r: httpx.Response(500, text="boom"), "HTTP 500"),
        (lambda r: httpx.Response(401, json={"message": "no"}), "HTTP 401"),
        (lambda r: httpx.Response(404), "HTTP 404"),
        (raise_(httpx.ConnectError("connection refused")), "connection refused"),
        (raise_(httpx.ReadTimeout("")), "ReadTimeout"),
    ],
    ids=["500", "401", "404", "connect", "timeout-no-message"],
)
async def test_open_update_errors_raise_conversation_log_error(
    log: ConversationLog, rasa: FakeRasa, reply: Reply, message: str
) -> None:
    rasa.reply = reply
    with pytest.raises(ConversationLogError, match=message):
        await log.open_update("telegram:4242", "TNG-1")


async def test_open_update_with_an_unreadable_answer_raises_conversation_log_error(
    log: ConversationLog, rasa: FakeRasa
) -> None:
    """BUG (bot/notifier/conversation_log.py, ConversationLog._append): a 200 whose body is
    not JSON (a proxy's HTML page) raises json.JSONDecodeError instead of
    ConversationLogError. `Notifier.notify` only catches ConversationLogError, so the
    event fails before it is sent and, unacknowledged, fails again on every redelivery:
    the citizen is never told (the documented fallback is to send it in Indonesian).
    """
    rasa.reply = lambda r: httpx.Response(200, text="<html>bad gateway</html>")
    with pytest.raises(ConversationLogError):
        await log.open_update("telegram:4242", "TNG-1")


async def test_record_message_logs_a_bot_event(log: ConversationLog, rasa: FakeRasa) -> None:
    before = time.time()
    await log.record_message("telegram:4242", "Kabar terbaru ...", "ab12cd34")
    after = time.time()
    [request] = rasa.requests
    assert request.url.raw_path.split(b"?")[0] == (b"/conversations/telegram%3A4242/tracker/events")
    assert dict(request.url.params) == {"include_events": "NONE", "token": "rasa-secret"}
    [[event]] = rasa.bodies()
    assert event["event"] == "bot"
    assert event["text"] == "Kabar terbaru ..."
    assert event["metadata"] == {"notification_event_id": "ab12cd34"}
    assert before <= event["timestamp"] <= after
    assert set(event) == {"event", "text", "timestamp", "metadata"}


@pytest.mark.parametrize(
    "reply",
    [
        lambda r: httpx.Response(500),
        lambda r: httpx.Response(403),
        raise_(httpx.ConnectError("connection refused")),
    ],
    ids=["500", "403", "connect"],
)
async def test_record_message_swallows_errors_and_logs_them(
    log: ConversationLog,
    rasa: FakeRasa,
    reply: Reply,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rasa.reply = reply
    with caplog.at_level(logging.WARNING, logger="bot.notifier.conversation_log"):
        await log.record_message("telegram:4242", "text", "ev-1")
    assert len(rasa.requests) == 1
    [record] = [r for r in caplog.records if r.name == "bot.notifier.conversation_log"]
    assert record.levelno == logging.WARNING
    assert "not logged" in record.getMessage()
    # The chat ID is masked in logs.
    assert "***242" in record.getMessage()
    assert "telegram:4242" not in record.getMessage()
