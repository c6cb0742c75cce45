"""Uploading citizens' files to the backend's attachment API, against a mock transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bot.attachments import (
    AttachmentRejectedError,
    AttachmentStoreUnavailableError,
    AttachmentUploader,
)

BASE_URL = "http://backend.test:8000/"
TOKEN = "service-token-123"
Handler = Callable[[httpx.Request], httpx.Response]


def uploader_with(handler: Handler) -> tuple[AttachmentUploader, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AttachmentUploader(http, BASE_URL, TOKEN), http


async def test_upload_sends_multipart_with_the_token_and_returns_the_id() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(201, json={"id": "att_0123", "size": 4})

    uploader, http = uploader_with(handler)
    async with http:
        attachment_id = await uploader.upload(b"\xff\xd8\xff\xe0", "foto_u3.jpg", "image/jpeg")

    assert attachment_id == "att_0123"
    assert len(seen) == 1
    request = seen[0]
    assert request.method == "POST"
    assert str(request.url) == "http://backend.test:8000/api/v1/attachments"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.content
    assert b'name="file"; filename="foto_u3.jpg"' in body
    assert b"Content-Type: image/jpeg" in body
    assert b"\xff\xd8\xff\xe0" in body


async def test_upload_without_content_type_sends_octet_stream() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return httpx.Response(201, json={"id": 17})

    uploader, http = uploader_with(handler)
    async with http:
        assert await uploader.upload(b"data", "dokumen_x", None) == "17"
    assert b"Content-Type: application/octet-stream" in bodies[0]


@pytest.mark.parametrize("status", [413, 415, 400, 422])
async def test_refused_file_raises_rejected_with_the_backend_message(status: int) -> None:
    message = "File too large: 25 MB, at most 20 MB" if status == 413 else "Type not accepted"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "rejected", "message": message, "details": []})

    uploader, http = uploader_with(handler)
    async with http:
        with pytest.raises(AttachmentRejectedError) as caught:
            await uploader.upload(b"x" * 10, "video.mp4", "video/mp4")
    assert caught.value.status == status
    assert caught.value.message == message
    assert str(caught.value) == message


async def test_refusal_without_json_keeps_the_body_as_message() -> None:
    uploader, http = uploader_with(lambda r: httpx.Response(413, text="Request Entity Too Large"))
    async with http:
        with pytest.raises(AttachmentRejectedError) as caught:
            await uploader.upload(b"x", "a.bin", None)
    assert caught.value.status == 413
    assert caught.value.message == "Request Entity Too Large"


async def test_refusal_with_json_that_is_not_an_object_is_still_a_rejection() -> None:
    """A proxy or framework answering 422 with a JSON list must not crash the upload."""
    uploader, http = uploader_with(lambda r: httpx.Response(422, json=[{"loc": ["file"]}]))
    async with http:
        with pytest.raises(AttachmentRejectedError) as caught:
            await uploader.upload(b"x", "a.bin", None)
    assert caught.value.status == 422


def raise_connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.WriteTimeout("", request=request)


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(lambda r: httpx.Response(500, json={"message": "boom"}), id="http-500"),
        pytest.param(lambda r: httpx.Response(503, text="down"), id="http-503"),
        pytest.param(lambda r: httpx.Response(401, json={"message": "bad token"}), id="http-401"),
        pytest.param(raise_connect_error, id="connection-error"),
        pytest.param(raise_timeout, id="timeout"),
    ],
)
async def test_backend_trouble_raises_store_unavailable(handler: Handler) -> None:
    uploader, http = uploader_with(handler)
    async with http:
        with pytest.raises(AttachmentStoreUnavailableError) as caught:
            await uploader.upload(b"x", "a.jpg", "image/jpeg")
    assert str(caught.value)
    assert not isinstance(caught.value, AttachmentRejectedError)
