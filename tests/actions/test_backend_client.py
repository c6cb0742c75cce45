"""`BackendClient`: requests sent and errors raised, on an `httpx.MockTransport`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions.backend_client import (
    DEFAULT_TIMEOUT,
    BackendClient,
    BackendUnavailable,
    ComplaintRejected,
    ReportNotFound,
    make_http_client,
)
from actions.services import build_services
from tests.actions.conftest import FakeBackend, make_settings

REPORT = {"tracking_id": "TNG-2026-000012", "status": "received"}


@pytest.fixture
async def client(fake_backend: FakeBackend) -> AsyncIterator[BackendClient]:
    """A client of `http://backend.test/` (trailing slash on purpose) with token "tok"."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake_backend)) as http:
        yield BackendClient(http, "http://backend.test/", "tok")


Call = Callable[[BackendClient], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "create": lambda c: c.create_complaint({"category": "sampah"}, "key-1"),
    "receipt": lambda c: c.request_receipt("TNG-2026-000012"),
    "get": lambda c: c.get_complaint("TNG-2026-000012"),
    "list": lambda c: c.list_reports_of_chat("telegram:42", 5),
}


async def test_create_complaint(client: BackendClient, fake_backend: FakeBackend) -> None:
    fake_backend.reply = lambda request: httpx.Response(201, json=REPORT)
    body = {"category": "sampah", "description": "Sampah menumpuk di pasar"}
    assert await client.create_complaint(body, "key-1") == REPORT
    [request] = fake_backend.requests
    assert request.method == "POST"
    assert str(request.url) == "http://backend.test/api/v1/complaints"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Idempotency-Key"] == "key-1"
    assert json.loads(request.content) == body


async def test_request_receipt(client: BackendClient, fake_backend: FakeBackend) -> None:
    fake_backend.reply = lambda request: httpx.Response(202, json=REPORT)
    assert await client.request_receipt("TNG-2026-000012") is None
    [request] = fake_backend.requests
    assert request.method == "POST"
    assert str(request.url) == "http://backend.test/api/v1/complaints/TNG-2026-000012/receipt"
    assert request.headers["Authorization"] == "Bearer tok"
    assert "Idempotency-Key" not in request.headers
    assert request.content == b""


async def test_get_complaint(client: BackendClient, fake_backend: FakeBackend) -> None:
    fake_backend.reply = lambda request: httpx.Response(200, json=REPORT)
    assert await client.get_complaint("TNG-2026-000012") == REPORT
    [request] = fake_backend.requests
    assert request.method == "GET"
    assert str(request.url) == "http://backend.test/api/v1/complaints/TNG-2026-000012"
    assert request.headers["Authorization"] == "Bearer tok"


async def test_list_reports_of_chat(client: BackendClient, fake_backend: FakeBackend) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        200, json={"items": [REPORT], "total": 1, "page": 1, "per_page": 3, "pages": 1}
    )
    assert await client.list_reports_of_chat("telegram:42", 3) == [REPORT]
    [request] = fake_backend.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v1/complaints"
    assert dict(request.url.params) == {"reporter_chat_id": "telegram:42", "per_page": "3"}
    assert request.headers["Authorization"] == "Bearer tok"


@pytest.mark.parametrize("call", ["receipt", "get"])
async def test_unknown_tracking_id(
    client: BackendClient, fake_backend: FakeBackend, call: str
) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        404, json={"error": "not_found", "message": "No report TNG-2026-000012"}
    )
    with pytest.raises(ReportNotFound):
        await CALLS[call](client)


async def test_no_create_endpoint_means_unavailable(
    client: BackendClient, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = lambda request: httpx.Response(404, text="Not Found")
    with pytest.raises(BackendUnavailable, match="HTTP 404"):
        await client.create_complaint({}, "key-1")


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("status", [500, 502, 503, 401, 403, 429])
async def test_server_errors_and_refused_credentials_mean_unavailable(
    client: BackendClient, fake_backend: FakeBackend, call: str, status: int
) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        status, json={"error": "x", "message": "down"}
    )
    with pytest.raises(BackendUnavailable, match=f"HTTP {status}"):
        await CALLS[call](client)


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError],
)
async def test_transport_errors_mean_unavailable(
    client: BackendClient, fake_backend: FakeBackend, call: str, error: type[httpx.TransportError]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    fake_backend.reply = fail
    with pytest.raises(BackendUnavailable, match=error.__name__) as caught:
        await CALLS[call](client)
    assert isinstance(caught.value.__cause__, error)


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("status", [400, 409, 422])
async def test_refusals_carry_the_backends_message(
    client: BackendClient, fake_backend: FakeBackend, call: str, status: int
) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        status,
        json={"error": "validation_error", "message": "description: too short", "details": []},
    )
    with pytest.raises(ComplaintRejected) as caught:
        await CALLS[call](client)
    assert caught.value.message == "description: too short"
    assert caught.value.status_code == status
    assert str(caught.value) == "description: too short"


async def test_a_refusal_without_json_keeps_the_text(
    client: BackendClient, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = lambda request: httpx.Response(400, text="Bad Request")
    with pytest.raises(ComplaintRejected) as caught:
        await client.create_complaint({}, "key-1")
    assert caught.value.message == "Bad Request"
    assert caught.value.status_code == 400


def test_the_default_http_client_answers_within_a_turn() -> None:
    http = make_http_client()
    assert http.timeout == DEFAULT_TIMEOUT
    assert http.timeout.read is not None
    assert http.timeout.read < 5
    assert http.timeout.connect is not None
    assert http.timeout.connect < 5


@pytest.mark.parametrize(
    ("seconds", "read", "connect"), [(4.0, 4.0, 2.0), (1.5, 1.5, 1.5), (3.0, 3.0, 2.0)]
)
async def test_services_use_the_configured_timeout(
    tmp_path: Path, seconds: float, read: float, connect: float
) -> None:
    services = build_services(make_settings(tmp_path, backend_timeout_seconds=seconds))
    try:
        assert services.http.timeout.read == read
        assert services.http.timeout.connect == connect
        assert (tmp_path / "actions.db").exists()
    finally:
        await services.close()
