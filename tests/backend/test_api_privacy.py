"""Who sees what: console login, agency scoping and anonymous reporters."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import User
from tests.backend.conftest import AUTH, add_user, create_report, login

PASSWORD = "sandi-yang-panjang-1"


@pytest.fixture
async def officers(client: httpx.AsyncClient, engine: Engine) -> dict[str, dict[str, str]]:
    """Headers for an officer of DBMSDA, one of DLHK and an administrator."""
    add_user(engine, "petugas_pu", PASSWORD, "officer", "DBMSDA")
    add_user(engine, "petugas_lh", PASSWORD, "officer", "DLHK")
    add_user(engine, "admin", PASSWORD, "admin")
    return {
        "roads": await login(client, "petugas_pu", PASSWORD),
        "waste": await login(client, "petugas_lh", PASSWORD),
        "admin": await login(client, "admin", PASSWORD),
    }


async def test_login_returns_a_bearer_token(client: httpx.AsyncClient, engine: Engine) -> None:
    add_user(engine, "petugas_pu", PASSWORD, "officer", "DBMSDA")
    response = await client.post(
        "/api/v1/auth/token", json={"username": "petugas_pu", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "officer"
    assert body["agency"] == "DBMSDA"
    assert body["expires_in"] == 8 * 3600
    assert body["access_token"]


@pytest.mark.parametrize(
    ("username", "password"),
    [("petugas_pu", "sandi-yang-salah"), ("tidak_ada", PASSWORD), ("PETUGAS_PU", PASSWORD)],
)
async def test_wrong_credentials_are_401(
    client: httpx.AsyncClient, engine: Engine, username: str, password: str
) -> None:
    add_user(engine, "petugas_pu", PASSWORD, "officer", "DBMSDA")
    response = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized"
    assert body["message"] == "Wrong username or password."
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_deactivated_user_cannot_log_in(client: httpx.AsyncClient, engine: Engine) -> None:
    add_user(engine, "mantan", PASSWORD, "officer", "DBMSDA")
    with Session(engine) as session:
        session.execute(update(User).values(active=0))
        session.commit()
    response = await client.post(
        "/api/v1/auth/token", json={"username": "mantan", "password": PASSWORD}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "x"},
        {"username": "", "password": "x"},
        {"username": "x", "password": 1, "otp": 2},
    ],
)
async def test_malformed_login_bodies_are_422(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 422
    assert response.json()["message"]


async def test_officer_sees_the_reporter_of_a_public_report_only(
    client: httpx.AsyncClient, officers: dict[str, dict[str, str]]
) -> None:
    public = await create_report(client, privacy="public")
    anonymous = await create_report(client, privacy="anonymous")
    confidential = await create_report(client, privacy="confidential")
    officer = officers["roads"]

    seen = await client.get(f"/api/v1/complaints/{public['tracking_id']}", headers=officer)
    assert seen.status_code == 200
    assert seen.json()["reporter"] == {
        "name": "Siti Aminah",
        "phone": "+6281234567890",
        "email": None,
        "chat_id": "telegram:42",
    }
    hidden = await client.get(f"/api/v1/complaints/{anonymous['tracking_id']}", headers=officer)
    assert hidden.status_code == 200
    assert hidden.json()["reporter"] is None
    assert "Siti" not in hidden.text and "6281234567890" not in hidden.text
    # Confidential reports are hidden from the public, not from the agency handling them.
    secret = await client.get(f"/api/v1/complaints/{confidential['tracking_id']}", headers=officer)
    assert secret.json()["reporter"]["name"] == "Siti Aminah"

    listing = (await client.get("/api/v1/complaints", headers=officer)).json()
    reporters = {i["tracking_id"]: i["reporter"] for i in listing["items"]}
    assert reporters[anonymous["tracking_id"]] is None
    assert reporters[public["tracking_id"]] is not None


async def test_service_and_admin_always_see_the_reporter(
    client: httpx.AsyncClient, officers: dict[str, dict[str, str]]
) -> None:
    anonymous = await create_report(client, privacy="anonymous")
    assert anonymous["reporter"]["chat_id"] == "telegram:42"
    for headers in (AUTH, officers["admin"]):
        response = await client.get(
            f"/api/v1/complaints/{anonymous['tracking_id']}", headers=headers
        )
        assert response.json()["reporter"]["chat_id"] == "telegram:42"


async def test_officer_of_another_agency_cannot_see_the_report(
    client: httpx.AsyncClient, officers: dict[str, dict[str, str]]
) -> None:
    roads = await create_report(client)
    waste = await create_report(client, category="sampah")
    other = officers["waste"]
    response = await client.get(f"/api/v1/complaints/{roads['tracking_id']}", headers=other)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    listing = (await client.get("/api/v1/complaints", headers=other)).json()
    assert [i["tracking_id"] for i in listing["items"]] == [waste["tracking_id"]]
    assert listing["total"] == 1
    # Asking for the other agency explicitly does not widen the view.
    forced = await client.get("/api/v1/complaints", params={"agency": "DBMSDA"}, headers=other)
    assert [i["tracking_id"] for i in forced.json()["items"]] == [waste["tracking_id"]]


async def test_officer_of_another_agency_cannot_change_the_status(
    client: httpx.AsyncClient, officers: dict[str, dict[str, str]]
) -> None:
    roads = await create_report(client)
    url = f"/api/v1/complaints/{roads['tracking_id']}/status"
    refused = await client.post(url, json={"status": "verified"}, headers=officers["waste"])
    assert refused.status_code == 404
    accepted = await client.post(url, json={"status": "verified"}, headers=officers["roads"])
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "verified"


async def test_admin_sees_every_agency(
    client: httpx.AsyncClient, officers: dict[str, dict[str, str]]
) -> None:
    await create_report(client)
    await create_report(client, category="sampah")
    listing = (await client.get("/api/v1/complaints", headers=officers["admin"])).json()
    assert listing["total"] == 2
