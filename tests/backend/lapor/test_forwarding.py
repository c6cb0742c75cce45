"""Forwarding filed reports to the stand-in LAPOR!: exact requests, retries, no duplicates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.lapor.forwarder import ForwardState
from backend.models import LaporForward
from tests.backend.conftest import AUTH, create_report
from tests.backend.lapor.conftest import Clock, MakeForwarder
from tests.backend.test_api_attachments import PDF, PNG, upload
from tests.fakes.lapor_api import FakeLapor

CREATE = "/complaints/complaint"
UPLOAD = "/complaints/complaint/file"


def bridge_row(engine: Engine, tracking_id: str) -> LaporForward:
    from backend.models import Report

    with Session(engine) as session:
        row = session.execute(
            select(LaporForward)
            .join(Report, Report.id == LaporForward.report_id)
            .where(Report.tracking_id == tracking_id)
        ).scalar_one()
        session.expunge(row)
        assert isinstance(row, LaporForward)
        return row


def creates(lapor: FakeLapor) -> list[dict[str, Any]]:
    return [r.json for r in lapor.requests_to(CREATE, "POST")]


async def test_a_filed_report_is_pending_and_forwarded_with_the_exact_request(
    client: httpx.AsyncClient, engine: Engine, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    photo = (await upload(client, PNG, "lubang.png")).json()["id"]
    letter = (await upload(client, PDF, "surat.pdf")).json()["id"]
    report = await create_report(client, attachments=[photo, letter])
    row = bridge_row(engine, report["tracking_id"])
    assert (row.state, row.complaint_id, row.attempts) == ("pending", None, 0)

    outcomes = make_forwarder().run_once()

    assert [o.state for o in outcomes] == [ForwardState.FORWARDED]
    assert [r.path for r in lapor.requests] == [UPLOAD, CREATE]  # attachments first
    upload_request, create_request = lapor.requests
    assert [(f[0], f[1], f[2]) for f in upload_request.files] == [
        ("attachments[]", "lubang.png", "image/png"),
        ("attachments[]", "surat.pdf", "application/pdf"),
    ]
    assert upload_request.files[0][3] == PNG
    for request in lapor.requests:
        assert request.headers["authorization"] == f"Bearer {lapor.auth_secret}"
        assert request.headers["token"] == lapor.token
    tracking_id = report["tracking_id"]
    assert create_request.json == {
        "title": "Jalan & Jembatan: Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh "
        "minggu ini.",
        "content": "Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh minggu ini.\n\n"
        "Lokasi: Jl. Raya Serang km 20, Balaraja, Kec. Balaraja\n"
        "Koordinat: -6.200000,106.450000\n"
        f"Nomor laporan kanal: {tracking_id}",
        "date_of_incident": "2026-11-20",
        "is_anonymous": False,
        "is_secret": False,
        "channel": 8,
        "classification_id": 1,
        "category_id": 11,
        "location_id": 360301,
        "disposition_id": 101,
        "attachments": "[900001,900002]",
        "tags_raw": tracking_id,
        "is_new_user_slider": True,
        "nameUser": "Siti Aminah",
        "phoneUser": "+6281234567890",
    }
    row = bridge_row(engine, tracking_id)
    assert row.state == "forwarded"
    assert row.complaint_id == lapor.created()[0].id
    assert row.last_sync_at is not None and row.error is None


async def test_anonymous_sends_no_identity_and_confidential_sets_the_secret_flag(
    client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    await create_report(client, privacy="anonymous")
    await create_report(client, privacy="confidential", category="sampah", channel="whatsapp")
    make_forwarder().run_once()
    anonymous, confidential = creates(lapor)
    identity = {"nameUser", "phoneUser", "emailUser", "user_id", "is_new_user_slider"}
    assert identity.isdisjoint(anonymous)
    assert "Siti" not in str(anonymous) and "6281234567890" not in str(anonymous)
    assert (anonymous["is_anonymous"], anonymous["is_secret"]) == (True, False)
    assert identity.isdisjoint(confidential)
    assert (confidential["is_anonymous"], confidential["is_secret"]) == (False, True)
    assert (confidential["channel"], confidential["category_id"]) == (9, 12)
    assert "disposition_id" in confidential and confidential["disposition_id"] == 102


async def test_unknown_optional_codes_are_left_out(
    client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    await create_report(
        client, category="pju", location={"text": "Jl. Cikupa", "kecamatan": "Cikupa"}
    )
    make_forwarder().run_once()
    (body,) = creates(lapor)
    assert "category_id" not in body and "disposition_id" not in body
    assert body["location_id"] == 3603  # the regency's default
    assert "attachments" not in body


async def test_a_missing_required_code_fails_without_any_call(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    mapping_file: Any,
) -> None:
    mapping_file.write_text(mapping_file.read_text().replace("telegram: 8, ", ""), encoding="utf-8")
    report = await create_report(client)
    (outcome,) = make_forwarder().run_once()
    assert outcome.state is ForwardState.FAILED
    assert lapor.requests == []
    row = bridge_row(engine, report["tracking_id"])
    assert row.state == "failed"
    assert "channel code for 'telegram'" in (row.error or "")


@pytest.mark.parametrize("form", ["top_level", "nested"])
async def test_either_create_answer_form_stores_the_id(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    form: str,
) -> None:
    lapor.create_answer_form = form
    report = await create_report(client)
    make_forwarder().run_once()
    assert bridge_row(engine, report["tracking_id"]).complaint_id == lapor.created()[0].id


async def test_lapor_down_for_50_reports_then_back_forwards_each_exactly_once(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
) -> None:
    lapor.down()
    forwarder = make_forwarder()
    tracking_ids = []
    for _ in range(50):
        tracking_ids.append((await create_report(client))["tracking_id"])
        forwarder.run_once()
    assert lapor.created() == []
    row = bridge_row(engine, tracking_ids[0])
    assert (row.state, row.attempts) == ("pending", 1)
    assert "503" in (row.error or "")
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now
    forwarder.run_once()  # nothing due yet: backoff
    assert bridge_row(engine, tracking_ids[0]).attempts == 1
    clock.advance(10)  # first backoff: 10 s
    clock.freeze()
    forwarder.run_once(limit=100)
    second = bridge_row(engine, tracking_ids[0])
    assert second.attempts == 2
    assert (second.next_attempt_at - clock.now).total_seconds() == pytest.approx(20)
    lapor.up()
    clock.advance(20)
    forwarder.run_once(limit=100)
    stored = [complaint.fields["tags_raw"] for complaint in lapor.created()]
    assert sorted(stored) == sorted(tracking_ids)  # each once, none lost
    forwarder.run_once(limit=100)
    assert len(lapor.created()) == 50
    assert {bridge_row(engine, t).state for t in tracking_ids} == {"forwarded"}


async def test_backoff_is_exponential_and_capped(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
) -> None:
    lapor.down()
    report = await create_report(client)
    forwarder = make_forwarder()
    clock.freeze()
    waits = []
    for _ in range(6):
        forwarder.run_once()
        row = bridge_row(engine, report["tracking_id"])
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.advance(waits[-1])
    assert waits == [10, 20, 40, 80, 80, 80]


async def test_wrong_credentials_retry_later_and_a_4xx_fails(
    client: httpx.AsyncClient, engine: Engine, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    first = await create_report(client)
    second = await create_report(client)
    lapor.fail(CREATE, 401)
    lapor.fail(CREATE, 422)
    make_forwarder().run_once()
    auth = bridge_row(engine, first["tracking_id"])
    assert (auth.state, auth.error) == (
        "pending",
        "LAPOR! refused our credentials (401): scripted 401",
    )
    rejected = bridge_row(engine, second["tracking_id"])
    assert rejected.state == "failed"
    assert rejected.error == "LAPOR! refused the request (422): scripted 422"
    assert lapor.created() == []


@pytest.mark.parametrize("fault", [500, 502, 504, "timeout", "malformed"])
async def test_an_unknown_outcome_is_parked_for_review_never_resent(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
    fault: int | str,
) -> None:
    lapor.slow_seconds = 1.0
    lapor.fail(CREATE, fault)
    report = await create_report(client)
    forwarder = make_forwarder(read_timeout=0.5)
    forwarder.run_once()
    row = bridge_row(engine, report["tracking_id"])
    assert row.state == "review"
    assert report["tracking_id"] in (row.error or "")
    clock.advance(3600)
    forwarder.run_once()
    make_forwarder().run_once()
    assert len(creates(lapor)) == 1


async def test_accepted_but_answered_500_is_parked_not_created_twice(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
) -> None:
    lapor.fail_after_create()
    report = await create_report(client)
    forwarder = make_forwarder()
    forwarder.run_once()
    clock.advance(3600)
    forwarder.run_once()
    assert len(lapor.created()) == 1
    assert bridge_row(engine, report["tracking_id"]).state == "review"


async def test_a_failed_upload_is_retried_without_creating(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
) -> None:
    photo = (await upload(client, PNG)).json()["id"]
    report = await create_report(client, attachments=[photo])
    lapor.fail(UPLOAD, 502)
    forwarder = make_forwarder()
    forwarder.run_once()
    assert bridge_row(engine, report["tracking_id"]).state == "pending"
    assert creates(lapor) == []
    clock.advance(10)
    forwarder.run_once()
    assert bridge_row(engine, report["tracking_id"]).state == "forwarded"
    assert len(lapor.requests_to(UPLOAD)) == 2 and len(creates(lapor)) == 1


async def test_the_bridge_off_writes_no_forward(
    client: httpx.AsyncClient,
    engine: Engine,
    app: Any,
    make_forwarder: MakeForwarder,
    lapor: FakeLapor,
) -> None:
    import dataclasses

    state = app.state.backend
    state.policy = dataclasses.replace(state.policy, lapor_enabled=False)
    response = await client.post(
        "/api/v1/complaints",
        json={"category": "sampah", "description": "Sampah menumpuk di pasar"},
        headers=AUTH,
    )
    assert response.status_code == 201
    with Session(engine) as session:
        assert session.execute(select(LaporForward)).first() is None
    assert make_forwarder().run_once() == []
    assert lapor.requests == []


async def test_the_report_json_shows_the_lapor_state(
    client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    created = await create_report(client)
    assert created["lapor"] == {
        "complaint_id": None,
        "state": "pending",
        "last_sync_at": None,
        "error": None,
    }
    path = f"/api/v1/complaints/{created['tracking_id']}"
    assert (await client.get(path, headers=AUTH)).json()["lapor"]["state"] == "pending"
    make_forwarder().run_once()
    lapor_view = (await client.get(path, headers=AUTH)).json()["lapor"]
    assert lapor_view["state"] == "forwarded"
    assert lapor_view["complaint_id"] == lapor.created()[0].id
    assert lapor_view["last_sync_at"] is not None and lapor_view["error"] is None
    listed = (await client.get("/api/v1/complaints", headers=AUTH)).json()["items"]
    assert listed[0]["lapor"]["complaint_id"] == lapor.created()[0].id


async def test_an_open311_request_is_forwarded_too(
    client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    from tests.backend.test_open311 import post_request

    response = await post_request(client)
    assert response.status_code == 200, response.text
    make_forwarder().run_once()
    (body,) = creates(lapor)
    assert body["channel"] == 10  # open311
    assert body["nameUser"] == "Rina Wati"
    assert body["emailUser"] == "rina@example.com"
    assert "Lampu jalan mati" in body["content"]
