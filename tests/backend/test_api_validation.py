"""Bad input gets a readable 4xx JSON error and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from backend.models import OutboxEvent, Report, Reporter
from tests.backend.conftest import AUTH, add_user, complaint_body, count_rows, login


def assert_refused(response: httpx.Response, status: int, engine: Engine) -> dict[str, Any]:
    """A JSON error with `error` and a message, and no report written."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"].strip()
    assert count_rows(engine, Report) == 0
    assert count_rows(engine, Reporter) == 0
    assert count_rows(engine, OutboxEvent) == 0
    return body


def details_fields(body: dict[str, Any]) -> set[str]:
    return {d["field"] for d in body["details"]}


async def post(
    client: httpx.AsyncClient, body: Any, headers: dict[str, str] = AUTH
) -> httpx.Response:
    return await client.post("/api/v1/complaints", json=body, headers=headers)


@pytest.mark.parametrize(
    "raw",
    [b'{"category": "jalan_jembatan", "description": ', b"not json at all", b"{'single': 1}"],
)
async def test_malformed_json(client: httpx.AsyncClient, engine: Engine, raw: bytes) -> None:
    response = await client.post(
        "/api/v1/complaints",
        content=raw,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    body = assert_refused(response, 422, engine)
    assert body["error"] == "validation_error"
    assert "not valid JSON" in body["message"]


@pytest.mark.parametrize("raw", [b"[]", b"null", b'"text"', b"42"])
async def test_json_that_is_not_an_object(
    client: httpx.AsyncClient, engine: Engine, raw: bytes
) -> None:
    response = await client.post(
        "/api/v1/complaints", content=raw, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert_refused(response, 422, engine)


async def test_empty_body(client: httpx.AsyncClient, engine: Engine) -> None:
    response = await client.post("/api/v1/complaints", headers=AUTH)
    assert_refused(response, 422, engine)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": 123}, "category"),
        ({"category": None}, "category"),
        ({"category": ["jalan_jembatan"]}, "category"),
        ({"location": "x"}, "location"),
        ({"location": {"latitude": "north", "longitude": 106.4}}, "location.latitude"),
        ({"description": {"text": "jalan rusak"}}, "description"),
        ({"report_type": "gossip"}, "report_type"),
        ({"privacy": "secret"}, "privacy"),
        ({"channel": "fax"}, "channel"),
        ({"incident_date": "kemarin"}, "incident_date"),
        ({"attachments": "abc"}, "attachments"),
        ({"attachments": ["not-an-id"]}, "attachments.0"),
        ({"reporter": {"phone": "call me"}}, "reporter.phone"),
        ({"reporter": {"email": "not-an-email"}}, "reporter.email"),
        ({"description": "ok"}, "description"),
        ({"description": "   "}, "description"),
    ],
)
async def test_wrong_types_and_values(
    client: httpx.AsyncClient, engine: Engine, overrides: dict[str, Any], field: str
) -> None:
    body = assert_refused(await post(client, complaint_body(**overrides)), 422, engine)
    assert body["error"] == "validation_error"
    assert field in details_fields(body) or field in body["message"], body


async def test_missing_required_fields(client: httpx.AsyncClient, engine: Engine) -> None:
    body = assert_refused(await post(client, {}), 422, engine)
    assert {"category", "description"} <= details_fields(body)
    assert "field required" in body["message"]


async def test_unknown_category(client: httpx.AsyncClient, engine: Engine) -> None:
    body = assert_refused(await post(client, complaint_body(category="jalan_rusak")), 422, engine)
    assert details_fields(body) == {"category"}
    assert "jalan_rusak" in body["message"]
    assert "jalan_jembatan" in body["message"]  # the message lists the valid codes


async def test_unknown_kecamatan(client: httpx.AsyncClient, engine: Engine) -> None:
    payload = complaint_body(location={"text": "Jl. Raya", "kecamatan": "Ciputat"})
    body = assert_refused(await post(client, payload), 422, engine)
    assert details_fields(body) == {"location.kecamatan"}
    assert "Ciputat" in body["message"]


async def test_every_problem_is_reported_at_once(client: httpx.AsyncClient, engine: Engine) -> None:
    payload = complaint_body(
        category="nope", location={"kecamatan": "Ciputat"}, incident_date="2999-01-01"
    )
    body = assert_refused(await post(client, payload), 422, engine)
    assert details_fields(body) == {"category", "location.kecamatan", "incident_date"}


async def test_description_of_4000_characters_is_accepted(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    response = await post(client, complaint_body(description="a" * 4000))
    assert response.status_code == 201, response.text
    assert len(response.json()["description"]) == 4000
    assert count_rows(engine, Report) == 1


async def test_description_of_4001_characters_is_refused(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    body = assert_refused(await post(client, complaint_body(description="a" * 4001)), 422, engine)
    assert details_fields(body) == {"description"}
    assert "4000" in body["message"]


async def test_future_incident_date(client: httpx.AsyncClient, engine: Engine) -> None:
    body = assert_refused(
        await post(client, complaint_body(incident_date="2999-12-31")), 422, engine
    )
    assert details_fields(body) == {"incident_date"}
    assert "future" in body["message"]


@pytest.mark.parametrize("field", ["agency", "tracking_id", "status", "statuss"])
async def test_unknown_fields_are_refused(
    client: httpx.AsyncClient, engine: Engine, field: str
) -> None:
    body = assert_refused(await post(client, complaint_body(**{field: "DLHK"})), 422, engine)
    assert details_fields(body) == {field}
    assert "unknown field" in body["message"]


async def test_unknown_nested_field(client: httpx.AsyncClient, engine: Engine) -> None:
    payload = complaint_body(reporter={"name": "Siti", "nik": "3603000000000001"})
    body = assert_refused(await post(client, payload), 422, engine)
    assert details_fields(body) == {"reporter.nik"}


@pytest.mark.parametrize(
    "location",
    [
        {"latitude": -6.2},
        {"longitude": 106.45},
        {"latitude": -91, "longitude": 106.45},
        {"latitude": -6.2, "longitude": 181},
    ],
)
async def test_bad_coordinates(
    client: httpx.AsyncClient, engine: Engine, location: dict[str, float]
) -> None:
    body = assert_refused(await post(client, complaint_body(location=location)), 422, engine)
    assert details_fields(body) & {"location.latitude", "location.longitude"}


async def test_latitude_without_longitude_message(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    body = assert_refused(
        await post(client, complaint_body(location={"latitude": -6.2})), 422, engine
    )
    assert "latitude and longitude together" in body["message"]


async def test_missing_token(client: httpx.AsyncClient, engine: Engine) -> None:
    body = assert_refused(await post(client, complaint_body(), headers={}), 401, engine)
    assert body["error"] == "unauthorized"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", "Bearer ", "Basic dGVzdDp0ZXN0", "test-service-token-0123456789"],
)
async def test_wrong_token(client: httpx.AsyncClient, engine: Engine, authorization: str) -> None:
    response = await post(client, complaint_body(), headers={"Authorization": authorization})
    body = assert_refused(response, 401, engine)
    assert body["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_an_officer_cannot_file_a_report(client: httpx.AsyncClient, engine: Engine) -> None:
    add_user(engine, "petugas_pu", "sandi-petugas-pu", "officer", "DBMSDA")
    headers = await login(client, "petugas_pu", "sandi-petugas-pu")
    body = assert_refused(await post(client, complaint_body(), headers=headers), 403, engine)
    assert body["error"] == "forbidden"


async def test_unknown_attachment_id(client: httpx.AsyncClient, engine: Engine) -> None:
    payload = complaint_body(attachments=["0123456789abcdef0123456789abcdef"])
    body = assert_refused(await post(client, payload), 422, engine)
    assert details_fields(body) == {"attachments"}
    assert "0123456789abcdef0123456789abcdef was not uploaded" in body["message"]


async def test_too_many_attachments(client: httpx.AsyncClient, engine: Engine) -> None:
    ids = [f"{i:032x}" for i in range(11)]
    assert_refused(await post(client, complaint_body(attachments=ids)), 422, engine)


async def test_idempotency_key_over_255_characters(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    headers = {**AUTH, "Idempotency-Key": "k" * 256}
    body = assert_refused(await post(client, complaint_body(), headers=headers), 422, engine)
    assert "idempotency-key" in details_fields(body)


@pytest.mark.parametrize(
    "overrides",
    [
        {"description": "Jalan rusak\x00 parah di depan sekolah"},
        {"reporter": {"name": "Siti\x00"}},
        {"location": {"text": "Jl. Raya\x00Serang"}},
    ],
)
async def test_nul_characters_are_refused_on_every_database(
    client: httpx.AsyncClient, engine: Engine, overrides: dict[str, Any]
) -> None:
    body = assert_refused(await post(client, complaint_body(**overrides)), 422, engine)
    assert "NUL" in body["message"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/complaints", {"category": "sampah\x00"}),
        ("/api/v1/complaints", {"kecamatan": "\x00"}),
        ("/api/v1/complaints", {"reporter_chat_id": "telegram:\x0042"}),
    ],
)
async def test_nul_characters_in_the_query_are_refused(
    client: httpx.AsyncClient, engine: Engine, url: str, params: dict[str, str]
) -> None:
    response = await client.get(url, params=params, headers=AUTH)
    body = assert_refused(response, 422, engine)
    assert details_fields(body) == set(params)


async def test_nul_characters_in_the_login_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/token", json={"username": "admin\x00", "password": "x"}
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "0001-01-01"},
        {"created_to": "9999-12-31"},
        {"created_from": "0001-01-01", "created_to": "9999-12-31"},
        {"created_from": "9999-12-31"},
        {"created_to": "0001-01-01"},
    ],
)
async def test_dates_at_the_ends_of_the_calendar_are_handled(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    await client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
    response = await client.get("/api/v1/complaints", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    everything = (
        params.get("created_from", "0001-01-01") == "0001-01-01"
        and params.get("created_to", "9999-12-31") == "9999-12-31"
    )
    assert response.json()["total"] == (1 if everything else 0)


async def test_unknown_routes_and_methods_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong_method = await client.delete("/api/v1/complaints", headers=AUTH)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"
