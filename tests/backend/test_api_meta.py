"""The OpenAPI document and the health check."""

from __future__ import annotations

import httpx


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"].startswith("LAPOR!")
    paths = document["paths"]
    expected = {
        "/health": {"get"},
        "/api/v1/auth/token": {"post"},
        "/api/v1/complaints": {"get", "post"},
        "/api/v1/complaints/{tracking_id}": {"get"},
        "/api/v1/complaints/{tracking_id}/status": {"post"},
        "/api/v1/attachments": {"post"},
        "/api/v1/attachments/{attachment_id}": {"get"},
        "/open311/v2/services.json": {"get"},
        "/open311/v2/requests.json": {"get", "post"},
        "/open311/v2/requests/{request_id}.json": {"get"},
    }
    for path, operations in expected.items():
        assert operations <= set(paths.get(path, {})), path
    upload = paths["/api/v1/attachments"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    open311_post = paths["/open311/v2/requests.json"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in open311_post
    create = paths["/api/v1/complaints"]["post"]
    assert {"401", "404", "422"} <= set(create["responses"])


async def test_docs_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
