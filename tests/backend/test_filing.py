"""Writing a new report with Core statements (`backend.filing`), on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import backend.complaints
from backend.complaints import create_complaint
from backend.models import IdempotencyKey, OutboxEvent, Report, Reporter, StatusChange
from backend.schemas import ComplaintCreate
from backend.state import AppState
from backend.tracking import format_tracking_id, tracking_id_sql
from tests.backend.conftest import AUTH, complaint_body, count_rows
from tests.backend.test_api_attachments import PDF, PNG, upload


async def test_the_create_response_is_what_a_read_returns(client: httpx.AsyncClient) -> None:
    photo = (await upload(client, PNG, filename="lubang.png")).json()
    letter = (await upload(client, PDF, filename="surat.pdf")).json()
    body = complaint_body(
        attachments=[letter["id"], photo["id"]],
        reporter={"name": "Siti", "email": "siti@example.id", "chat_id": "telegram:7"},
    )
    created = await client.post("/api/v1/complaints", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    tracking_id = created.json()["tracking_id"]
    read = await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
    assert read.status_code == 200
    assert created.json() == read.json()


async def test_a_create_writes_every_row_once(client: httpx.AsyncClient, engine: Engine) -> None:
    headers = {**AUTH, "Idempotency-Key": "filing-1"}
    response = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    tracking_id = response.json()["tracking_id"]
    with Session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert report.tracking_id == tracking_id
        assert report.reporter.name == "Siti Aminah"
        assert [h.status for h in report.history] == ["received"]
        key = session.execute(select(IdempotencyKey)).scalar_one()
        assert key.report_id == report.id
        event = session.execute(select(OutboxEvent)).scalar_one()
    assert event.event_type == "complaint.created"
    assert event.tracking_id == tracking_id
    assert event.attempts == 0
    assert event.published_at is None
    assert event.payload == {
        "event_id": event.id,
        "type": "complaint.created",
        "tracking_id": tracking_id,
        "status": "received",
        "previous_status": None,
        "note": None,
        "report_type": "complaint",
        "category": "jalan_jembatan",
        "agency": "DBMSDA",
        "channel": "telegram",
        "chat_id": "telegram:42",
        "language": None,
        "at": event.created_at.isoformat(),
    }
    for model in (Report, Reporter, StatusChange, IdempotencyKey, OutboxEvent):
        assert count_rows(engine, model) == 1


def test_a_lost_idempotency_race_returns_the_winners_report(
    state: AppState, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = ComplaintCreate.parse_obj(complaint_body())
    with state.sessions() as session:
        first, created = create_complaint(
            session, payload, state.taxonomy, state.policy, idempotency_key="race"
        )
        assert created
    # The loser's look-up ran before the winner committed: it finds no key, writes,
    # collides with the winner's key, rolls back and returns the winner's report.
    real_replayed = backend.complaints._replayed
    calls: list[str] = []

    def late_replayed(session: Session, key: backend.complaints.KeyRecord) -> Report | None:
        calls.append(key.key)
        return None if len(calls) == 1 else real_replayed(session, key)

    monkeypatch.setattr(backend.complaints, "_replayed", late_replayed)
    with state.sessions() as session:
        second, created = create_complaint(
            session, payload, state.taxonomy, state.policy, idempotency_key="race"
        )
    assert not created
    assert second.tracking_id == first.tracking_id
    assert count_rows(engine, Report) == 1
    assert count_rows(engine, OutboxEvent) == 1
    # The rolled-back write took no sequence number.
    with state.sessions() as session:
        third, _ = create_complaint(session, payload, state.taxonomy, state.policy)
    assert third.tracking_id.endswith("-000002")


#: Only PostgreSQL creates and reads in autocommit mode, and formats IDs in SQL.
POSTGRES_ONLY = pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)


@POSTGRES_ONLY
async def test_connections_go_back_to_the_pool_in_transaction_mode(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    assert engine.dialect.name == "postgresql"
    keyed = {**AUTH, "Idempotency-Key": "mode-1"}
    for headers in (AUTH, keyed, keyed):  # a plain create, a keyed one and a replay
        response = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
        assert response.status_code == 201
    tracking_id = response.json()["tracking_id"]
    assert (await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)).status_code == 200
    assert (await client.get("/api/v1/complaints", headers=AUTH)).json()["total"] == 2
    pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
    try:
        for connection in pooled:
            assert not connection.connection.dbapi_connection.autocommit
    finally:
        for connection in pooled:
            connection.close()


def test_a_create_inside_an_open_transaction_commits_it(state: AppState, engine: Engine) -> None:
    payload = ComplaintCreate.parse_obj(complaint_body())
    with state.sessions() as session:
        assert session.execute(select(func.count(Report.id))).scalar_one() == 0
        report, created = create_complaint(session, payload, state.taxonomy, state.policy)
    assert created
    assert report.tracking_id.endswith("-000001")
    assert count_rows(engine, Report) == 1


@POSTGRES_ONLY
@pytest.mark.parametrize("sequence", [1, 42, 123_456, 999_999, 1_234_567])
def test_the_sql_tracking_id_matches_the_python_one(engine: Engine, sequence: int) -> None:
    assert engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        formatted = connection.execute(
            select(tracking_id_sql(literal("TNG-2026-"), literal(sequence)))
        ).scalar_one()
    assert formatted == format_tracking_id("TNG", 2026, sequence)
