"""`GET /api/v1/complaints`: filters, dates in WIB, overdue reports and pagination."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from backend.auth import Principal, Role
from backend.complaints import (
    ListFilters,
    change_status,
    create_complaint,
    is_overdue,
    list_complaints,
)
from backend.db import utcnow
from backend.models import Report
from backend.schemas import ComplaintCreate
from backend.state import AppState
from backend.workflow import Status
from tests.backend.conftest import AUTH, add_user, complaint_body, create_report, login

UTC = dt.timezone.utc
SERVICE = Principal(role=Role.SERVICE, name="test")


def create_at(state: AppState, when: dt.datetime, **overrides: Any) -> str:
    """File a report as if at `when`, straight through the service layer."""
    payload = ComplaintCreate.parse_obj(complaint_body(incident_date=None, **overrides))
    with state.sessions() as session:
        report, created = create_complaint(session, payload, state.taxonomy, state.policy, now=when)
        assert created
        return str(report.tracking_id)


def move_at(state: AppState, tracking_id: str, status: Status, when: dt.datetime) -> None:
    """Change a report's status as if at `when`."""
    with state.sessions() as session:
        change_status(session, tracking_id, status, "catatan", state.policy, SERVICE, now=when)


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str] = AUTH, **params: Any
) -> list[str]:
    """The tracking IDs a listing returns, in order."""
    response = await client.get("/api/v1/complaints", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["tracking_id"] for item in response.json()["items"]]


@pytest.fixture
async def three_reports(client: httpx.AsyncClient) -> dict[str, str]:
    """Three reports differing in every filterable field; the first one verified."""
    roads = await create_report(client)
    waste = await create_report(
        client,
        category="sampah",
        location={"text": "TPS liar dekat pasar", "kecamatan": "Cikupa"},
        channel="whatsapp",
        reporter={"name": "Budi", "chat_id": "whatsapp:6281111111111"},
    )
    village = await create_report(
        client,
        category="pelayanan_desa_kecamatan",
        location={"kecamatan": "pasar  kemis"},
        channel="web",
        reporter={},
    )
    moved = await client.post(
        f"/api/v1/complaints/{roads['tracking_id']}/status",
        json={"status": "verified"},
        headers=AUTH,
    )
    assert moved.status_code == 200
    return {
        "roads": roads["tracking_id"],
        "waste": waste["tracking_id"],
        "village": village["tracking_id"],
    }


async def test_without_filters_all_reports_are_listed_newest_first(
    client: httpx.AsyncClient, three_reports: dict[str, str]
) -> None:
    r = three_reports
    assert await listed(client) == [r["village"], r["waste"], r["roads"]]


async def test_filter_by_status(client: httpx.AsyncClient, three_reports: dict[str, str]) -> None:
    r = three_reports
    assert await listed(client, status="verified") == [r["roads"]]
    assert await listed(client, status="received") == [r["village"], r["waste"]]
    assert await listed(client, status="closed") == []


async def test_filter_by_category(client: httpx.AsyncClient, three_reports: dict[str, str]) -> None:
    assert await listed(client, category="sampah") == [three_reports["waste"]]
    assert await listed(client, category="pju") == []


async def test_filter_by_agency(client: httpx.AsyncClient, three_reports: dict[str, str]) -> None:
    r = three_reports
    assert await listed(client, agency="DBMSDA") == [r["roads"]]
    assert await listed(client, agency="DLHK") == [r["waste"]]
    assert await listed(client, agency="KECAMATAN_PASAR_KEMIS") == [r["village"]]


async def test_filter_by_kecamatan_ignores_case(
    client: httpx.AsyncClient, three_reports: dict[str, str]
) -> None:
    r = three_reports
    assert await listed(client, kecamatan="Pasar Kemis") == [r["village"]]
    assert await listed(client, kecamatan="pasar kemis") == [r["village"]]
    assert await listed(client, kecamatan="BALARAJA") == [r["roads"]]
    assert await listed(client, kecamatan="Legok") == []


async def test_filter_by_channel(client: httpx.AsyncClient, three_reports: dict[str, str]) -> None:
    r = three_reports
    assert await listed(client, channel="whatsapp") == [r["waste"]]
    assert await listed(client, channel="telegram") == [r["roads"]]
    assert await listed(client, channel="open311") == []


async def test_filters_combine(client: httpx.AsyncClient, three_reports: dict[str, str]) -> None:
    r = three_reports
    assert await listed(client, category="jalan_jembatan", status="verified") == [r["roads"]]
    assert await listed(client, category="jalan_jembatan", status="received") == []
    assert await listed(client, agency="DLHK", channel="telegram") == []


async def test_filter_by_reporter_chat_id(
    client: httpx.AsyncClient, three_reports: dict[str, str]
) -> None:
    r = three_reports
    assert await listed(client, reporter_chat_id="whatsapp:6281111111111") == [r["waste"]]
    assert await listed(client, reporter_chat_id="telegram:42") == [r["roads"]]
    assert await listed(client, reporter_chat_id="telegram:999") == []


async def test_officers_may_not_list_by_reporter_chat_id(
    client: httpx.AsyncClient, engine: Engine, three_reports: dict[str, str]
) -> None:
    add_user(engine, "petugas_pu", "sandi-petugas-pu", "officer", "DBMSDA")
    headers = await login(client, "petugas_pu", "sandi-petugas-pu")
    response = await client.get(
        "/api/v1/complaints", params={"reporter_chat_id": "telegram:42"}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert await listed(client, headers=headers) == [three_reports["roads"]]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"channel": "fax"},
        {"created_from": "yesterday"},
        {"created_to": "2026-02-30"},
        {"overdue": "maybe"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"per_page": "0"},
        {"per_page": "101"},
        {"category": "x" * 51},
    ],
)
async def test_invalid_query_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/api/v1/complaints", params=params, headers=AUTH)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["message"]
    name = next(iter(params))
    assert any(d["field"] == name for d in body["details"]), body


async def test_listing_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/complaints")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_created_from_and_to_are_days_in_western_indonesia_time(
    client: httpx.AsyncClient, state: AppState
) -> None:
    # 23:30 and 00:30 WIB (UTC+7) fall on different local days but the same UTC day.
    late_january = create_at(state, dt.datetime(2026, 1, 31, 16, 30, tzinfo=UTC))
    early_february = create_at(state, dt.datetime(2026, 1, 31, 17, 30, tzinfo=UTC))
    mid_february = create_at(state, dt.datetime(2026, 2, 10, 3, 0, tzinfo=UTC))
    assert await listed(client, created_to="2026-01-31") == [late_january]
    assert await listed(client, created_from="2026-02-01") == [mid_february, early_february]
    assert await listed(client, created_from="2026-02-01", created_to="2026-02-01") == [
        early_february
    ]
    assert await listed(client, created_from="2026-01-31", created_to="2026-02-10") == [
        mid_february,
        early_february,
        late_january,
    ]
    assert await listed(client, created_from="2026-02-11") == []
    assert await listed(client, created_from="2026-02-02", created_to="2026-02-01") == []


async def test_overdue_reports(client: httpx.AsyncClient, state: AppState) -> None:
    now = utcnow()
    month_ago = now - dt.timedelta(days=30)
    old_received = create_at(state, month_ago)
    old_verified = create_at(state, month_ago + dt.timedelta(minutes=1))
    move_at(state, old_verified, Status.VERIFIED, month_ago + dt.timedelta(days=1))
    old_in_progress = create_at(state, month_ago + dt.timedelta(minutes=2))
    move_at(state, old_in_progress, Status.VERIFIED, month_ago + dt.timedelta(days=1))
    move_at(state, old_in_progress, Status.IN_PROGRESS, month_ago + dt.timedelta(days=2))
    fresh = (await create_report(client, incident_date=None))["tracking_id"]

    assert await listed(client, overdue="true") == [old_verified, old_received]
    assert await listed(client, overdue="false") == [fresh, old_in_progress]

    expected = {old_received: True, old_verified: True, old_in_progress: False, fresh: False}
    for tracking_id, overdue in expected.items():
        report = (await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)).json()
        assert report["deadlines"]["overdue"] is overdue, report
    old = (await client.get(f"/api/v1/complaints/{old_received}", headers=AUTH)).json()
    assert dt.date.fromisoformat(old["deadlines"]["verify_due"]) < now.date()


def test_a_report_becomes_overdue_the_day_after_its_deadline_in_wib(state: AppState) -> None:
    # Filed Wednesday 18 November 2026: three working days later is Monday 23 November.
    tracking_id = create_at(state, dt.datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
    with state.sessions() as session:
        report = session.execute(select(Report)).scalar_one()
        assert report.verify_due == dt.date(2026, 11, 23)
    moments = {
        dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC): False,  # Monday 15:00 WIB
        dt.datetime(2026, 11, 23, 16, 30, tzinfo=UTC): False,  # Monday 23:30 WIB
        dt.datetime(2026, 11, 23, 17, 30, tzinfo=UTC): True,  # Tuesday 00:30 WIB
    }
    for now, overdue in moments.items():
        assert is_overdue(report, state.policy.local_date(now)) is overdue, now
        with state.sessions() as session:
            late, late_total = list_complaints(
                session, ListFilters(overdue=True), state.policy, SERVICE, now=now
            )
            on_time, on_time_total = list_complaints(
                session, ListFilters(overdue=False), state.policy, SERVICE, now=now
            )
        expected_late = [tracking_id] if overdue else []
        expected_on_time = [] if overdue else [tracking_id]
        assert [r.tracking_id for r in late] == expected_late, now
        assert [r.tracking_id for r in on_time] == expected_on_time, now
        assert (late_total, on_time_total) == (len(expected_late), len(expected_on_time))


async def test_pagination(client: httpx.AsyncClient, state: AppState) -> None:
    year = state.policy.local_date(utcnow()).year
    for i in range(25):
        await create_report(client, description=f"Laporan nomor {i + 1}")
    response = await client.get(
        "/api/v1/complaints", params={"per_page": 10, "page": 2}, headers=AUTH
    )
    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["page"], page["per_page"], page["pages"]) == (25, 2, 10, 3)
    assert [i["tracking_id"] for i in page["items"]] == [
        f"TNG-{year}-{n:06d}" for n in range(15, 5, -1)
    ]
    assert len(await listed(client, per_page=10, page=1)) == 10
    last = await listed(client, per_page=10, page=3)
    assert last == [f"TNG-{year}-{n:06d}" for n in range(5, 0, -1)]
    assert await listed(client, per_page=10, page=4) == []
    assert len(await listed(client, per_page=100)) == 25
    assert len(await listed(client, per_page=1)) == 1
    assert len(await listed(client)) == 20  # the default page size


async def test_empty_listing(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/complaints", headers=AUTH)
    assert response.json() == {"items": [], "total": 0, "page": 1, "per_page": 20, "pages": 0}


async def test_pagination_total_follows_the_filters(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await create_report(client)
    for _ in range(2):
        await create_report(client, category="sampah")
    response = await client.get(
        "/api/v1/complaints", params={"category": "sampah", "per_page": 1}, headers=AUTH
    )
    page = response.json()
    assert (page["total"], page["pages"], len(page["items"])) == (2, 2, 1)
