"""`POST /api/v1/complaints/{id}/receipt`: the notifier is asked to send the tracking ID."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import OutboxEvent
from tests.backend.conftest import AUTH, add_user, create_report, login


async def test_receipt_writes_an_outbox_event_for_the_reporter(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client)
    tid = report["tracking_id"]
    response = await client.post(f"/api/v1/complaints/{tid.lower()}/receipt", headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json()["tracking_id"] == tid
    with Session(engine) as session:
        events = (
            session.execute(
                select(OutboxEvent)
                .where(OutboxEvent.event_type == "complaint.receipt")
                .where(OutboxEvent.tracking_id == tid)
            )
            .scalars()
            .all()
        )
    assert len(events) == 1
    assert events[0].payload["chat_id"] == "telegram:42"
    assert events[0].payload["status"] == "received"


async def test_receipt_for_an_unknown_report_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/complaints/TNG-2026-999999/receipt", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["message"]


async def test_only_services_may_ask_for_a_receipt(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client)
    add_user(engine, "officer1", "officer-password-1", role="officer", agency="DBMSDA")
    headers = await login(client, "officer1", "officer-password-1")
    response = await client.post(
        f"/api/v1/complaints/{report['tracking_id']}/receipt", headers=headers
    )
    assert response.status_code == 403
