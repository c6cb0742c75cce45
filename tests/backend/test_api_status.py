"""Status changes over HTTP: the workflow, its history and its atomicity."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import backend.complaints
from backend.db import utcnow
from backend.deadlines import add_working_days
from backend.models import OutboxEvent, Report, StatusChange
from backend.state import AppState
from tests.backend.conftest import AUTH, count_rows, create_report


async def set_status(
    client: httpx.AsyncClient, tracking_id: str, status: str, note: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"status": status}
    if note is not None:
        body["note"] = note
    return await client.post(f"/api/v1/complaints/{tracking_id}/status", json=body, headers=AUTH)


async def test_the_whole_workflow_with_notes_in_order(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    tid = (await create_report(client))["tracking_id"]
    steps = [
        ("verified", "Laporan valid, diteruskan ke DBMSDA"),
        ("in_progress", "Tim lapangan dijadwalkan Kamis"),
        ("resolved", "Lubang sudah ditambal"),
        ("closed", None),
    ]
    for status, note in steps:
        response = await set_status(client, tid, status, note)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    report = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert [(h["status"], h["note"]) for h in report["history"]] == [
        ("received", None),
        *steps,
    ]
    assert report["status_label"] == "Ditutup"
    assert [h["status_label"] for h in report["history"]][:2] == [
        "Diterima",
        "Diverifikasi dan diteruskan ke instansi",
    ]
    times = [dt.datetime.fromisoformat(h["at"]) for h in report["history"]]
    assert times == sorted(times)
    today = state.policy.local_date(utcnow())
    assert report["deadlines"]["followup_due"] == add_working_days(today, 5).isoformat()
    assert report["deadlines"]["overdue"] is False
    with Session(engine) as session:
        events = session.execute(
            select(OutboxEvent).where(OutboxEvent.tracking_id == tid)
        ).scalars()
        statuses = sorted((e.payload["previous_status"] or "", e.payload["status"]) for e in events)
    assert statuses == [
        ("", "received"),
        ("in_progress", "resolved"),
        ("received", "verified"),
        ("resolved", "closed"),
        ("verified", "in_progress"),
    ]


async def test_a_closed_report_cannot_change(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    for status in ("verified", "in_progress", "resolved", "closed"):
        assert (await set_status(client, tid, status)).status_code == 200
    response = await set_status(client, tid, "in_progress", "belum beres")
    assert response.status_code == 409
    assert "final status" in response.json()["message"]


async def test_a_resolved_report_can_be_reopened(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    for status in ("verified", "in_progress", "resolved"):
        assert (await set_status(client, tid, status)).status_code == 200
    reopened = await set_status(client, tid, "in_progress", "Warga: jalan berlubang lagi")
    assert reopened.status_code == 200
    again = await set_status(client, tid, "resolved", "Ditambal ulang")
    assert again.status_code == 200
    history = [h["status"] for h in again.json()["history"]]
    assert history == ["received", "verified", "in_progress", "resolved", "in_progress", "resolved"]


@pytest.mark.parametrize("target", ["in_progress", "resolved", "closed", "received"])
async def test_skipping_steps_is_409_and_changes_nothing(
    client: httpx.AsyncClient, engine: Engine, target: str
) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await set_status(client, tid, target, "catatan")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "conflict"
    assert "Allowed next statuses: archived, rejected, verified" in body["message"]
    assert count_rows(engine, StatusChange) == 1
    assert count_rows(engine, OutboxEvent) == 1


@pytest.mark.parametrize("note", [None, "", "    "])
@pytest.mark.parametrize("target", ["rejected", "archived"])
async def test_rejecting_or_archiving_without_a_note_is_409(
    client: httpx.AsyncClient, engine: Engine, target: str, note: str | None
) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await set_status(client, tid, target, note)
    assert response.status_code == 409, response.text
    assert "needs a note" in response.json()["message"]
    report = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert report["status"] == "received"
    assert count_rows(engine, StatusChange) == 1


async def test_rejecting_with_a_note_is_final(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await set_status(client, tid, "rejected", "  Bukan wewenang Pemkab: jalan nasional ")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "rejected"
    assert report["history"][-1]["note"] == "Bukan wewenang Pemkab: jalan nasional"
    assert (await set_status(client, tid, "verified")).status_code == 409


async def test_unknown_tracking_id_is_404(client: httpx.AsyncClient) -> None:
    for tracking_id in ("TNG-2026-999999", "not-a-tracking-id"):
        response = await set_status(client, tracking_id, "verified")
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "not_found"
        assert tracking_id in body["message"]
        read = await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
        assert read.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"status": "done"},
        {},
        {"status": "verified", "note": "x" * 2001},
        {"status": "verified", "actor": "me"},
        {"status": ["verified"]},
    ],
)
async def test_invalid_status_bodies_are_422(
    client: httpx.AsyncClient, engine: Engine, body: dict[str, Any]
) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await client.post(f"/api/v1/complaints/{tid}/status", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["message"]
    assert count_rows(engine, StatusChange) == 1


async def test_status_change_needs_a_token(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await client.post(f"/api/v1/complaints/{tid}/status", json={"status": "verified"})
    assert response.status_code == 401


@pytest.fixture
async def lenient_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that receives the 500 response instead of the re-raised exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as c:
        yield c


@pytest.mark.filterwarnings("ignore:Column 'outbox_events.id' is marked as a member")
async def test_a_failing_outbox_write_leaves_no_status_change(
    lenient_client: httpx.AsyncClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = (await create_report(lenient_client))["tracking_id"]

    def broken_event(event_type: str, report: Report, *_: Any) -> OutboxEvent:
        # No primary key: the flush at commit fails after the report row was changed.
        return OutboxEvent(
            id=None,
            event_type=event_type,
            tracking_id=report.tracking_id,
            payload={},
            created_at=utcnow(),
        )

    monkeypatch.setattr(backend.complaints, "_outbox_event", broken_event)
    response = await lenient_client.post(
        f"/api/v1/complaints/{tid}/status",
        json={"status": "verified", "note": "tidak boleh tersimpan"},
        headers=AUTH,
    )
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert body["message"]
    assert "OutboxEvent" not in response.text  # no internals leak to the caller

    monkeypatch.undo()
    report = (await lenient_client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert report["status"] == "received"
    assert [h["status"] for h in report["history"]] == ["received"]
    assert report["deadlines"]["followup_due"] is None
    with Session(engine) as session:
        assert session.execute(select(Report.status)).scalar_one() == "received"
    assert count_rows(engine, StatusChange) == 1
    assert count_rows(engine, OutboxEvent) == 1
    # The report is not stuck: the same change works once the outbox is healthy.
    retried = await lenient_client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "verified"}, headers=AUTH
    )
    assert retried.status_code == 200
    assert count_rows(engine, OutboxEvent) == 2
