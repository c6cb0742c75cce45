"""`Idempotency-Key`: retries file nothing new, even when they race."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.engine import Engine

from backend.models import IdempotencyKey, OutboxEvent, Report
from tests.backend.conftest import AUTH, complaint_body, count_rows


def _with_key(key: str) -> dict[str, str]:
    return {**AUTH, "Idempotency-Key": key}


async def test_same_key_and_body_replays_the_first_report(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    headers = _with_key("bot-update-1001")
    first = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    second = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["tracking_id"] == first.json()["tracking_id"]
    assert second.headers["Location"] == first.headers["Location"]
    assert count_rows(engine, Report) == 1
    assert count_rows(engine, OutboxEvent) == 1
    assert count_rows(engine, IdempotencyKey) == 1


async def test_same_key_with_a_different_body_is_refused(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    headers = _with_key("bot-update-1002")
    first = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    assert first.status_code == 201
    changed = complaint_body(description="Lampu jalan mati total di depan pasar sejak Senin.")
    second = await client.post("/api/v1/complaints", json=changed, headers=headers)
    assert second.status_code == 422, second.text
    body = second.json()
    assert body["error"] == "validation_error"
    assert "Idempotency-Key" in body["message"]
    assert "different" in body["message"]
    assert count_rows(engine, Report) == 1


async def test_different_keys_create_different_reports(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    first = await client.post("/api/v1/complaints", json=complaint_body(), headers=_with_key("a"))
    second = await client.post("/api/v1/complaints", json=complaint_body(), headers=_with_key("b"))
    assert first.json()["tracking_id"] != second.json()["tracking_id"]
    assert "Idempotent-Replayed" not in second.headers
    assert count_rows(engine, Report) == 2


async def test_without_a_key_every_request_creates_a_report(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    for _ in range(2):
        response = await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
    assert count_rows(engine, Report) == 2


async def test_an_invalid_first_request_does_not_burn_the_key(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    headers = _with_key("bot-update-1003")
    bad = await client.post(
        "/api/v1/complaints", json=complaint_body(category="tidak_ada"), headers=headers
    )
    assert bad.status_code == 422
    good = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    assert good.status_code == 201, good.text
    assert "Idempotent-Replayed" not in good.headers
    assert count_rows(engine, Report) == 1


async def test_ten_concurrent_requests_with_one_key_create_one_report(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    headers = _with_key("bot-update-race")
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
            for _ in range(10)
        )
    )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    tracking_ids = {r.json()["tracking_id"] for r in responses}
    assert len(tracking_ids) == 1
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 9
    assert count_rows(engine, Report) == 1
    assert count_rows(engine, OutboxEvent) == 1
    # The losers' rolled-back sequence numbers are not lost: the next report is number 2.
    after = await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
    assert after.json()["tracking_id"].endswith("-000002")
