"""`DeliveryReporter`: each notification's state, told to the backend."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from bot.notifier.backend import DeliveryReporter
from bot.notifier.events import ReportEvent

EVENT = ReportEvent(
    event_id="ab12cd34",
    type="complaint.status_changed",
    tracking_id="TNG-2026-000123",
    status="resolved",
    sender_id="telegram:4242",
)
Reply = Callable[[httpx.Request], httpx.Response]


class FakeBackend:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.reply: Reply = lambda r: httpx.Response(204)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
async def reporter(backend: FakeBackend) -> AsyncIterator[DeliveryReporter]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(backend)) as http:
        yield DeliveryReporter(http, "http://backend.test/", "svc-token")


async def test_sent(reporter: DeliveryReporter, backend: FakeBackend) -> None:
    assert await reporter.report(EVENT, "sent", message_id="77") is True
    [request] = backend.requests
    assert request.method == "PUT"
    assert str(request.url) == (
        "http://backend.test/api/v1/complaints/TNG-2026-000123/notifications/ab12cd34"
    )
    assert request.headers["Authorization"] == "Bearer svc-token"
    assert json.loads(request.content) == {
        "channel": "telegram",
        "state": "sent",
        "message_id": "77",
        "reason": None,
    }


async def test_failed_with_a_reason(reporter: DeliveryReporter, backend: FakeBackend) -> None:
    event = ReportEvent(
        event_id="ev-9",
        type="complaint.receipt",
        tracking_id="TNG-2026-000009",
        status="received",
        sender_id="whatsapp:6281234567890",
    )
    assert await reporter.report(event, "failed", reason="blocked the bot") is True
    [request] = backend.requests
    assert request.url.path == "/api/v1/complaints/TNG-2026-000009/notifications/ev-9"
    assert json.loads(request.content) == {
        "channel": "whatsapp",
        "state": "failed",
        "message_id": None,
        "reason": "blocked the bot",
    }


@pytest.mark.parametrize("status", [200, 201, 204])
async def test_success_statuses(
    reporter: DeliveryReporter, backend: FakeBackend, status: int
) -> None:
    backend.reply = lambda r: httpx.Response(status)
    assert await reporter.report(EVENT, "skipped", reason="off") is True


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 500, 503])
async def test_refused(
    reporter: DeliveryReporter,
    backend: FakeBackend,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend.reply = lambda r: httpx.Response(status, json={"detail": "no"})
    with caplog.at_level(logging.WARNING, logger="bot.notifier.backend"):
        assert await reporter.report(EVENT, "sent", message_id="1") is False
    assert any(f"HTTP {status}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")], ids=["connect", "timeout"]
)
async def test_unreachable(
    reporter: DeliveryReporter, backend: FakeBackend, error: Exception
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    backend.reply = fail
    assert await reporter.report(EVENT, "sent", message_id="1") is False
    assert len(backend.requests) == 1
