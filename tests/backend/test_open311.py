"""Open311 GeoReport v2 under `/open311/v2`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from backend.models import Report
from tests.backend.conftest import AUTH, SERVICE_TOKEN, count_rows, create_report

BASE = "/open311/v2"


def form(**overrides: Any) -> dict[str, Any]:
    """A valid GeoReport v2 request, changed by `overrides` (None removes a field)."""
    values: dict[str, Any] = {
        "api_key": SERVICE_TOKEN,
        "service_code": "pju",
        "description": "Lampu jalan mati sepanjang 200 meter di Jl. Raya Legok.",
        "lat": "-6.28",
        "long": "106.6",
        "first_name": "Rina",
        "last_name": "Wati",
        "email": "rina@example.com",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def assert_open311_error(response: httpx.Response, status: int) -> str:
    """A GeoReport v2 error list; returns its description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    assert isinstance(body[0]["description"], str) and body[0]["description"].strip()
    return str(body[0]["description"])


async def post_request(client: httpx.AsyncClient, **overrides: Any) -> httpx.Response:
    return await client.post(f"{BASE}/requests.json", data=form(**overrides))


async def test_services_lists_every_category(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = response.json()
    assert len(services) == 18
    for service in services:
        assert {"service_code", "service_name", "metadata", "type"} <= set(service)
        assert service["metadata"] is False
        assert service["type"] == "realtime"
        assert service["service_name"].strip()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["pju"]["service_name"] == "Penerangan Jalan Umum"
    assert by_code["pju"]["group"] == "Dinas Perhubungan"


async def test_post_a_request_and_read_it_back(client: httpx.AsyncClient, engine: Engine) -> None:
    response = await post_request(client)
    assert response.status_code == 200, response.text
    created = response.json()
    assert isinstance(created, list) and len(created) == 1
    request_id = created[0]["service_request_id"]
    assert request_id.startswith("TNG-")
    assert "3 hari kerja" in created[0]["service_notice"]
    assert count_rows(engine, Report) == 1

    one = await client.get(f"{BASE}/requests/{request_id}.json")
    assert one.status_code == 200
    [request] = one.json()
    assert request["service_request_id"] == request_id
    assert request["status"] == "open"
    assert request["service_code"] == "pju"
    assert request["agency_responsible"] == "Dinas Perhubungan"
    assert (request["lat"], request["long"]) == (-6.28, 106.6)
    assert request["description"].startswith("Lampu jalan mati")
    # The reporter is never published.
    assert "Rina" not in one.text and "rina@example.com" not in one.text

    listing = await client.get(f"{BASE}/requests.json")
    assert listing.status_code == 200
    assert [r["service_request_id"] for r in listing.json()] == [request_id]

    # The report is a normal report in the JSON API, filed through the open311 channel.
    report = (await client.get(f"/api/v1/complaints/{request_id}", headers=AUTH)).json()
    assert report["channel"] == "open311"
    assert report["reporter"]["name"] == "Rina Wati"
    assert report["reporter"]["email"] == "rina@example.com"


async def test_an_address_alone_is_a_location(client: httpx.AsyncClient) -> None:
    response = await post_request(
        client, lat=None, long=None, address_string="Jl. Raya Legok no. 5"
    )
    assert response.status_code == 200, response.text
    request_id = response.json()[0]["service_request_id"]
    [request] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert request["address"] == "Jl. Raya Legok no. 5"
    assert request["lat"] is None


async def test_a_loose_request_id_is_accepted(client: httpx.AsyncClient) -> None:
    request_id = (await post_request(client)).json()[0]["service_request_id"]
    loose = request_id.replace("-", "").lower()
    response = await client.get(f"{BASE}/requests/{loose}.json")
    assert response.status_code == 200
    assert response.json()[0]["service_request_id"] == request_id


async def test_confidential_reports_are_never_published(client: httpx.AsyncClient) -> None:
    public = await create_report(client, privacy="public")
    anonymous = await create_report(client, privacy="anonymous")
    confidential = await create_report(client, privacy="confidential")

    listing = (await client.get(f"{BASE}/requests.json")).json()
    listed = {r["service_request_id"] for r in listing}
    assert listed == {public["tracking_id"], anonymous["tracking_id"]}

    hidden = await client.get(f"{BASE}/requests/{confidential['tracking_id']}.json")
    assert_open311_error(hidden, 404)
    by_ids = await client.get(
        f"{BASE}/requests.json",
        params={"service_request_id": f"{confidential['tracking_id']},{public['tracking_id']}"},
    )
    assert [r["service_request_id"] for r in by_ids.json()] == [public["tracking_id"]]
    # Anonymous reports are published without anyone's name.
    shown = await client.get(f"{BASE}/requests/{anonymous['tracking_id']}.json")
    assert "Siti" not in shown.text


async def test_status_is_closed_once_resolved(client: httpx.AsyncClient) -> None:
    request_id = (await post_request(client)).json()[0]["service_request_id"]
    for status, note in (
        ("verified", None),
        ("in_progress", None),
        ("resolved", "Lampu sudah diganti"),
    ):
        response = await client.post(
            f"/api/v1/complaints/{request_id}/status",
            json={"status": status, "note": note},
            headers=AUTH,
        )
        assert response.status_code == 200, response.text
    [request] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert request["status"] == "closed"
    assert request["status_notes"] == "Lampu sudah diganti"
    assert request["expected_datetime"] is not None

    closed = await client.get(f"{BASE}/requests.json", params={"status": "closed"})
    assert [r["service_request_id"] for r in closed.json()] == [request_id]
    still_open = await client.get(f"{BASE}/requests.json", params={"status": "open"})
    assert still_open.json() == []


async def test_filter_by_service_code(client: httpx.AsyncClient) -> None:
    lights = (await post_request(client)).json()[0]["service_request_id"]
    await post_request(client, service_code="sampah")
    response = await client.get(f"{BASE}/requests.json", params={"service_code": "pju"})
    assert [r["service_request_id"] for r in response.json()] == [lights]


async def test_date_window(client: httpx.AsyncClient) -> None:
    request_id = (await post_request(client)).json()[0]["service_request_id"]
    inside = await client.get(
        f"{BASE}/requests.json", params={"start_date": "2000-01-01T00:00:00Z"}
    )
    assert [r["service_request_id"] for r in inside.json()] == [request_id]
    before = await client.get(
        f"{BASE}/requests.json",
        params={"start_date": "2000-01-01T00:00:00Z", "end_date": "2000-02-01T00:00:00+07:00"},
    )
    assert before.json() == []


@pytest.mark.parametrize(
    ("params", "listed"),
    [
        ({"start_date": "0001-01-01T00:00:00+05:00"}, 1),  # since the beginning of time
        ({"end_date": "0001-01-02T00:00:00"}, 0),
        ({"start_date": "9999-12-31T23:59:59-05:00"}, 0),
        ({"end_date": "9999-12-31T23:59:59-05:00"}, 0),  # the 90 days before it
        ({"start_date": "2000-01-01T00:00:00Z", "end_date": "9999-12-31T23:59:59-05:00"}, 1),
    ],
)
async def test_dates_at_the_ends_of_the_calendar(
    client: httpx.AsyncClient, params: dict[str, str], listed: int
) -> None:
    await post_request(client)
    response = await client.get(f"{BASE}/requests.json", params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()) == listed


@pytest.mark.parametrize("api_key", ["wrong-key", "Bearer " + SERVICE_TOKEN, SERVICE_TOKEN + "x"])
async def test_wrong_api_key_is_401(
    client: httpx.AsyncClient, engine: Engine, api_key: str
) -> None:
    message = assert_open311_error(await post_request(client, api_key=api_key), 401)
    assert "not valid" in message
    assert count_rows(engine, Report) == 0


@pytest.mark.parametrize("api_key", [None, ""])
async def test_missing_api_key(
    client: httpx.AsyncClient, engine: Engine, api_key: str | None
) -> None:
    message = assert_open311_error(await post_request(client, api_key=api_key), 422)
    assert "api_key" in message
    assert count_rows(engine, Report) == 0


async def test_missing_location(client: httpx.AsyncClient, engine: Engine) -> None:
    message = assert_open311_error(await post_request(client, lat=None, long=None), 422)
    assert "location" in message
    assert count_rows(engine, Report) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"long": None},
        {"lat": None, "address_string": "Jl. Raya"},  # long without lat
        {"lat": "91"},
        {"lat": "north"},
        {"description": "ok"},
        {"description": None},
        {"service_code": None},
        {"email": "not-an-email"},
        {"phone": "call me maybe"},
        {"description": "Lampu\x00 mati"},
    ],
)
async def test_invalid_requests_are_4xx_lists(
    client: httpx.AsyncClient, engine: Engine, overrides: dict[str, Any]
) -> None:
    response = await post_request(client, **overrides)
    assert 400 <= response.status_code < 500, response.text
    assert_open311_error(response, response.status_code)
    assert count_rows(engine, Report) == 0


async def test_unknown_service_code(client: httpx.AsyncClient, engine: Engine) -> None:
    message = assert_open311_error(await post_request(client, service_code="ufo"), 422)
    assert "ufo" in message
    assert count_rows(engine, Report) == 0


async def test_json_bodies_are_not_accepted(client: httpx.AsyncClient, engine: Engine) -> None:
    response = await client.post(f"{BASE}/requests.json", json=form())
    assert_open311_error(response, 422)
    assert count_rows(engine, Report) == 0


async def test_unknown_request_is_404_list(client: httpx.AsyncClient) -> None:
    for request_id in ("TNG-2026-999999", "garbage"):
        assert_open311_error(await client.get(f"{BASE}/requests/{request_id}.json"), 404)


async def test_invalid_status_filter_is_422_list(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert_open311_error(response, 422)


async def test_nul_in_the_query_is_422_list(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/requests.json", params={"service_code": "pju\x00"})
    assert_open311_error(response, 422)
