"""Status updates end to end on PostgreSQL and Redis: backend -> stream -> gateway -> Telegram.

The backend and the gateway run as processes (so they can be stopped and killed);
Telegram and Rasa are the fakes.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from benchmarks.harness import (
    free_port,
    process_alive,
    start_process,
    stop_process,
    wait_healthy,
)
from tests.conftest import POSTGRES_URL, REDIS_URL, service_missing
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.gateway.conftest import SECRET, WEBHOOK_URL, unique_token

TOKEN = "notifier-e2e-" + secrets.token_hex(8)


@dataclass
class Stack:
    """A running backend, the fakes, and how to (re)start a gateway."""

    backend_url: str
    telegram: FakeTelegramAPI
    rasa: FakeRasa
    gateway_env: dict[str, str]
    logs: Path
    backend_env: dict[str, str]
    gateway_url: str = ""

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the backend with the service token."""
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return httpx.request(
            method, f"{self.backend_url}{path}", headers=headers, timeout=10, **kwargs
        )

    def file_report(self, chat: int) -> str:
        """A report from a Telegram chat; returns its tracking ID."""
        body = {
            "report_type": "complaint",
            "category": "sampah",
            "description": "Sampah menumpuk di pinggir jalan dekat pasar sudah dua minggu.",
            "location": {"text": "Pasar Kemis", "kecamatan": "Pasar Kemis"},
            "privacy": "public",
            "channel": "telegram",
            "reporter": {"name": "Budi", "chat_id": f"telegram:{chat}"},
        }
        response = self.api("POST", "/api/v1/complaints", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_id"])

    def move(self, tracking_id: str, status: str, note: str | None = None) -> None:
        """Change a report's status as an officer would."""
        body = {"status": status, "note": note}
        response = self.api("POST", f"/api/v1/complaints/{tracking_id}/status", json=body)
        assert response.status_code == 200, response.text

    def notifier_health(self) -> dict[str, Any]:
        """What the running gateway says of its notifier."""
        health = httpx.get(f"{self.gateway_url}/health", timeout=10).json()
        return dict(health["notifier"])

    def notifications(self, tracking_id: str) -> list[dict[str, Any]]:
        """The report's notifications as the backend shows them."""
        report = self.api("GET", f"/api/v1/complaints/{tracking_id}").json()
        return list(report["notifications"])

    @contextmanager
    def gateway(self, name: str = "gw") -> Iterator[subprocess.Popen[bytes]]:
        """A gateway process (its notifier included); stopped at the end if still running."""
        port = free_port()
        env = {**self.gateway_env, "GATEWAY_PORT": str(port)}
        log = self.logs / f"{name}.log"
        process = start_process(["-m", "bot"], env, log)
        self.gateway_url = f"http://127.0.0.1:{port}"
        wait_healthy(f"{self.gateway_url}/health", process, 60, log)
        try:
            yield process
        finally:
            if process.poll() is None:
                stop_process(process)


@contextmanager
def running_stack(data_dir: Path, **extra_env: str) -> Iterator[Stack]:
    """A backend on a fresh PostgreSQL schema with a Redis stream of its own, and the fakes.

    `extra_env` adds to the backend's environment (the browser tests use it too).
    """
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_URL}", exc)
    schema = f"notifier_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means no usable server
        service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
    database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    stream = f"test:events:{uuid.uuid4().hex[:10]}"
    port = free_port()
    backend_env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "BACKEND_PORT": str(port),
        "BACKEND_API_TOKEN": TOKEN,
        "BACKEND_SECRET_KEY": secrets.token_urlsafe(24),
        "REDIS_URL": REDIS_URL,
        "EVENTS_STREAM": stream,
        **extra_env,
    }
    backend_log = data_dir / "backend.log"
    backend = start_process(["-m", "backend", "serve"], backend_env, backend_log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", backend, 60, backend_log)
        with FakeTelegramAPI(token=unique_token()) as telegram, FakeRasa() as rasa:
            gateway_env = {
                "DATA_DIR": str(data_dir),
                "GATEWAY_DATABASE_URL": database_url,
                "GATEWAY_INSTANCE": "gateway-under-test",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "RASA_URL": rasa.base_url,
                "RASA_API_TOKEN": rasa.api_token,
                "BACKEND_URL": f"http://127.0.0.1:{port}",
                "BACKEND_API_TOKEN": TOKEN,
                "REDIS_URL": REDIS_URL,
                "EVENTS_STREAM": stream,
                "NOTIFIER_CLAIM_IDLE_SECONDS": "2",
                "NOTIFIER_INTERRUPTED_SECONDS": "3",
            }
            yield Stack(
                f"http://127.0.0.1:{port}", telegram, rasa, gateway_env, data_dir, backend_env
            )
    finally:
        stop_process(backend)
        redis.Redis.from_url(REDIS_URL).delete(stream)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A backend on a fresh PostgreSQL schema with a Redis stream of its own."""
    with running_stack(tmp_path) as running:
        yield running


def _wait(predicate: Any, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(0.1)


def test_a_status_change_reaches_the_citizen_once_and_is_logged(stack: Stack) -> None:
    with stack.gateway():
        tracking_id = stack.file_report(9101)
        stack.move(tracking_id, "verified", "Diteruskan ke DLHK.")
        stack.telegram.wait_for(lambda tg: len(tg.sent_texts(9101)) == 1, timeout=30)
        _wait(lambda: stack.notifications(tracking_id)[0]["state"] == "sent", what="state sent")
        time.sleep(2.5)  # past the claim idle time: nothing comes again
    [message] = stack.telegram.sent_texts(9101)
    assert tracking_id in message
    assert "Diverifikasi" in message
    assert "Diteruskan ke DLHK." in message
    assert stack.rasa.bot_messages("telegram:9101") == [message]
    slots = [e for e in stack.rasa.appended["telegram:9101"] if e["event"] == "slot"]
    assert slots == [{"event": "slot", "name": "tracking_id", "value": tracking_id}]


def test_resolved_asks_whether_it_is_fixed_with_buttons(stack: Stack) -> None:
    with stack.gateway():
        tracking_id = stack.file_report(9102)
        for status in ("verified", "in_progress", "resolved"):
            stack.move(tracking_id, status, "Sudah diangkut." if status == "resolved" else None)
        stack.telegram.wait_for(lambda tg: len(tg.sent_texts(9102)) == 3, timeout=30)
    last = stack.telegram.sent_messages(9102)[-1]
    assert "benar-benar sudah beres" in last["text"]
    buttons = [b for row in last["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Sudah beres", "Belum beres"]
    assert tracking_id in buttons[0]["callback_data"]


def _wait_settled(stack: Stack, reports: dict[int, str]) -> None:
    """Until every citizen was told, or their update was reported failed."""

    def settled() -> bool:
        return all(
            stack.telegram.sent_texts(chat)
            or stack.notifications(tracking_id)[0]["state"] == "failed"
            for chat, tracking_id in reports.items()
        )

    _wait(settled, timeout=90, what="every event sent or reported interrupted")


def _assert_once_or_interrupted(stack: Stack, reports: dict[int, str]) -> dict[int, int]:
    """Nobody told twice; whoever was not told has "interrupted" as the reason; the counts."""
    counts = {chat: len(stack.telegram.sent_texts(chat)) for chat in reports}
    assert max(counts.values()) == 1, counts
    for chat, tracking_id in reports.items():
        [notification] = stack.notifications(tracking_id)
        if counts[chat] == 0:
            assert notification["state"] == "failed"
            assert "interrupted" in notification["reason"]
    return counts


def _batch(stack: Stack, first_chat: int, count: int) -> dict[int, str]:
    reports = {first_chat + i: stack.file_report(first_chat + i) for i in range(count)}
    for tracking_id in reports.values():
        stack.move(tracking_id, "verified")
    return reports


def test_a_gateway_stopped_mid_batch_and_restarted_delivers_every_event_once(
    stack: Stack,
) -> None:
    stack.telegram.latency = 0.05
    reports = _batch(stack, 9200, 120)  # waiting in the stream before the gateway starts
    with stack.gateway("first") as first:
        stack.telegram.wait_for(lambda tg: len(tg.requests("sendMessage")) >= 10, timeout=60)
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    sent_before = len(stack.telegram.requests("sendMessage", successful=True))
    assert sent_before < 120, "the batch finished before the stop: nothing was tested"
    with stack.gateway("second"):
        _wait(
            lambda: all(stack.telegram.sent_texts(chat) for chat in reports),
            timeout=90,
            what="every citizen told",
        )
        time.sleep(3)
    counts = {chat: len(stack.telegram.sent_texts(chat)) for chat in reports}
    assert set(counts.values()) == {1}, counts
    for tracking_id in list(reports.values())[:5]:
        assert stack.notifications(tracking_id)[0]["state"] == "sent"


def test_a_killed_gateway_never_sends_twice(stack: Stack) -> None:
    stack.telegram.latency = 0.05
    reports = _batch(stack, 9300, 80)
    with stack.gateway("killed") as first:
        child = stack.notifier_health()["pid"]
        stack.telegram.wait_for(lambda tg: len(tg.requests("sendMessage")) >= 8, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    _wait(lambda: not process_alive(child), timeout=15, what="its notifier process stopped too")
    with stack.gateway("after-kill"):
        _wait_settled(stack, reports)
        time.sleep(3)
    _assert_once_or_interrupted(stack, reports)


def test_a_killed_notifier_process_is_restarted_and_never_sends_twice(stack: Stack) -> None:
    stack.telegram.latency = 0.05
    reports = _batch(stack, 9500, 80)
    with stack.gateway("parent") as gateway:
        notifier = stack.notifier_health()
        assert notifier["mode"] == "process"
        assert notifier["pid"] not in (None, gateway.pid)
        _wait(  # set by the child as it starts: conversations first
            lambda: os.sched_getscheduler(notifier["pid"]) == os.SCHED_IDLE,
            what="the notifier at idle CPU priority",
        )
        assert os.sched_getscheduler(gateway.pid) == os.SCHED_OTHER
        stack.telegram.wait_for(lambda tg: len(tg.requests("sendMessage")) >= 8, timeout=60)
        os.kill(notifier["pid"], signal.SIGKILL)
        sent_at_kill = len(stack.telegram.requests("sendMessage", successful=True))
        _wait(lambda: stack.notifier_health()["restarts"] == 1, what="the notifier restarted")
        assert stack.notifier_health()["pid"] not in (None, notifier["pid"])
        _wait_settled(stack, reports)
        time.sleep(3)
        assert gateway.poll() is None, "the gateway itself kept running"
    assert sent_at_kill < len(reports), "the batch finished before the kill: nothing was tested"
    counts = _assert_once_or_interrupted(stack, reports)
    assert sum(counts.values()) > sent_at_kill, "the restarted notifier sent the rest"


def test_a_blocked_citizen_gets_failed_with_the_reason(stack: Stack) -> None:
    stack.telegram.fail_next("sendMessage", kind="forbidden", chat_id=9401)
    with stack.gateway():
        tracking_id = stack.file_report(9401)
        stack.move(tracking_id, "verified")
        _wait(
            lambda: stack.notifications(tracking_id)[0]["state"] == "failed",
            what="state failed",
        )
    [notification] = stack.notifications(tracking_id)
    assert "blocked" in notification["reason"]
    assert stack.telegram.sent_texts(9401) == []


def test_a_429_storm_delays_but_delivers_once(stack: Stack) -> None:
    stack.telegram.fail_next(
        "sendMessage", kind="retry_after", chat_id=9402, retry_after=1, times=3
    )
    with stack.gateway():
        tracking_id = stack.file_report(9402)
        stack.move(tracking_id, "verified")
        stack.telegram.wait_for(lambda tg: len(tg.sent_texts(9402)) == 1, timeout=30)
        _wait(lambda: stack.notifications(tracking_id)[0]["state"] == "sent", what="sent")
    statuses = [r.status for r in stack.telegram.requests("sendMessage", chat_id=9402)]
    assert statuses == [429, 429, 429, 200]


def test_opting_out_and_back_in(stack: Stack) -> None:
    with stack.gateway():
        tracking_id = stack.file_report(9403)
        off = stack.api(
            "PUT", "/api/v1/notification-preferences/telegram:9403", json={"enabled": False}
        )
        assert off.status_code == 200
        stack.move(tracking_id, "verified")
        _wait(lambda: stack.notifications(tracking_id)[0]["state"] == "skipped", what="skipped")
        on = stack.api(
            "PUT", "/api/v1/notification-preferences/telegram:9403", json={"enabled": True}
        )
        assert on.status_code == 200
        stack.move(tracking_id, "in_progress")
        stack.telegram.wait_for(lambda tg: len(tg.sent_texts(9403)) == 1, timeout=30)
    assert "Sedang ditindaklanjuti" in stack.telegram.sent_texts(9403)[0]
    states = [n["state"] for n in stack.notifications(tracking_id)]
    assert states == ["skipped", "sent"]
