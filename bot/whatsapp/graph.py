"""The Graph API client: send messages, mark them read, look up and download media.

Every request carries the access token as a bearer header (never in a URL, never in
a log). Answers are mapped to the typed errors of `bot.whatsapp.errors`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from bot.whatsapp.errors import ErrorDetails, GraphAPIError, error_for, network_error
from bot.whatsapp.messages import Message, envelope, read_receipt

logger = logging.getLogger(__name__)


class MediaTooLargeError(Exception):
    """A media file over the gateway's size limit."""


@dataclass(frozen=True)
class MediaInfo:
    """`GET /{media-id}`: where to download a file (for five minutes) and what it is."""

    media_id: str
    url: str
    mime_type: str = ""
    sha256: str = ""
    file_size: int | None = None


def _file_size(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


class GraphClient:
    """The Cloud API of one business phone number."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, phone_number_id: str, access_token: str
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._messages_url = f"{self._base}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}

    async def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(method, url, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise network_error(exc) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400 or (isinstance(data, dict) and "error" in data):
            raise error_for(response.status_code, data)
        return data

    async def send(self, to: str, message: Message) -> str:
        """Send `message` to the citizen `to` (their WhatsApp ID); returns its `wamid`.

        Raises:
            GraphAPIError: the typed error Meta answered with (or a network error).
        """
        data = await self._call("POST", self._messages_url, envelope(to, message))
        try:
            return str(data["messages"][0]["id"])
        except (TypeError, KeyError, IndexError) as exc:
            raise GraphAPIError(ErrorDetails(0, "no message ID in the answer"), 200) from exc

    async def mark_read(self, message_id: str, typing: bool = False) -> None:
        """Mark a received message (and those before it) as read; show "typing..." too."""
        await self._call("POST", self._messages_url, read_receipt(message_id, typing))

    async def phone_number(self) -> dict[str, Any]:
        """The business number's profile (`display_phone_number`, `quality_rating`, ...)."""
        data = await self._call("GET", self._messages_url.removesuffix("/messages"))
        return data if isinstance(data, dict) else {}

    async def media_info(self, media_id: str) -> MediaInfo:
        """The download URL, type, hash and size of an uploaded or received file."""
        data = await self._call("GET", f"{self._base}/{media_id}")
        if not isinstance(data, dict) or not data.get("url"):
            raise GraphAPIError(ErrorDetails(0, "no media URL in the answer"), 200)
        return MediaInfo(
            media_id=str(data.get("id") or media_id),
            url=str(data["url"]),
            mime_type=str(data.get("mime_type") or ""),
            sha256=str(data.get("sha256") or ""),
            file_size=_file_size(data.get("file_size")),
        )

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes at a media URL (with the token), refusing more than `max_bytes`.

        Redirects are followed (httpx drops the token when one leaves the host).

        Raises:
            MediaTooLargeError: the file is larger than `max_bytes`.
            GraphAPIError: the download failed.
        """
        try:
            async with self._http.stream(
                "GET", url, headers=self._headers, follow_redirects=True
            ) as response:
                if not response.is_success:
                    await response.aread()
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    raise error_for(response.status_code, body)
                declared = _file_size(response.headers.get("content-length"))
                if declared is not None and declared > max_bytes:
                    raise MediaTooLargeError
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content.extend(chunk)
                    if len(content) > max_bytes:
                        raise MediaTooLargeError
                return bytes(content)
        except httpx.HTTPError as exc:
            raise network_error(exc) from exc


def graph_http_client(timeout_seconds: float) -> httpx.AsyncClient:
    """An HTTP client for the Graph API: short connects, bounded pool, no redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=5.0, pool=10.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=False,
    )
