"""An administrator resolves a forward parked for review, or sends it again."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.backend.conftest import add_user, create_report, login
from tests.backend.lapor.conftest import MakeForwarder
from tests.backend.lapor.test_forwarding import CREATE, bridge_row
from tests.fakes.lapor_api import FakeLapor


@pytest.fixture
async def admin(client: httpx.AsyncClient, engine: Engine) -> dict[str, str]:
    add_user(engine, "admin", "rahasia-admin-123", "admin")
    return await login(client, "admin", "rahasia-admin-123")


async def parked(client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder) -> str:
    lapor.fail_after_create()
    report = await create_report(client)
    make_forwarder().run_once()
    return str(report["tracking_id"])


async def test_recording_the_id_found_in_lapor(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    admin: dict[str, str],
) -> None:
    tracking_id = await parked(client, lapor, make_forwarder)
    (found,) = [c for c in lapor.created() if c.fields["tags_raw"] == tracking_id]
    response = await client.post(
        f"/api/v1/complaints/{tracking_id}/lapor", json={"complaint_id": found.id}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["lapor"]["state"] == "forwarded"
    assert response.json()["lapor"]["complaint_id"] == found.id
    make_forwarder().run_once()
    assert len(lapor.created()) == 1
    again = await client.post(f"/api/v1/complaints/{tracking_id}/lapor", json={}, headers=admin)
    assert again.status_code == 409


async def test_sending_again_when_lapor_has_no_such_report(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    admin: dict[str, str],
) -> None:
    tracking_id = await parked(client, lapor, make_forwarder)
    lapor.complaints.clear()  # the person looked: LAPOR! has nothing
    response = await client.post(f"/api/v1/complaints/{tracking_id}/lapor", json={}, headers=admin)
    assert response.status_code == 200
    assert response.json()["lapor"]["state"] == "pending"
    make_forwarder().run_once()
    assert bridge_row(engine, tracking_id).state == "forwarded"
    assert len(lapor.requests_to(CREATE)) == 2


async def test_only_admins_and_only_known_forwards(
    client: httpx.AsyncClient,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    admin: dict[str, str],
) -> None:
    from tests.backend.conftest import AUTH

    tracking_id = await parked(client, lapor, make_forwarder)
    service = await client.post(f"/api/v1/complaints/{tracking_id}/lapor", json={}, headers=AUTH)
    assert service.status_code == 403
    unknown = await client.post("/api/v1/complaints/TNG-2026-999999/lapor", json={}, headers=admin)
    assert unknown.status_code == 404
    bad = await client.post(
        f"/api/v1/complaints/{tracking_id}/lapor", json={"complaint_id": "../x"}, headers=admin
    )
    assert bad.status_code == 422
