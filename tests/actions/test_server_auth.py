"""Only Rasa may call the action server: the `ACTIONS_TOKEN` secret on every call.

A hand-made `/webhook` request naming another chat's sender id used to run
`action_my_reports` and answer with that citizen's reports. Here the real app refuses
it, and the endpoints file Rasa reads sends the secret (read by Rasa's own reader).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from rasa.utils.endpoints import read_endpoint_config
from sanic import Sanic

from actions.backend_client import make_http_client
from actions.metrics import ActionMetrics, use_metrics
from actions.server import authorised, create_action_app
from actions.services import Services
from lapor_common.logs import attach_request_id, request_id_var
from scripts.rasa_endpoints import write_endpoints
from tests.actions.conftest import DOMAIN, FakeBackend, make_tracker

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-between-rasa-and-actions"


def my_reports_call(sender_id: str) -> dict[str, object]:
    """What Rasa posts to run `action_my_reports` for `sender_id`."""
    state = make_tracker().current_state()
    state["sender_id"] = sender_id
    return {
        "next_action": "action_my_reports",
        "sender_id": sender_id,
        "tracker": state,
        "domain": DOMAIN,
        "version": "3.6.2",
    }


REPORT = {
    "tracking_id": "TNG-2026-000777",
    "status": "received",
    "category": "jalan_jembatan",
    "created_at": "2026-12-01T03:00:00+00:00",
    "updated_at": "2026-12-01T03:00:00+00:00",
    "history": [],
}


def one_report(request: httpx.Request) -> httpx.Response:
    """The backend's answer: chat telegram:999 has one report."""
    return httpx.Response(200, json={"items": [REPORT], "total": 1, "page": 1, "page_size": 5})


@pytest.fixture
async def app_client(
    services: object, fake_backend: FakeBackend
) -> AsyncIterator[httpx.AsyncClient]:
    """The real action server app in-process, with `TOKEN` as its secret."""
    fake_backend.reply = one_report
    use_metrics(ActionMetrics())
    test_mode = Sanic.test_mode
    Sanic.test_mode = True
    app = create_action_app(token=TOKEN)
    await app._startup()  # type: ignore[no-untyped-call]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://actions.test") as c:
        yield c
    use_metrics(None)
    Sanic._app_registry.pop(app.name, None)
    Sanic.test_mode = test_mode


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
async def test_a_call_without_the_secret_is_refused(
    app_client: httpx.AsyncClient, fake_backend: FakeBackend, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await app_client.post(
        "/webhook", json=my_reports_call("telegram:999"), headers=headers
    )
    assert response.status_code == 401
    assert "ACTIONS_TOKEN" in response.json()["error"]
    assert "TNG-" not in response.text
    assert fake_backend.requests == []  # nothing was looked up for the caller


async def test_the_action_list_is_refused_too(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.get("/actions")).status_code == 401


async def test_rasa_with_the_secret_runs_the_action(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/webhook",
        json=my_reports_call("telegram:999"),
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 200
    assert "TNG-2026-000777" in response.text  # the chat's own report, for Rasa


async def test_health_and_metrics_need_no_secret(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.get("/health")).status_code == 200
    assert (await app_client.get("/metrics")).status_code == 200


def test_an_empty_secret_authorises_nobody() -> None:
    assert not authorised("Bearer ", "")
    assert not authorised(None, "")
    assert authorised(f"bearer {TOKEN}", TOKEN)


def test_the_endpoints_rasa_reads_send_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_TOKEN", TOKEN)
    written = write_endpoints(ROOT / "endpoints.yml", tmp_path / "endpoints.yml", 5099, None, None)
    assert TOKEN not in written.read_text()  # the secret stays in the environment
    for path in (written, ROOT / "endpoints.yml"):
        endpoint = read_endpoint_config(str(path), "action_endpoint")
        assert endpoint is not None
        assert endpoint.headers == {"Authorization": f"Bearer {TOKEN}"}


async def test_the_turns_request_id_goes_on_to_the_backend(
    app_client: httpx.AsyncClient, fake_backend: FakeBackend, services: Services
) -> None:
    # The fixture's client is a plain one; the server's own has the hook (below).
    services.http.event_hooks["request"].append(attach_request_id)
    call = my_reports_call("telegram:999")
    call["tracker"]["latest_message"]["metadata"] = {"request_id": "turn-0042"}  # type: ignore[index]
    response = await app_client.post(
        "/webhook", json=call, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    assert [r.headers.get("X-Request-ID") for r in fake_backend.requests] == ["turn-0042"]


async def test_the_action_servers_client_sends_the_request_id() -> None:
    seen: list[str | None] = []

    def backend(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-ID"))
        return httpx.Response(204)

    async with make_http_client(transport=httpx.MockTransport(backend)) as http:
        token = request_id_var.set("turn-0043")
        try:
            await http.get("http://backend.test/health")
        finally:
            request_id_var.reset(token)
    assert seen == ["turn-0043"]
