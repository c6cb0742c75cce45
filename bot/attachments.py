"""Uploading the files citizens send to the backend's attachment API."""

from __future__ import annotations

import logging

import httpx

from lapor_common.logs import attach_request_id

logger = logging.getLogger(__name__)


class AttachmentError(Exception):
    """A file could not be stored."""


class AttachmentRejectedError(AttachmentError):
    """The backend refused the file (too large, a type it does not accept)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AttachmentStoreUnavailableError(AttachmentError):
    """The backend is down, too slow or refused our credentials."""


class AttachmentUploader:
    """Stores files through `POST /api/v1/attachments` and returns their IDs."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/api/v1/attachments"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def upload(self, content: bytes, filename: str, content_type: str | None) -> str:
        """Store one file; returns its attachment ID.

        Raises:
            AttachmentRejectedError: the file is too large or of a type the backend refuses.
            AttachmentStoreUnavailableError: the backend cannot take it now.
        """
        files = {"file": (filename, content, content_type or "application/octet-stream")}
        try:
            response = await self._http.post(self._url, files=files, headers=self._headers)
        except httpx.HTTPError as exc:
            raise AttachmentStoreUnavailableError(str(exc) or type(exc).__name__) from exc
        if response.status_code == 201:
            return str(response.json()["id"])
        if response.status_code in (400, 413, 415, 422):
            raise AttachmentRejectedError(response.status_code, _message(response))
        logger.warning("attachment upload failed: HTTP %s", response.status_code)
        raise AttachmentStoreUnavailableError(f"HTTP {response.status_code}")


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return response.text


def backend_http_client() -> httpx.AsyncClient:
    """An HTTP client for the backend: uploads may take a while on a slow disk."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=3.0),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        event_hooks={"request": [attach_request_id]},
    )
