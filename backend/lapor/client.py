"""A typed client of the SP4N-LAPOR! v3 integration API (through the SPLP gateway).

Synchronous `httpx.Client`: the bridge runs in a background thread of the backend
(like `backend.publisher`) next to the synchronous SQLAlchemy sessions it updates, so
a slow LAPOR! never occupies the API's event loop or its request threads, and one
thread forwarding one report at a time needs no async machinery.

Paths and fields are those of `reference/lapor_v3.md` (read from public client code
and to be confirmed): every path is appended to `LAPOR_BASE_URL`, and every call
carries `Authorization: Bearer <LAPOR_AUTH_SECRET>` and `token: <LAPOR_TOKEN>`.
Each call is logged with its method, path, status and duration, never a body (they
hold citizens' names, phone numbers and complaints).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import httpx

from backend.lapor.errors import (
    LaporAuthError,
    LaporError,
    LaporMalformed,
    LaporRejected,
    LaporUnavailable,
)

logger = logging.getLogger(__name__)

#: Connect quickly or give up; LAPOR! may take a while to answer a create.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
DEFAULT_LIMITS: Final = httpx.Limits(max_connections=8, max_keepalive_connections=4)
#: Statuses taken to mean "not processed, try again" (the gateway's own refusals).
_NOT_PROCESSED_STATUSES: Final = frozenset({429, 503})
_MAX_MESSAGE_CHARS: Final = 300
#: Follow-up pages read at most (a loop guard against a `next_page_url` that repeats).
MAX_FOLLOWUP_PAGES: Final = 200

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class UploadFile:
    """One attachment to upload."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class UploadedFiles:
    """The LAPOR! ids of uploaded attachments."""

    doc_ids: tuple[str, ...]
    image_ids: tuple[str, ...]

    @property
    def all_ids(self) -> tuple[str, ...]:
        """Every id, images first (the order `attachments` lists them in)."""
        return self.image_ids + self.doc_ids


@dataclass(frozen=True)
class StatusLog:
    """One entry of a complaint's status log."""

    note: str | None
    timestamp: str | None


@dataclass(frozen=True)
class ComplaintDetail:
    """`GET /complaints/{id}/complaint`."""

    complaint_id: str
    status_code: str | None
    status_name: str | None
    disposition_id: str | None
    disposition_name: str | None
    status_logs: tuple[StatusLog, ...]
    raw: JSONDict = field(repr=False, compare=False)


@dataclass(frozen=True)
class FollowUp:
    """One tindak lanjut of a complaint."""

    content: str
    created_at: str | None
    institution_from_name: str | None
    institution_to_name: str | None
    template_code: str | None
    template_content: str | None
    attachments: tuple[Any, ...]


@dataclass(frozen=True)
class FollowUpPage:
    """One page of follow-ups and the number of the next page, if any."""

    items: tuple[FollowUp, ...]
    next_page: int | None


@dataclass(frozen=True)
class NewFollowUp:
    """The fields of `POST /complaints/followup/add`."""

    complaint_id: str
    content: str
    user_id: str | None = None
    institution_from_id: str | None = None
    institution_to_id: str | None = None
    template_code: str | None = None
    rating: int | None = None
    is_secret: bool = False


@dataclass(frozen=True)
class Institution:
    """An institution of LAPOR!'s master list."""

    id: str
    name: str


@dataclass(frozen=True)
class Template:
    """A reply template of LAPOR!'s master list."""

    code: str
    content: str


class LaporClient:
    """Calls of the LAPOR! v3 API; raises the errors of `backend.lapor.errors`."""

    def __init__(
        self,
        base_url: str,
        auth_secret: str,
        token: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {auth_secret}", "token": token},
            timeout=timeout,
            limits=limits,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> LaporClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- calls -----------------------------------------------------------------

    def upload_attachments(self, files: Sequence[UploadFile]) -> UploadedFiles:
        """`POST /complaints/complaint/file`: ids from `results.docs[]` and `results.images[]`."""
        multipart = [("attachments[]", (f.filename, f.content, f.content_type)) for f in files]
        results = _results(self._request("POST", "/complaints/complaint/file", files=multipart))
        return UploadedFiles(
            doc_ids=_ids(results.get("docs")),
            image_ids=_ids(results.get("images")),
        )

    def create_report(self, report: Mapping[str, Any]) -> str:
        """`POST /complaints/complaint`; the new complaint id, from either answer form."""
        answer = self._request("POST", "/complaints/complaint", json=dict(report))
        complaint_id = answer.get("complaint_id")
        if complaint_id is None:
            results = answer.get("results")
            complaint = results.get("complaint") if isinstance(results, dict) else None
            complaint_id = complaint.get("id") if isinstance(complaint, dict) else None
        if not isinstance(complaint_id, (str, int)) or isinstance(complaint_id, bool):
            raise LaporMalformed("the create answer has no complaint id")
        if str(complaint_id).strip() == "":
            raise LaporMalformed("the create answer has an empty complaint id")
        return str(complaint_id)

    def get_complaint(self, complaint_id: str) -> ComplaintDetail:
        """`GET /complaints/{id}/complaint`: status, disposition and status log."""
        results = _results(self._request("GET", f"/complaints/{_segment(complaint_id)}/complaint"))
        data = results.get("data")
        if not isinstance(data, dict):
            raise LaporMalformed("the detail answer has no results.data")
        logs = data.get("status_logs") or []
        if not isinstance(logs, list):
            raise LaporMalformed("status_logs is not a list")
        return ComplaintDetail(
            complaint_id=complaint_id,
            status_code=_text(data.get("status_code")),
            status_name=_text(data.get("status_name")),
            disposition_id=_text(data.get("disposition_id")),
            disposition_name=_text(data.get("disposition_name")),
            status_logs=tuple(
                StatusLog(note=_text(log.get("note")), timestamp=_text(log.get("timestamp")))
                for log in logs
                if isinstance(log, dict)
            ),
            raw=results,
        )

    def followup_page(self, complaint_id: str, page: int = 1) -> FollowUpPage:
        """`GET /complaints/{id}/followups?page=N`."""
        results = _results(
            self._request(
                "GET", f"/complaints/{_segment(complaint_id)}/followups", params={"page": page}
            )
        )
        data = results.get("data")
        if not isinstance(data, list):
            raise LaporMalformed("the follow-up answer has no results.data list")
        items = tuple(_followup(item) for item in data)
        return FollowUpPage(items=items, next_page=_next_page(results.get("next_page_url"), page))

    def followups(self, complaint_id: str) -> Iterator[FollowUp]:
        """Every follow-up, oldest page first, following `results.next_page_url`."""
        page: int | None = 1
        seen = 0
        while page is not None and seen < MAX_FOLLOWUP_PAGES:
            answer = self.followup_page(complaint_id, page)
            yield from answer.items
            page = answer.next_page
            seen += 1

    def add_followup(self, followup: NewFollowUp) -> JSONDict:
        """`POST /complaints/followup/add` (multipart form)."""
        fields = {
            "complaint_id": followup.complaint_id,
            "content": followup.content,
            "is_secret": "1" if followup.is_secret else "0",
        }
        optional = {
            "user_id": followup.user_id,
            "institution_from_id": followup.institution_from_id,
            "institution_to_id": followup.institution_to_id,
            "template_code": followup.template_code,
            "rating": None if followup.rating is None else str(followup.rating),
        }
        fields.update({k: v for k, v in optional.items() if v is not None})
        # A multipart body even without files, as the reference describes the call.
        files = [(name, (None, value)) for name, value in fields.items()]
        return self._request("POST", "/complaints/followup/add", files=files)

    def institutions(self) -> list[Institution]:
        """`GET /masters/institutions/external?page_size=1000`."""
        answer = self._request("GET", "/masters/institutions/external", params={"page_size": 1000})
        rows = _list_of(answer)
        institutions = []
        for row in rows:
            ident, name = row.get("id"), row.get("name") or row.get("institution_name")
            if ident is None or not isinstance(name, str):
                raise LaporMalformed("an institution has no id or name")
            institutions.append(Institution(id=str(ident), name=name))
        return institutions

    def templates(self) -> list[Template]:
        """`GET /masters/templates`."""
        rows = _list_of(self._request("GET", "/masters/templates"))
        return [
            Template(
                code=str(row.get("code") or row.get("template_code") or ""),
                content=str(row.get("content") or row.get("template_content") or ""),
            )
            for row in rows
        ]

    # --- transport ---------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> JSONDict:
        """One call: the JSON object of a 2xx answer, or a `LaporError`."""
        started = time.monotonic()
        status: int | str = "-"
        try:
            try:
                response = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                status = type(exc).__name__
                raise LaporUnavailable(f"LAPOR! unreachable ({status})") from exc
            except httpx.TimeoutException as exc:
                status = type(exc).__name__
                raise LaporUnavailable(
                    f"LAPOR! did not answer in time ({status})", maybe_processed=True
                ) from exc
            except httpx.TransportError as exc:
                status = type(exc).__name__
                raise LaporUnavailable(
                    f"the connection to LAPOR! broke ({status})", maybe_processed=True
                ) from exc
            status = response.status_code
            return _answer(response)
        finally:
            logger.info(
                "LAPOR! %s %s -> %s in %.0f ms",
                method,
                path,
                status,
                (time.monotonic() - started) * 1000,
            )


def _answer(response: httpx.Response) -> JSONDict:
    status = response.status_code
    if status >= 500 or status in _NOT_PROCESSED_STATUSES:
        raise LaporUnavailable(
            f"LAPOR! answered {status}: {_message(response)}",
            status=status,
            maybe_processed=status not in _NOT_PROCESSED_STATUSES,
        )
    if status in (401, 403):
        raise LaporAuthError(
            f"LAPOR! refused our credentials ({status}): {_message(response)}", status=status
        )
    if status >= 400:
        raise LaporRejected(
            f"LAPOR! refused the request ({status}): {_message(response)}", status=status
        )
    if status >= 300:
        raise LaporMalformed(f"LAPOR! answered {status} (a redirect)", status=status)
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LaporMalformed(
            f"LAPOR! answered {status} with a body that is not JSON", status=status
        ) from exc
    if not isinstance(body, dict):
        raise LaporMalformed(
            f"LAPOR! answered {status} with JSON that is not an object", status=status
        )
    return body


def _message(response: httpx.Response) -> str:
    """The error message of an answer: a JSON `message`/`error`, or the start of the text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text.strip()[:_MAX_MESSAGE_CHARS] or response.reason_phrase
    for source in (body, body.get("results") if isinstance(body, dict) else None):
        if isinstance(source, dict):
            for key in ("message", "error", "errors", "msg"):
                value = source.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()[:_MAX_MESSAGE_CHARS]
                if isinstance(value, (dict, list)) and value:
                    return json.dumps(value, ensure_ascii=False)[:_MAX_MESSAGE_CHARS]
    return response.reason_phrase


def _results(answer: JSONDict) -> JSONDict:
    results = answer.get("results")
    if not isinstance(results, dict):
        raise LaporMalformed("the answer has no results object")
    return results


def _list_of(answer: JSONDict) -> list[JSONDict]:
    """The rows of a master-data answer: `results.data`, `results` or `data` (unconfirmed)."""
    results = answer.get("results")
    candidates = [
        results.get("data") if isinstance(results, dict) else None,
        results,
        answer.get("data"),
    ]
    for candidate in candidates:
        if isinstance(candidate, list):
            if not all(isinstance(row, dict) for row in candidate):
                raise LaporMalformed("a master-data row is not an object")
            return candidate
    raise LaporMalformed("the master-data answer has no list")


def _ids(items: object) -> tuple[str, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise LaporMalformed("uploaded files are not a list")
    ids = []
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        if ident is None:
            raise LaporMalformed("an uploaded file has no id")
        ids.append(str(ident))
    return tuple(ids)


def _followup(item: object) -> FollowUp:
    if not isinstance(item, dict) or not isinstance(item.get("content", ""), (str, type(None))):
        raise LaporMalformed("a follow-up is not an object with a text content")
    attachments = item.get("attachments") or ()
    return FollowUp(
        content=item.get("content") or "",
        created_at=_text(item.get("created_at")),
        institution_from_name=_text(item.get("institution_from_name")),
        institution_to_name=_text(item.get("institution_to_name")),
        template_code=_text(item.get("template_code")),
        template_content=_text(item.get("template_content")),
        attachments=tuple(attachments) if isinstance(attachments, list) else (),
    )


def _next_page(url: object, current: int) -> int | None:
    """The page number of `next_page_url` (we request it on our own base URL and auth)."""
    if not url:
        return None
    if not isinstance(url, str):
        raise LaporMalformed("next_page_url is not a string")
    values = parse_qs(urlsplit(url).query).get("page")
    try:
        page = int(values[0]) if values else current + 1
    except ValueError as exc:
        raise LaporMalformed("next_page_url has no page number") from exc
    return page if page > current else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _segment(value: str) -> str:
    """A path segment; a complaint id is LAPOR!'s, but never let it change the path."""
    if not value or "/" in value or "?" in value or "#" in value:
        raise LaporError(f"not a LAPOR! complaint id: {value!r}")
    return value
