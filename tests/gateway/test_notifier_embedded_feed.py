"""Status updates end to end without Redis: the `make run` default.

The backend keeps its reports on SQLite and publishes nothing anywhere; the gateway's
notifier reads the backend's outbox over its API (`GET /api/v1/events/pending`) and
acknowledges each event it handled (`POST /api/v1/events/{id}/ack`). The backend and
the gateway run as processes, Telegram and Rasa are the fakes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.harness import free_port, start_process, stop_process, wait_healthy
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.gateway.conftest import SECRET, WEBHOOK_URL, unique_token
from tests.gateway.test_notifier_end_to_end import TOKEN, Stack

CHAT = 9501
#: The notifier polls the outbox every second when it is empty: a few polls.
QUIET_SECONDS = 3.5


@contextmanager
def embedded_stack(data_dir: Path) -> Iterator[Stack]:
    """A backend on SQLite under `data_dir` without Redis, the fakes, and the gateway's env."""
    port = free_port()
    backend_env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "BACKEND_PORT": str(port),
        "BACKEND_API_TOKEN": TOKEN,
        "BACKEND_SECRET_KEY": secrets.token_urlsafe(24),
    }
    backend_log = data_dir / "backend.log"
    backend = start_process(["-m", "backend", "serve"], backend_env, backend_log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", backend, 60, backend_log)
        with FakeTelegramAPI(token=unique_token()) as telegram, FakeRasa() as rasa:
            gateway_env = {
                "DATA_DIR": str(data_dir),  # gateway.db next to backend.db, as `make run` does
                "GATEWAY_DATABASE_URL": "",
                "REDIS_URL": "",
                "NOTIFIER_ENABLED": "true",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "RASA_URL": rasa.base_url,
                "RASA_API_TOKEN": rasa.api_token,
                "BACKEND_URL": f"http://127.0.0.1:{port}",
                "BACKEND_API_TOKEN": TOKEN,
            }
            yield Stack(
                f"http://127.0.0.1:{port}", telegram, rasa, gateway_env, data_dir, backend_env
            )
    finally:
        stop_process(backend)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The embedded stack on a data directory of its own."""
    with embedded_stack(tmp_path) as running:
        yield running


def _wait(predicate: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(0.1)


def _pending(stack: Stack) -> list[str]:
    """The IDs of the outbox events the backend still hands out."""
    response = stack.api("GET", "/api/v1/events/pending")
    assert response.status_code == 200, response.text
    return [str(event["event_id"]) for event in response.json()["events"]]


def _sends(stack: Stack) -> list[tuple[int, str]]:
    """Every sendMessage the fake received (answered or not): (chat, text)."""
    return [
        (int(r.params["chat_id"]), str(r.params["text"]))
        for r in stack.telegram.requests("sendMessage")
    ]


def _other_than_sends(stack: Stack) -> list[str]:
    """The methods of every other request: the gateway setting up its webhook and menu."""
    return [r.method for r in stack.telegram.requests() if r.method != "sendMessage"]


def test_a_status_change_reaches_the_citizen_once_through_the_backend_outbox(
    stack: Stack,
) -> None:
    tracking_id = stack.file_report(CHAT)
    with stack.gateway("first"):
        _wait(lambda: _pending(stack) == [], "the filing event handled and acknowledged")
        stack.move(tracking_id, "verified", "Diteruskan ke DLHK.")
        [verified] = stack.notifications(tracking_id)
        stack.telegram.wait_for(lambda tg: len(tg.requests("sendMessage")) >= 1, timeout=30)
        _wait(lambda: stack.notifications(tracking_id)[0]["state"] == "sent", "state sent")
        _wait(lambda: _pending(stack) == [], "the status event acknowledged")
        time.sleep(QUIET_SECONDS)  # further polls of the outbox bring nothing again
        first_sends = _sends(stack)
    set_up = _other_than_sends(stack)

    [(chat, text)] = first_sends
    assert chat == CHAT
    assert tracking_id in text
    assert "Diverifikasi" in text
    assert "Diteruskan ke DLHK." in text
    [request] = stack.telegram.requests("sendMessage")
    assert request.ok
    assert "sendMessage" not in set_up
    [notification] = stack.notifications(tracking_id)
    assert notification["event_id"] == verified["event_id"]
    assert notification["state"] == "sent"
    assert notification["channel"] == "telegram"
    assert stack.rasa.bot_messages(f"telegram:{CHAT}") == [text]

    # Stopped: an officer moves the report on; the event waits in the outbox.
    stack.move(tracking_id, "in_progress", "Petugas DLHK dijadwalkan besok pagi.")
    in_progress = stack.notifications(tracking_id)[1]
    assert in_progress["state"] == "queued"
    assert _pending(stack) == [in_progress["event_id"]]
    time.sleep(1.0)
    assert _sends(stack) == first_sends, "something was sent without a gateway"

    stack.telegram.clear()
    with stack.gateway("second"):
        stack.telegram.wait_for(lambda tg: len(tg.requests("sendMessage")) >= 1, timeout=30)
        _wait(lambda: stack.notifications(tracking_id)[1]["state"] == "sent", "state sent")
        _wait(lambda: _pending(stack) == [], "the new event acknowledged")
        time.sleep(QUIET_SECONDS)
        second_sends = _sends(stack)

    # Only the event made while it was stopped: the first one was acknowledged before.
    [(chat, text)] = second_sends
    assert chat == CHAT
    assert tracking_id in text
    assert "Sedang ditindaklanjuti" in text
    assert "Petugas DLHK dijadwalkan besok pagi." in text
    assert "Diverifikasi" not in text
    assert _other_than_sends(stack) == set_up  # the same set-up and shutdown, nothing else
    assert [n["state"] for n in stack.notifications(tracking_id)] == ["sent", "sent"]
    assert stack.rasa.bot_messages(f"telegram:{CHAT}") == [first_sends[0][1], text]
