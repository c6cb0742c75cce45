"""Concurrent writes: gap-free tracking IDs and serialised status changes."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.engine import Engine

from backend.db import utcnow
from backend.models import OutboxEvent, Report, StatusChange
from backend.state import AppState
from tests.backend.conftest import AUTH, complaint_body, count_rows, create_report


async def test_fifty_concurrent_creates_get_the_sequence_one_to_fifty(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    year = state.policy.local_date(utcnow()).year
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/complaints",
                json=complaint_body(description=f"Laporan serentak nomor {i}"),
                headers=AUTH,
            )
            for i in range(50)
        )
    )
    assert [r.status_code for r in responses] == [201] * 50, [
        r.text for r in responses if r.status_code != 201
    ]
    tracking_ids = sorted(r.json()["tracking_id"] for r in responses)
    assert tracking_ids == [f"TNG-{year}-{n:06d}" for n in range(1, 51)]
    assert count_rows(engine, Report) == 50
    assert count_rows(engine, OutboxEvent) == 50
    # Each report kept its own description: no response was mixed up with another.
    by_description = {r.json()["description"]: r.json()["tracking_id"] for r in responses}
    assert len(by_description) == 50


async def test_concurrent_identical_status_changes_apply_once(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    tid = (await create_report(client))["tracking_id"]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/complaints/{tid}/status",
                json={"status": "verified", "note": f"verifikasi {i}"},
                headers=AUTH,
            )
            for i in range(8)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, [r.text for r in responses]
    assert count_rows(engine, StatusChange) == 2
    assert count_rows(engine, OutboxEvent) == 2
    final = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert [h["status"] for h in final["history"]] == ["received", "verified"]
