"""A small typed client of the complaint backend, on an injected `httpx.AsyncClient`.

Actions catch the exceptions below and turn them into polite replies.
"""

from __future__ import annotations

from typing import Any

import httpx

from lapor_common.logs import attach_request_id

#: Timeouts for a conversation turn: the citizen must hear back within 5 seconds.
DEFAULT_TIMEOUT = httpx.Timeout(4.0, connect=2.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)
#: 4xx answers that say nothing about the report (credentials, rate limits): the backend
#: counts as unavailable, so kept reports are retried instead of abandoned.
NOT_ABOUT_THE_REPORT = frozenset({401, 403, 408, 429})


class BackendError(Exception):
    """Base of every error talking to the backend."""


class BackendUnavailable(BackendError):  # noqa: N818 - reads as a state, like the docs' example
    """The backend could not be reached, timed out, failed on its side (5xx), or refused
    the caller rather than the report (401, 403, 408, 429)."""


class ComplaintRejected(BackendError):  # noqa: N818
    """The backend refused the report's content (4xx); `message` says why."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class ReportNotFound(BackendError):  # noqa: N818
    """No report has this tracking ID."""


class FollowRefused(BackendError):  # noqa: N818
    """The report cannot be followed (HTTP 409): the chat filed it itself, or it was
    merged or is no longer open; `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackendClient:
    """Calls the backend's JSON API with the service token."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def create_complaint(self, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """File a report; a retry with the same key returns the first result."""
        headers = {**self._headers, "Idempotency-Key": idempotency_key}
        response = await self._send("POST", "/api/v1/complaints", json=body, headers=headers)
        if response.status_code == 404:  # no such endpoint (wrong URL, proxy): not the report
            raise BackendUnavailable(f"POST /api/v1/complaints: HTTP {response.status_code}")
        return self._json(response)

    async def request_receipt(self, tracking_id: str) -> None:
        """Ask the backend's notifier to send the reporter their tracking ID."""
        response = await self._send("POST", f"/api/v1/complaints/{tracking_id}/receipt")
        self._json(response)

    async def get_complaint(self, tracking_id: str) -> dict[str, Any]:
        """One report, with its reporter (the service token sees it)."""
        response = await self._send("GET", f"/api/v1/complaints/{tracking_id}")
        if response.status_code == 404:
            raise ReportNotFound(tracking_id)
        return self._json(response)

    async def list_reports_of_chat(self, chat_id: str, limit: int = 5) -> list[dict[str, Any]]:
        """The newest reports filed from `chat_id`."""
        params: dict[str, str | int] = {"reporter_chat_id": chat_id, "per_page": limit}
        response = await self._send("GET", "/api/v1/complaints", params=params)
        items: list[dict[str, Any]] = self._json(response)["items"]
        return items

    async def send_feedback(
        self,
        tracking_id: str,
        chat_id: str,
        *,
        fixed: bool | None = None,
        rating: int | None = None,
    ) -> dict[str, Any]:
        """The reporter's word on a resolved report: fixed or not (reopens), and a rating."""
        body: dict[str, Any] = {"chat_id": chat_id, "fixed": fixed, "rating": rating}
        # Here a 403 means "not the reporter's chat", not a credentials problem.
        response = await self._send(
            "POST",
            f"/api/v1/complaints/{tracking_id}/feedback",
            json=body,
            about_the_report=frozenset({403}),
        )
        return self._json(response)

    async def set_notifications(self, chat_id: str, enabled: bool) -> None:
        """Turn status updates to `chat_id` off or back on."""
        response = await self._send(
            "PUT", f"/api/v1/notification-preferences/{chat_id}", json={"enabled": enabled}
        )
        self._json(response)

    async def nearby_complaints(
        self, params: dict[str, str | int | float], timeout: float
    ) -> list[dict[str, Any]]:
        """Open reports near a place (`GET /complaints/nearby`), nearest first, within
        `timeout` seconds: the duplicate check must never hold up a turn."""
        response = await self._send(
            "GET", "/api/v1/complaints/nearby", params=params, timeout=httpx.Timeout(timeout)
        )
        if response.status_code == 404:  # an old backend without the endpoint
            raise BackendUnavailable(f"GET /api/v1/complaints/nearby: HTTP {response.status_code}")
        data: Any = self._json_any(response)
        items = data.get("items") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise BackendUnavailable("GET /api/v1/complaints/nearby: not a list")
        return [item for item in items if isinstance(item, dict)]

    async def follow_complaint(self, tracking_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Make a citizen a follower of a report (their details added to its thread).

        Raises `FollowRefused` when the chat is its reporter or the report is not open.
        """
        response = await self._send(
            "POST", f"/api/v1/complaints/{tracking_id}/followers", json=body
        )
        if response.status_code == 409:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            raise FollowRefused(message)
        return self._json(response)

    async def add_to_thread(
        self, tracking_id: str, chat_id: str, text: str, attachments: list[str], kind: str
    ) -> dict[str, Any]:
        """The citizen's answer or added information (`kind` "answer" | "info") on a
        report's thread. `ComplaintRejected` 403: not the reporter's chat; 409: the
        report is closed; 422: nothing usable (an attachment already used)."""
        body = {"chat_id": chat_id, "text": text, "attachments": attachments, "kind": kind}
        response = await self._send(
            "POST",
            f"/api/v1/complaints/{tracking_id}/thread",
            json=body,
            about_the_report=frozenset({403}),
        )
        return self._json(response)

    async def reports_waiting_for_answer(self, chat_id: str) -> list[dict[str, Any]]:
        """The chat's reports with an officer's question still open, newest first."""
        params: dict[str, str | int] = {
            "reporter_chat_id": chat_id,
            "waiting_for_reporter": "true",
            "per_page": 10,
        }
        response = await self._send("GET", "/api/v1/complaints", params=params)
        items: list[dict[str, Any]] = self._json(response)["items"]
        return items

    async def _send(
        self,
        method: str,
        path: str,
        *,
        about_the_report: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send; 5xx, auth and rate-limit answers mean "unavailable" (but `about_the_report`)."""
        kwargs.setdefault("headers", self._headers)
        try:
            response = await self._http.request(method, f"{self._base}{path}", **kwargs)
        except httpx.TransportError as exc:  # connect errors and timeouts
            raise BackendUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        unavailable = NOT_ABOUT_THE_REPORT - about_the_report
        if response.status_code >= 500 or response.status_code in unavailable:
            raise BackendUnavailable(f"{method} {path}: HTTP {response.status_code}")
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 404:
            raise ReportNotFound(response.request.url.path)
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            raise ComplaintRejected(message, response.status_code)
        data: dict[str, Any] = response.json()
        return data

    @classmethod
    def _json_any(cls, response: httpx.Response) -> Any:
        """The JSON of a successful answer, whatever its shape (errors as in `_json`)."""
        if response.status_code >= 400:
            cls._json(response)  # raises
        try:
            return response.json()
        except ValueError as exc:
            raise BackendUnavailable(f"{response.request.url.path}: not JSON") from exc


def make_http_client(
    timeout: httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The shared HTTP client of the action server (one per process, closed at shutdown)."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        limits=DEFAULT_LIMITS,
        event_hooks={"request": [attach_request_id]},  # the turn's ID to the backend's logs
    )
