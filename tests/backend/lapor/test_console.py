"""The console shows a report's SP4N-LAPOR! state; an admin resolves a parked forward."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import AuditEntry
from tests.backend.conftest import add_user, create_report
from tests.backend.console_client import logged_in, page_csrf
from tests.backend.lapor.conftest import MakeForwarder
from tests.backend.lapor.test_forwarding import CREATE, bridge_row
from tests.fakes.lapor_api import FakeLapor


async def parked(client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder) -> str:
    lapor.fail_after_create()  # LAPOR! stores it, answers 500: parked for review
    report = await create_report(client)
    make_forwarder().run_once()
    return str(report["tracking_id"])


async def test_an_admin_records_the_number_found_in_lapor(
    app: FastAPI,
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
) -> None:
    tracking_id = await parked(client, lapor, make_forwarder)
    (found,) = [c for c in lapor.created() if c.fields["tags_raw"] == tracking_id]
    add_user(engine, "admin", "rahasia-admin-123", "admin")
    async with logged_in(app, "admin", "rahasia-admin-123") as console:
        page = await console.get(f"/admin/reports/{tracking_id}")
        assert page.status_code == 200
        assert "SP4N-LAPOR!" in page.text
        assert "Perlu diperiksa" in page.text  # review
        assert f"Cari {tracking_id} di SP4N-LAPOR!" in page.text
        csrf = await page_csrf(console, f"/admin/reports/{tracking_id}")

        empty = await console.post(
            f"/admin/reports/{tracking_id}/lapor",
            data={"action": "record", "complaint_id": " ", "csrf_token": csrf},
        )
        assert empty.status_code == 409
        assert "Tulis nomor LAPOR! yang ditemukan" in empty.text
        assert bridge_row(engine, tracking_id).state == "review"  # nothing changed

        done = await console.post(
            f"/admin/reports/{tracking_id}/lapor",
            data={"action": "record", "complaint_id": found.id, "csrf_token": csrf},
        )
        assert done.status_code == 303
        after = await console.get(f"/admin/reports/{tracking_id}")
    assert "Sudah diteruskan" in after.text
    assert found.id in after.text
    assert "Catat nomor" not in after.text  # nothing left to resolve
    row = bridge_row(engine, tracking_id)
    assert (row.state, row.complaint_id) == ("forwarded", found.id)
    make_forwarder().run_once()
    assert len(lapor.requests_to(CREATE)) == 1  # never created twice
    with Session(engine) as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.target_id).where(
                AuditEntry.action == "lapor_resolve"
            )
        ).all()
    assert entries == [("lapor_resolve", tracking_id)]


async def test_an_admin_sends_a_failed_forward_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
) -> None:
    tracking_id = await parked(client, lapor, make_forwarder)
    lapor.complaints.clear()  # the person looked: LAPOR! has nothing
    add_user(engine, "admin", "rahasia-admin-123", "admin")
    async with logged_in(app, "admin", "rahasia-admin-123") as console:
        csrf = await page_csrf(console, f"/admin/reports/{tracking_id}")
        sent = await console.post(
            f"/admin/reports/{tracking_id}/lapor",
            data={"action": "resend", "complaint_id": "", "csrf_token": csrf},
        )
        assert sent.status_code == 303
    assert bridge_row(engine, tracking_id).state == "pending"
    make_forwarder().run_once()
    assert bridge_row(engine, tracking_id).state == "forwarded"


async def test_officers_see_the_state_but_cannot_resolve(
    app: FastAPI,
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
) -> None:
    tracking_id = await parked(client, lapor, make_forwarder)
    add_user(engine, "petugas", "rahasia-petugas-123", "officer", agency="DBMSDA")
    async with logged_in(app, "petugas", "rahasia-petugas-123") as console:
        page = await console.get(f"/admin/reports/{tracking_id}")
        assert page.status_code == 200
        assert "Perlu diperiksa" in page.text
        assert "Catat nomor" not in page.text
        csrf = await page_csrf(console, f"/admin/reports/{tracking_id}")
        refused = await console.post(
            f"/admin/reports/{tracking_id}/lapor",
            data={"action": "resend", "complaint_id": "", "csrf_token": csrf},
        )
    assert refused.status_code == 403
    assert bridge_row(engine, tracking_id).state == "review"
