"""The complaints JSON API on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import OutboxEvent, Report
from tests.backend.conftest import AUTH, complaint_body


async def test_create_returns_the_report_with_a_tracking_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["tracking_id"].startswith("TNG-")
    assert report["tracking_id"].endswith("-000001")
    assert report["status"] == "received"
    assert report["agency"] == "DBMSDA"
    assert report["location"] == {
        "text": "Jl. Raya Serang km 20, Balaraja",
        "kecamatan": "Balaraja",
        "latitude": -6.2,
        "longitude": 106.45,
        "desa": None,
    }
    assert report["incident_date"] == "2026-11-20"
    assert [h["status"] for h in report["history"]] == ["received"]
    assert report["reporter"]["chat_id"] == "telegram:42"
    assert response.headers["Location"] == f"/api/v1/complaints/{report['tracking_id']}"


async def test_get_accepts_loose_tracking_ids(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)).json()
    loose = created["tracking_id"].replace("-", "").lower()
    response = await client.get(f"/api/v1/complaints/{loose}", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["tracking_id"] == created["tracking_id"]


async def test_status_change_writes_history_and_outbox_event(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    created = (await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)).json()
    tid = created["tracking_id"]
    response = await client.post(
        f"/api/v1/complaints/{tid}/status",
        json={"status": "verified", "note": "Diteruskan ke DBMSDA"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "verified"
    assert body["history"][-1]["note"] == "Diteruskan ke DBMSDA"
    assert body["deadlines"]["followup_due"] is not None
    with Session(engine) as session:
        events = (
            session.execute(
                select(OutboxEvent)
                .where(OutboxEvent.tracking_id == tid)
                .order_by(OutboxEvent.created_at)
            )
            .scalars()
            .all()
        )
        assert [e.event_type for e in events] == ["complaint.created", "complaint.status_changed"]
        assert events[-1].payload["status"] == "verified"
        assert events[-1].payload["chat_id"] == "telegram:42"


async def test_invalid_transition_is_409_and_changes_nothing(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    created = (await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)).json()
    tid = created["tracking_id"]
    response = await client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "closed"}, headers=AUTH
    )
    assert response.status_code == 409
    assert "Allowed next statuses" in response.json()["message"]
    with Session(engine) as session:
        assert session.execute(select(func.count(OutboxEvent.id))).scalar_one() == 1
        assert session.execute(select(Report.status)).scalar_one() == "received"
