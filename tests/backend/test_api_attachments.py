"""`/api/v1/attachments`: type detection, limits, privacy and linking to reports."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from backend.app import create_app
from backend.models import Attachment, Report
from backend.settings import BackendSettings
from backend.state import AppState
from tests.backend.conftest import (
    AUTH,
    add_user,
    complaint_body,
    count_rows,
    create_report,
    login,
    make_settings,
)


def png_bytes(padding: int = 0) -> bytes:
    """A valid 1x1 RGB PNG, optionally followed by an ancillary chunk of `padding` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    extra = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


PNG = png_bytes()
PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
RANDOM = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(16))  # 512 noise bytes


async def upload(
    client: httpx.AsyncClient,
    content: bytes,
    filename: str = "foto.png",
    content_type: str = "text/plain",
    headers: dict[str, str] = AUTH,
) -> httpx.Response:
    return await client.post(
        "/api/v1/attachments", files={"file": (filename, content, content_type)}, headers=headers
    )


def stored_files(settings: BackendSettings) -> list[Path]:
    directory = settings.effective_attachments_dir
    return sorted(directory.iterdir()) if directory.exists() else []


def test_the_test_png_is_well_formed() -> None:
    assert PNG.startswith(b"\x89PNG\r\n\x1a\n")
    assert PNG[12:16] == b"IHDR"
    assert struct.unpack(">II", PNG[16:24]) == (1, 1)
    assert len(png_bytes(2000)) > 2000
    assert not RANDOM.startswith((b"MZ", b"\x7fELF", b"#!", b"%PDF", b"\x89PNG", b"\xff\xd8"))


@pytest.mark.parametrize(
    ("content", "filename", "expected_type"),
    [(PNG, "lubang.png", "image/png"), (PDF, "surat.pdf", "application/pdf")],
)
async def test_upload_detects_the_type_from_the_bytes(
    client: httpx.AsyncClient,
    engine: Engine,
    settings: BackendSettings,
    content: bytes,
    filename: str,
    expected_type: str,
) -> None:
    response = await upload(client, content, filename=filename, content_type="text/plain")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == expected_type
    assert body["filename"] == filename
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert len(body["id"]) == 32 and int(body["id"], 16) >= 0
    assert body["url"] == f"/api/v1/attachments/{body['id']}"
    assert count_rows(engine, Attachment) == 1
    [path] = stored_files(settings)
    assert path.read_bytes() == content
    assert path.name.startswith(body["id"])


@pytest.mark.parametrize(
    ("content", "claimed"),
    [
        (ELF, "image/png"),
        (WINDOWS_EXE, "application/pdf"),
        (SCRIPT, "text/x-shellscript"),
        (RANDOM, "image/jpeg"),
        (b"", "image/png"),
        (b"Halo, ini hanya teks biasa.", "text/plain"),
        (b"<html><script>alert(1)</script></html>", "image/png"),
    ],
    ids=["elf", "mz", "script", "random", "empty", "text", "html"],
)
async def test_unaccepted_files_are_415(
    client: httpx.AsyncClient,
    engine: Engine,
    settings: BackendSettings,
    content: bytes,
    claimed: str,
) -> None:
    response = await upload(client, content, content_type=claimed)
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["error"] == "unsupported_media_type"
    assert body["message"].strip()
    assert count_rows(engine, Attachment) == 0
    assert stored_files(settings) == []


async def test_executables_get_a_specific_message(client: httpx.AsyncClient) -> None:
    for content in (ELF, WINDOWS_EXE):
        response = await upload(client, content)
        assert "Executable files are not accepted" in response.json()["message"]


async def test_upload_needs_a_file(client: httpx.AsyncClient, engine: Engine) -> None:
    response = await client.post("/api/v1/attachments", data={"x": "y"}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["message"]
    assert count_rows(engine, Attachment) == 0


async def test_upload_needs_the_service_or_an_admin(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    assert (await upload(client, PNG, headers={})).status_code == 401
    add_user(engine, "petugas_pu", "sandi-petugas-pu", "officer", "DBMSDA")
    officer = await login(client, "petugas_pu", "sandi-petugas-pu")
    assert (await upload(client, PNG, headers=officer)).status_code == 403
    assert count_rows(engine, Attachment) == 0


async def test_control_characters_are_dropped_from_the_filename(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    # Written by hand: httpx would percent-encode the NUL in the file name.
    body = (
        b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a\x00b\x07.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--XYZ--\r\n"
    )
    response = await client.post(
        "/api/v1/attachments",
        content=body,
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=XYZ"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "ab.png"
    assert count_rows(engine, Attachment) == 1


@pytest.fixture
async def small_limit(
    tmp_path: Path, engine: Engine
) -> AsyncIterator[tuple[httpx.AsyncClient, BackendSettings]]:
    """A client for an app that accepts attachments of at most 1024 bytes."""
    settings = make_settings(tmp_path / "small", attachment_max_bytes=1024)
    app = create_app(state=AppState.from_settings(settings, engine=engine))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as client:
        yield client, settings


async def test_files_over_the_limit_are_413(
    small_limit: tuple[httpx.AsyncClient, BackendSettings], engine: Engine
) -> None:
    client, settings = small_limit
    too_big = png_bytes(2000)
    response = await upload(client, too_big)
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "payload_too_large"
    assert "1 KB" in body["message"]
    assert count_rows(engine, Attachment) == 0
    assert stored_files(settings) == []


async def test_a_request_far_over_the_limit_is_413(
    small_limit: tuple[httpx.AsyncClient, BackendSettings], engine: Engine
) -> None:
    client, settings = small_limit
    response = await upload(client, png_bytes(100_000))
    assert response.status_code == 413
    assert "1 KB" in response.json()["message"]
    assert stored_files(settings) == []


async def test_a_file_exactly_at_the_limit_is_accepted(
    small_limit: tuple[httpx.AsyncClient, BackendSettings],
) -> None:
    client, _ = small_limit
    base = len(png_bytes(1))  # the PNG grows by one byte per byte of padding
    at_limit, over_limit = png_bytes(1 + 1024 - base), png_bytes(2 + 1024 - base)
    assert (len(at_limit), len(over_limit)) == (1024, 1025)
    response = await upload(client, at_limit)
    assert response.status_code == 201, response.text
    assert response.json()["size"] == 1024
    assert (await upload(client, over_limit)).status_code == 413


async def test_download_returns_the_exact_bytes_to_the_service(client: httpx.AsyncClient) -> None:
    uploaded = (await upload(client, PNG)).json()
    response = await client.get(uploaded["url"], headers=AUTH)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]


async def test_download_needs_a_token(client: httpx.AsyncClient) -> None:
    uploaded = (await upload(client, PNG)).json()
    response = await client.get(uploaded["url"])
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    wrong = await client.get(uploaded["url"], headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("attachment_id", ["0" * 32, "does-not-exist", "..%2F..%2Fetc%2Fpasswd"])
async def test_download_of_an_unknown_attachment_is_404(
    client: httpx.AsyncClient, attachment_id: str
) -> None:
    response = await client.get(f"/api/v1/attachments/{attachment_id}", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_a_report_lists_its_attachments(client: httpx.AsyncClient, engine: Engine) -> None:
    photo = (await upload(client, PNG, filename="lubang.png")).json()
    letter = (await upload(client, PDF, filename="surat.pdf")).json()
    report = await create_report(client, attachments=[photo["id"], letter["id"]])
    assert sorted(report["attachments"]) == sorted([photo["id"], letter["id"]])
    files = {f["id"]: f for f in report["attachment_files"]}
    assert files[photo["id"]] == photo
    assert files[letter["id"]] == letter
    fetched = (await client.get(f"/api/v1/complaints/{report['tracking_id']}", headers=AUTH)).json()
    assert sorted(fetched["attachments"]) == sorted(report["attachments"])
    assert count_rows(engine, Report) == 1


async def test_an_attachment_cannot_be_reused_on_another_report(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    photo = (await upload(client, PNG)).json()
    await create_report(client, attachments=[photo["id"]])
    response = await client.post(
        "/api/v1/complaints", json=complaint_body(attachments=[photo["id"]]), headers=AUTH
    )
    assert response.status_code == 422
    body = response.json()
    assert f"attachment {photo['id']} belongs to another report" in body["message"]
    assert count_rows(engine, Report) == 1


async def test_an_attachment_listed_twice_is_refused(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    photo = (await upload(client, PNG)).json()
    response = await client.post(
        "/api/v1/complaints",
        json=complaint_body(attachments=[photo["id"], photo["id"]]),
        headers=AUTH,
    )
    assert response.status_code == 422
    assert "listed twice" in response.json()["message"]
    assert count_rows(engine, Report) == 0


async def test_officers_download_only_their_agencys_attachments(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    add_user(engine, "petugas_pu", "sandi-petugas-pu", "officer", "DBMSDA")
    add_user(engine, "petugas_lh", "sandi-petugas-lh", "officer", "DLHK")
    roads = await login(client, "petugas_pu", "sandi-petugas-pu")
    waste = await login(client, "petugas_lh", "sandi-petugas-lh")
    photo = (await upload(client, PNG)).json()
    # Not on any report yet: no officer may see it.
    assert (await client.get(photo["url"], headers=roads)).status_code == 404
    await create_report(client, attachments=[photo["id"]])  # a DBMSDA report
    own = await client.get(photo["url"], headers=roads)
    assert own.status_code == 200
    assert own.content == PNG
    other = await client.get(photo["url"], headers=waste)
    assert other.status_code == 404
    assert other.json()["error"] == "not_found"
