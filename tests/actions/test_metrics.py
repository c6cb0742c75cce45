"""The action server's `/metrics`: action calls through rasa_sdk's webhook move the counters."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sanic import Sanic

from actions.metrics import ActionMetrics, use_metrics
from actions.server import create_action_app
from actions.services import Services
from tests.actions.conftest import DOMAIN, FakeBackend, make_tracker

TOKEN = "rasa-to-actions-secret"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

FILLED = {
    "report_type": "complaint",
    "complaint_description": "Jalan di depan pasar berlubang besar dan sering bikin motor jatuh",
    "complaint_category": "jalan_jembatan",
    "privacy": "public",
    "report_draft_id": "draft-1",
}


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The real action server app (rasa_sdk's, with ours), in-process, on fresh metrics."""
    use_metrics(ActionMetrics())
    test_mode = Sanic.test_mode
    Sanic.test_mode = True  # one Sanic app of that name per process otherwise
    app = create_action_app(token=TOKEN)
    await app._startup()  # type: ignore[no-untyped-call]  # routers finalised, as serving does
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://actions.test",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as c:
        yield c
    use_metrics(None)
    Sanic._app_registry.pop(app.name, None)  # Sanic 21.12 has no unregister_app
    Sanic.test_mode = test_mode


def action_call(action: str, **tracker: Any) -> dict[str, Any]:
    """What Rasa posts to `/webhook` to run `action`."""
    state = make_tracker(**tracker).current_state()
    return {
        "next_action": action,
        "sender_id": state["sender_id"],
        "tracker": state,
        "domain": DOMAIN,
        "version": "3.6.2",
    }


async def run(client: httpx.AsyncClient, action: str, **tracker: Any) -> dict[str, Any]:
    response = await client.post("/webhook", json=action_call(action, **tracker))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        assert family.name.startswith("lapor_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_report_started_submitted_and_one_cancelled_are_counted(
    client: httpx.AsyncClient, fake_backend: FakeBackend
) -> None:
    await run(client, "action_start_report", text="mau lapor", intent="report_problem")
    await run(client, "action_start_report", text="lapor lagi", intent="start_report")
    answer = await run(client, "action_submit_complaint", slots=FILLED)
    assert [r.get("response") for r in answer["responses"]] == ["utter_submitted"]
    await run(client, "action_cancel_report", slots={"requested_slot": "complaint_location"})
    await run(client, "action_cancel_report", slots={"awaiting_confirmation": True})
    samples = await scrape(client)
    assert value(samples, "lapor_forms_started_total") == 2
    assert value(samples, "lapor_forms_submitted_total", outcome="filed") == 1
    assert value(samples, "lapor_forms_abandoned_total", step="complaint_location") == 1
    assert value(samples, "lapor_forms_abandoned_total", step="summary") == 1
    assert value(samples, "lapor_actions_total", action="action_start_report") == 2
    assert value(samples, "lapor_nlu_fallbacks_total") == 0
    assert value(samples, "lapor_pending_submissions") == 0
    assert len(fake_backend.requests) == 1


async def test_a_report_kept_while_the_backend_is_down_is_a_pending_submission(
    client: httpx.AsyncClient, fake_backend: FakeBackend
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    fake_backend.reply = down
    answer = await run(client, "action_submit_complaint", slots=FILLED)
    assert [r.get("response") for r in answer["responses"]] == ["utter_submission_queued"]
    samples = await scrape(client)
    assert value(samples, "lapor_forms_submitted_total", outcome="kept") == 1
    assert value(samples, "lapor_pending_submissions") == 1


async def test_fallbacks_are_counted_also_from_a_compressed_call(
    client: httpx.AsyncClient,
) -> None:
    await run(client, "action_fallback", text="asdfgh", intent="nlu_fallback")
    body = zlib.compress(json.dumps(action_call("action_fallback", text="qwerty")).encode())
    compressed = await client.post(
        "/webhook",
        content=body,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
    )
    assert compressed.status_code == 200, compressed.text
    samples = await scrape(client)
    assert value(samples, "lapor_nlu_fallbacks_total") == 2
    assert value(samples, "lapor_actions_total", action="action_fallback") == 2
