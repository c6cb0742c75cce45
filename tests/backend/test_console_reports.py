"""Console report pages: agency boundaries, masking, audit, deadlines and the status form."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import AuditEntry, OutboxEvent, Report, StatusChange
from tests.backend.conftest import AUTH, add_user, create_report
from tests.backend.console_client import logged_in, page_csrf
from tests.backend.test_api_attachments import PDF, PNG, upload

PASSWORD = "sandi-rahasia-123"
PHONE = "+6281234567890"


@pytest.fixture
def users(engine: Engine) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    add_user(engine, "pupr", PASSWORD, "officer", "DBMSDA")  # roads and drainage
    add_user(engine, "dlhk", PASSWORD, "officer", "DLHK")  # waste and pollution
    add_user(engine, "viewer1", PASSWORD, "viewer")


def _audit(engine: Engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target_id).order_by(
                AuditEntry.id
            )
        )
        return [(a, b, c) for a, b, c in rows if b not in ("login", "login_failed")]


async def _road_and_waste(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    road = await create_report(client)  # jalan_jembatan -> DBMSDA
    waste = await create_report(
        client,
        category="sampah",
        description="Sampah menumpuk di pinggir jalan dekat pasar, bau sekali sejak seminggu.",
    )
    return road, waste


@pytest.mark.usefixtures("users")
async def test_an_officer_sees_only_the_reports_of_their_agency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    road, waste = await _road_and_waste(client)
    async with logged_in(app, "pupr", PASSWORD) as pupr:
        listing = await pupr.get("/admin/reports")
        assert road["tracking_id"] in listing.text
        assert waste["tracking_id"] not in listing.text
        # Asking for another agency in the filter changes nothing.
        forced = await pupr.get("/admin/reports?agency=DLHK")
        assert waste["tracking_id"] not in forced.text and road["tracking_id"] in forced.text
        other = await pupr.get(f"/admin/reports/{waste['tracking_id']}")
        assert other.status_code == 404
        assert waste["description"] not in other.text
        token = await page_csrf(pupr, f"/admin/reports/{road['tracking_id']}")
        refused = await pupr.post(
            f"/admin/reports/{waste['tracking_id']}/status",
            data={"status": "verified", "note": "", "csrf_token": token},
        )
        assert refused.status_code == 404
    status = await client.get(f"/api/v1/complaints/{waste['tracking_id']}", headers=AUTH)
    assert status.json()["status"] == "received"


@pytest.mark.usefixtures("users")
async def test_an_admin_sees_every_agency_and_filters(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    road, waste = await _road_and_waste(client)
    async with logged_in(app, "admin1", PASSWORD) as admin:
        everything = await admin.get("/admin/reports")
        assert road["tracking_id"] in everything.text and waste["tracking_id"] in everything.text
        only_waste = await admin.get("/admin/reports?agency=DLHK")
        assert waste["tracking_id"] in only_waste.text
        assert road["tracking_id"] not in only_waste.text
        by_category = await admin.get("/admin/reports?category=jalan_jembatan")
        assert road["tracking_id"] in by_category.text
        assert waste["tracking_id"] not in by_category.text
        verified = await admin.get("/admin/reports?status=verified")
        assert "Tidak ada data yang cocok." in verified.text
        nonsense = await admin.get("/admin/reports?status=nonsense&date_from=31-31-2026")
        assert nonsense.status_code == 200  # unreadable filters are ignored, not a 500


@pytest.mark.usefixtures("users")
async def test_a_viewer_gets_statistics_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    road, _ = await _road_and_waste(client)
    async with logged_in(app, "viewer1", PASSWORD) as viewer:
        for path in (
            "/admin/reports",
            f"/admin/reports/{road['tracking_id']}",
            "/admin/users",
            "/admin/audit",
        ):
            response = await viewer.get(path)
            assert response.status_code == 403, path
            assert "Anda tidak berwenang" in response.text
            assert road["description"] not in response.text


@pytest.mark.usefixtures("users")
async def test_officers_see_reporter_data_masked_until_they_reveal_it(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    road = await create_report(client)
    tid = road["tracking_id"]
    async with logged_in(app, "pupr", PASSWORD) as pupr:
        page = await pupr.get(f"/admin/reports/{tid}")
        assert PHONE not in page.text and "Siti Aminah" not in page.text
        assert "+628*******890" in page.text and "S*** A***" in page.text
        assert _audit(engine) == []
        revealed = await pupr.get(f"/admin/reports/{tid}?reveal=1")
        assert PHONE in revealed.text and "Siti Aminah" in revealed.text
    assert _audit(engine) == [("pupr", "view_personal_data", tid)]


@pytest.mark.usefixtures("users")
async def test_an_anonymous_report_never_shows_identity_to_officers(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    anonymous = await create_report(client, privacy="anonymous")
    tid = anonymous["tracking_id"]
    async with logged_in(app, "pupr", PASSWORD) as pupr:
        for path in (f"/admin/reports/{tid}", f"/admin/reports/{tid}?reveal=1"):
            page = await pupr.get(path)
            assert page.status_code == 200
            assert PHONE not in page.text and "Siti" not in page.text
            assert "+628" not in page.text and "telegram:42" not in page.text
            assert "identitas pelapor tidak ditampilkan" in page.text
    assert _audit(engine) == []
    async with logged_in(app, "admin1", PASSWORD) as admin:
        page = await admin.get(f"/admin/reports/{tid}")
        assert PHONE in page.text  # administrators may see it, and it is audited
    assert _audit(engine) == [("admin1", "view_personal_data", tid)]


@pytest.mark.usefixtures("users")
async def test_a_status_change_records_history_outbox_and_audit_in_one_go(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    road = await create_report(client)
    tid = road["tracking_id"]
    async with logged_in(app, "pupr", PASSWORD) as pupr:
        token = await page_csrf(pupr, f"/admin/reports/{tid}")
        done = await pupr.post(
            f"/admin/reports/{tid}/status",
            data={"status": "verified", "note": "Diteruskan ke UPT Jalan", "csrf_token": token},
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/admin/reports/{tid}?saved=1"
        page = await pupr.get(done.headers["location"])
        assert "Status disimpan; warga akan diberi tahu." in page.text
        assert "Diteruskan ke UPT Jalan" in page.text
    api = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert api["status"] == "verified"
    assert api["history"][-1]["note"] == "Diteruskan ke UPT Jalan"
    with Session(engine) as session:
        change = session.execute(
            select(StatusChange).where(StatusChange.status == "verified")
        ).scalar_one()
        assert change.actor == "pupr"
        events = (
            session.execute(
                select(OutboxEvent).where(OutboxEvent.event_type == "complaint.status_changed")
            )
            .scalars()
            .all()
        )
        assert len(events) == 1
        assert events[0].payload["status"] == "verified"
    assert ("pupr", "status_change", tid) in _audit(engine)


@pytest.mark.usefixtures("users")
async def test_bad_status_changes_explain_themselves_and_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    road = await create_report(client)
    tid = road["tracking_id"]
    async with logged_in(app, "admin1", PASSWORD) as admin:
        token = await page_csrf(admin, f"/admin/reports/{tid}")
        no_csrf = await admin.post(
            f"/admin/reports/{tid}/status", data={"status": "verified", "note": ""}
        )
        assert no_csrf.status_code == 403
        skipping = await admin.post(
            f"/admin/reports/{tid}/status",
            data={"status": "closed", "note": "", "csrf_token": token},
        )
        assert skipping.status_code == 409
        assert "closed" in skipping.text and 'role="alert"' in skipping.text
        no_reason = await admin.post(
            f"/admin/reports/{tid}/status",
            data={"status": "rejected", "note": "  ", "csrf_token": token},
        )
        assert no_reason.status_code == 409
        unknown = await admin.post(
            f"/admin/reports/{tid}/status",
            data={"status": "teleported", "note": "", "csrf_token": token},
        )
        assert unknown.status_code == 409 and "Unknown status" in unknown.text
    api = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert api["status"] == "received" and len(api["history"]) == 1
    with Session(engine) as session:
        assert (
            session.execute(
                select(OutboxEvent).where(OutboxEvent.event_type == "complaint.status_changed")
            ).first()
            is None
        )
    assert [a for a in _audit(engine) if a[1] == "status_change"] == []


@pytest.mark.usefixtures("users")
async def test_deadline_badges_show_overdue_and_the_overdue_filter(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    late, fresh = await _road_and_waste(client)
    with Session(engine) as session:
        session.execute(
            update(Report)
            .where(Report.tracking_id == late["tracking_id"])
            .values(verify_due=dt.date.today() - dt.timedelta(days=14))
        )
        session.commit()
    async with logged_in(app, "admin1", PASSWORD) as admin:
        page = await admin.get("/admin/reports")
        row = re.search(rf"{late['tracking_id']}.*?</tr>", page.text, re.S)
        assert row and "b-overdue" in row.group() and "Lewat" in row.group()
        fresh_row = re.search(rf"{fresh['tracking_id']}.*?</tr>", page.text, re.S)
        assert fresh_row and "b-overdue" not in fresh_row.group()
        overdue = await admin.get("/admin/reports?overdue=1")
        assert late["tracking_id"] in overdue.text
        assert fresh["tracking_id"] not in overdue.text


@pytest.mark.usefixtures("users")
async def test_attachments_are_shown_inline_only_to_those_who_may_see_the_report(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    photo = (await upload(client, PNG, "lubang.png", "image/png")).json()["id"]
    document = (await upload(client, PDF, "surat.pdf", "application/pdf")).json()["id"]
    road = await create_report(client, attachments=[photo, document])
    tid = road["tracking_id"]
    async with logged_in(app, "pupr", PASSWORD) as pupr:
        page = await pupr.get(f"/admin/reports/{tid}")
        assert f'<img src="/admin/reports/{tid}/attachments/{photo}"' in page.text
        image = await pupr.get(f"/admin/reports/{tid}/attachments/{photo}")
        assert image.status_code == 200 and image.content == PNG
        assert image.headers["content-type"] == "image/png"
        assert image.headers["content-disposition"].startswith("inline")
        pdf = await pupr.get(f"/admin/reports/{tid}/attachments/{document}")
        assert pdf.headers["content-disposition"].startswith("attachment")
        wrong = await pupr.get(f"/admin/reports/{tid}/attachments/{'0' * 32}")
        assert wrong.status_code == 404
    async with logged_in(app, "dlhk", PASSWORD) as dlhk:
        refused = await dlhk.get(f"/admin/reports/{tid}/attachments/{photo}")
        assert refused.status_code == 404 and refused.content != PNG


@pytest.mark.usefixtures("users")
async def test_the_report_page_links_a_map_for_coordinates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    road = await create_report(client)
    async with logged_in(app, "admin1", PASSWORD) as admin:
        page = await admin.get(f"/admin/reports/{road['tracking_id']}")
    assert "https://www.openstreetmap.org/?mlat=-6.200000&amp;mlon=106.450000" in page.text
    assert "<script" not in page.text and "<iframe" not in page.text


async def test_pages_render_for_a_phone_sized_screen_with_labels(
    app: FastAPI, client: httpx.AsyncClient, users: None
) -> None:
    road = await create_report(client)
    async with logged_in(app, "admin1", PASSWORD) as admin:
        page = await admin.get("/admin/reports")
    assert 'name="viewport"' in page.text
    link = f'<a href="/admin/reports/{road["tracking_id"]}"'
    assert f'data-label="Nomor tiket" class="nowrap">{link}' in page.text
