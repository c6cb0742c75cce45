"""`GET /metrics` on the backend: counters moved by real requests, in Prometheus's format."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.backend.conftest import AUTH, complaint_body, create_report

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics`, by name and sorted labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    samples = {}
    for family in text_string_to_metric_families(response.text):
        assert family.name.startswith("lapor_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_filing_and_status_changes_are_counted(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    report = await create_report(client)
    await create_report(client, channel="whatsapp")
    key = {"Idempotency-Key": "same-key", **AUTH}
    for _ in range(2):  # the replay files nothing new
        response = await client.post("/api/v1/complaints", json=complaint_body(), headers=key)
        assert response.status_code == 201
    tid = report["tracking_id"]
    changed = await client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "verified"}, headers=AUTH
    )
    assert changed.status_code == 200
    refused = await client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "closed"}, headers=AUTH
    )
    assert refused.status_code == 409
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("lapor_reports_filed_total", channel="telegram") == 2
    assert moved("lapor_reports_filed_total", channel="whatsapp") == 1
    assert moved("lapor_status_changes_total", status="verified") == 1
    assert moved("lapor_status_changes_total", status="closed") == 0
    route = "/api/v1/complaints/{tracking_id}/status"
    assert (
        moved("lapor_http_request_duration_seconds_count", method="POST", route=route, status="2xx")
        == 1
    )
    assert (
        moved("lapor_http_request_duration_seconds_count", method="POST", route=route, status="4xx")
        == 1
    )
    assert (
        moved(
            "lapor_http_request_duration_seconds_count",
            method="POST",
            route="/api/v1/complaints",
            status="2xx",
        )
        == 4
    )
    assert not any(tid in str(labels) for _, labels in after), "raw paths must not be labels"
    # The last status change is the one event the notifier has not taken yet.
    assert value(after, "lapor_outbox_pending_events") >= 1
    assert value(after, "lapor_db_pool_checked_out_connections") == 0


async def test_unknown_paths_share_one_label(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for path in ("/nope/1", "/nope/2"):
        assert (await client.get(path)).status_code == 404
    after = await scrape(client)
    key = (
        "lapor_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "<unmatched>"), ("status", "4xx")),
    )
    assert after.get(key, 0) - before.get(key, 0) == 2


async def test_metrics_is_not_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths
    assert "/health" in paths


async def test_a_wrong_method_and_a_static_file_get_their_route_templates(
    client: httpx.AsyncClient,
) -> None:
    before = await scrape(client)
    assert (await client.delete("/api/v1/complaints", headers=AUTH)).status_code == 405
    assert (await client.get("/admin/static/nothing-here.css")).status_code == 404
    after = await scrape(client)

    def moved(method: str, route: str, status: str) -> float:
        name = "lapor_http_request_duration_seconds_count"
        return value(after, name, method=method, route=route, status=status) - value(
            before, name, method=method, route=route, status=status
        )

    assert moved("DELETE", "/api/v1/complaints", "4xx") == 1
    assert moved("GET", "/admin/static/{path}", "4xx") == 1
