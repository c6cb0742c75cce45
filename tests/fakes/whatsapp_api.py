"""A local fake of Meta's Graph API for the WhatsApp Business Cloud API.

It serves the endpoints the gateway uses, in Meta's wire format, on a free 127.0.0.1
port in a background thread (so sync and async tests can use it alike)::

    with FakeGraphAPI() as graph:
        settings = WhatsAppSettings(api_base_url=graph.base_url, ...)

Endpoints (the base URL ends in the pinned version, like ``https://graph.facebook.com/v21.0``):

* ``POST /{version}/{phone-number-id}/messages``: sends ``text``, ``interactive``
  (``button`` and ``list``), ``image`` and ``template`` messages, and marks messages read
  (``{"status": "read", "message_id": ...}`` with an optional ``typing_indicator``). A send
  answers ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
  "messages": [{"id": "wamid..."}]}``; a read receipt answers ``{"success": true}``.
  Bodies are checked the way Meta checks them (text up to 4,096 characters; one to
  three reply buttons with unique IDs up to 256 and titles up to 20 characters and a
  body up to 1,024; lists with a button label up to 20, at most ten rows in all, row IDs
  up to 200, titles up to 24, descriptions up to 72 and section titles when there are
  several sections; templates that exist in the language with the right number of
  parameters, and no line breaks in parameters).
* ``GET /{version}/{media-id}``: ``{"messaging_product", "url", "mime_type", "sha256",
  "file_size", "id"}`` of a file added with :meth:`FakeGraphAPI.add_media`.
* ``GET /lookaside/whatsapp_business/attachments/?mid=...``: the file's bytes, only with
  the bearer token (as Meta's media URLs are).
* ``GET /{version}/{phone-number-id}``: the business number's profile.

Every request needs ``Authorization: Bearer <access_token>``; without it (or with another
token) the answer is Meta's 401 with code 190. Errors use Meta's body::

    {"error": {"message", "type", "code", "error_subcode"?, "error_data":
    {"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}

:meth:`FakeGraphAPI.fail_next` injects any error code (190, 130429, 131056, 131047,
131026, 131000, 131009, 100, ...) for the next matching requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tests.fakes.server import ThreadedServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

JSONDict = dict[str, Any]

VERSION = "v21.0"
ACCESS_TOKEN = "EAAJB-fake-access-token"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "15550783881"

#: Endpoint names under which requests are recorded (and faults matched).
MESSAGES = "messages"
READ = "read"
MEDIA_INFO = "media_info"
MEDIA_DOWNLOAD = "media_download"
PHONE_NUMBER = "phone_number"
ENDPOINTS = (MESSAGES, READ, MEDIA_INFO, MEDIA_DOWNLOAD, PHONE_NUMBER)

MAX_TEXT = 4096
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_BUTTON_BODY = 1024
MAX_LIST_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_ROW_ID = 200
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BODY = 4096

#: Meta's errors: code -> (HTTP status, message, type, details, subcode).
ERRORS: dict[int, tuple[int, str, str, str, int | None]] = {
    190: (
        401,
        "Error validating access token: Session has expired on Friday, 02-Aug-24 "
        "10:00:00 PDT. The current time is Friday, 02-Aug-24 11:00:00 PDT.",
        "OAuthException",
        "",
        463,
    ),
    100: (400, "(#100) Invalid parameter", "OAuthException", "Invalid parameter", None),
    130429: (
        400,
        "(#130429) Rate limit hit",
        "OAuthException",
        "Cloud API message throughput has been reached.",
        None,
    ),
    131000: (500, "(#131000) Something went wrong", "OAuthException", "Something went wrong", None),
    131008: (
        400,
        "(#131008) Required parameter is missing",
        "OAuthException",
        "Required parameter is missing",
        None,
    ),
    131009: (
        400,
        "(#131009) Parameter value is not valid",
        "OAuthException",
        "Parameter value is not valid",
        None,
    ),
    131026: (
        400,
        "(#131026) Message undeliverable",
        "OAuthException",
        "Message Undeliverable.",
        None,
    ),
    131047: (
        400,
        "(#131047) Re-engagement message",
        "OAuthException",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
        None,
    ),
    131056: (
        400,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "OAuthException",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
        None,
    ),
    132000: (
        400,
        "(#132000) Number of parameters does not match the expected number of params",
        "OAuthException",
        "body: number of localizable_params does not match the expected number of params",
        None,
    ),
    132001: (
        400,
        "(#132001) Template name does not exist in the translation",
        "OAuthException",
        "template name does not exist in the translation",
        None,
    ),
    132018: (
        400,
        "(#132018) There was an issue with the parameters in your template.",
        "OAuthException",
        "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
        None,
    ),
}


def error_body(code: int, details: str | None = None) -> tuple[int, JSONDict]:
    """Meta's HTTP status and error body for `code`.

    Args:
        code: A Graph API error code; codes not in :data:`ERRORS` get HTTP 400 and a
            generic message.
        details: Replaces the default ``error_data.details``.

    Returns:
        ``(http_status, {"error": {...}})``.
    """
    status, message, kind, default_details, subcode = ERRORS.get(
        code, (400, f"(#{code}) Error", "OAuthException", "Error", None)
    )
    error: JSONDict = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    text = default_details if details is None else details
    if text:
        error["error_data"] = {"messaging_product": "whatsapp", "details": text}
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
    return status, {"error": error}


class _GraphError(Exception):
    def __init__(self, code: int, details: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def new_wamid() -> str:
    """A message ID in WhatsApp's shape (``wamid.`` and base64)."""
    return "wamid." + base64.b64encode(b"\x1c\x18\x0d" + secrets.token_bytes(30)).decode()


@dataclass(frozen=True)
class GraphRequest:
    """One request the fake received.

    Attributes:
        endpoint: One of :data:`ENDPOINTS`, or ``"unknown"``.
        http_method: ``"GET"`` or ``"POST"``.
        path: The URL path.
        body: The JSON body (``None`` for GETs or unreadable bodies).
        authorized: Whether it carried the right bearer token.
        status: The HTTP status answered.
        response: The JSON answered (``None`` for file bytes).
        at: ``time.monotonic()`` on arrival.
    """

    endpoint: str
    http_method: str
    path: str
    body: JSONDict | None
    authorized: bool
    status: int
    response: JSONDict | None
    at: float

    @property
    def ok(self) -> bool:
        """Whether it was answered with 2xx."""
        return 200 <= self.status < 300

    @property
    def to(self) -> str | None:
        """The recipient of a message send."""
        return None if self.body is None else self.body.get("to")

    @property
    def error_code(self) -> int | None:
        """The Graph error code answered, if any."""
        if self.response is None or "error" not in self.response:
            return None
        return int(self.response["error"]["code"])


@dataclass
class _Fault:
    endpoint: str
    code: int
    to: str | None
    remaining: int
    details: str | None


@dataclass
class _Media:
    media_id: str
    content: bytes
    mime_type: str
    declared_size: int | None
    key: str = field(default_factory=lambda: secrets.token_hex(8))


class FakeGraphAPI:
    """The Graph API of one business phone number, recording every request.

    Args:
        access_token: The only token accepted.
        phone_number_id: The business phone number ID in the URL path.
        version: The API version in the URL path.
    """

    def __init__(
        self,
        access_token: str = ACCESS_TOKEN,
        phone_number_id: str = PHONE_NUMBER_ID,
        version: str = VERSION,
    ) -> None:
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.version = version
        #: Template name -> {language code: number of body parameters (None: any)}.
        self.templates: dict[str, dict[str, int | None]] = {"status_laporan": {"id": None}}
        self._lock = threading.RLock()
        self._records: list[GraphRequest] = []
        self._faults: list[_Fault] = []
        self._media: dict[str, _Media] = {}
        app = Starlette(
            routes=[
                Route(
                    "/lookaside/whatsapp_business/attachments/",
                    self._download,
                    methods=["GET"],
                ),
                Route("/{version}/{node}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{node}", self._node, methods=["GET"]),
            ]
        )
        self._server = ThreadedServer(app, "fake-graph-api")

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeGraphAPI:
        """Serve in a background thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> FakeGraphAPI:
        """Start serving."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()

    @property
    def server_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._server.base_url

    @property
    def base_url(self) -> str:
        """The Graph API base URL with its version (``WHATSAPP_API_BASE_URL``)."""
        return f"{self.server_url}/{self.version}"

    # -- scripting ------------------------------------------------------------------------

    def add_media(
        self,
        media_id: str,
        content: bytes,
        mime_type: str,
        *,
        declared_size: int | None = None,
    ) -> str:
        """Make a file available as media `media_id`; returns its download URL.

        Args:
            media_id: The media ID (as sent in a webhook's ``image.id`` etc.).
            content: The bytes served.
            mime_type: The ``mime_type`` reported.
            declared_size: The ``file_size`` reported, when it should differ from the
                real size (to test limits without big payloads).
        """
        media = _Media(media_id, bytes(content), mime_type, declared_size)
        with self._lock:
            self._media[media_id] = media
        return self._media_url(media)

    def add_template(self, name: str, language: str, parameters: int | None = None) -> None:
        """Approve a template in a language, with its number of body parameters."""
        with self._lock:
            self.templates.setdefault(name, {})[language] = parameters

    def fail_next(
        self,
        code: int,
        *,
        endpoint: str = MESSAGES,
        to: str | None = None,
        times: int = 1,
        details: str | None = None,
    ) -> None:
        """Answer the next matching request(s) with Meta's error `code`.

        Args:
            code: The Graph API error code (see :data:`ERRORS`).
            endpoint: One of :data:`ENDPOINTS`.
            to: Only message sends to this recipient.
            times: How many requests fail.
            details: Replaces the default ``error_data.details``.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; use one of {ENDPOINTS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_Fault(endpoint, code, to, times, details))

    # -- inspection -----------------------------------------------------------------------

    def requests(
        self,
        endpoint: str | None = None,
        *,
        to: str | None = None,
        successful: bool | None = None,
    ) -> list[GraphRequest]:
        """Recorded requests in order of arrival, filtered."""
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (endpoint is None or r.endpoint == endpoint)
            and (to is None or r.to == to)
            and (successful is None or r.ok == successful)
        ]

    def sent(self, to: str | None = None, message_type: str | None = None) -> list[JSONDict]:
        """Bodies of messages accepted for sending, in order."""
        return [
            r.body
            for r in self.requests(MESSAGES, to=to, successful=True)
            if r.body is not None and (message_type is None or r.body.get("type") == message_type)
        ]

    def sent_texts(self, to: str) -> list[str]:
        """The bodies of text messages sent to `to`, in order."""
        return [str(body["text"]["body"]) for body in self.sent(to, "text")]

    def sent_ids(self, to: str | None = None) -> list[str]:
        """The wamids given to accepted messages, in order."""
        return [
            str(r.response["messages"][0]["id"])
            for r in self.requests(MESSAGES, to=to, successful=True)
            if r.response is not None
        ]

    def read_receipts(self) -> list[JSONDict]:
        """Bodies of accepted read receipts, in order."""
        return [r.body for r in self.requests(READ, successful=True) if r.body is not None]

    def wait_for(self, predicate: Callable[[FakeGraphAPI], object], timeout: float = 10.0) -> None:
        """Block until `predicate(self)` is truthy.

        Raises:
            AssertionError: On timeout, with the latest requests.
        """
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                latest = [(r.endpoint, r.status, r.body) for r in self.requests()[-8:]]
                raise AssertionError(f"condition not met in {timeout} s; latest: {latest}")
            time.sleep(0.02)

    # -- serving --------------------------------------------------------------------------

    def _media_url(self, media: _Media) -> str:
        return (
            f"{self.server_url}/lookaside/whatsapp_business/attachments/"
            f"?mid={media.media_id}&ext={media.key}&hash=AT{media.key[::-1]}"
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return secrets.compare_digest(header.encode(), f"Bearer {self.access_token}".encode())

    def _take_fault(self, endpoint: str, to: str | None) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint == endpoint and (fault.to is None or fault.to == to):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(
        self,
        request: Request,
        endpoint: str,
        body: JSONDict | None,
        authorized: bool,
        status: int,
        response: JSONDict | None,
        at: float,
    ) -> None:
        record = GraphRequest(
            endpoint, request.method, request.url.path, body, authorized, status, response, at
        )
        with self._lock:
            self._records.append(record)

    def _answer(
        self,
        request: Request,
        endpoint: str,
        body: JSONDict | None,
        at: float,
        handler: Callable[[], JSONDict],
    ) -> JSONResponse:
        authorized = self._authorized(request)
        try:
            if not authorized:
                raise _GraphError(190)
            fault = self._take_fault(endpoint, None if body is None else body.get("to"))
            if fault is not None:
                raise _GraphError(fault.code, fault.details)
            status, answer = 200, handler()
        except _GraphError as exc:
            status, answer = error_body(exc.code, exc.details)
        self._record(request, endpoint, body, authorized, status, answer, at)
        return JSONResponse(answer, status_code=status)

    async def _messages(self, request: Request) -> Response:
        at = time.monotonic()
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            status, answer = error_body(100, "Request body is not a JSON object")
            self._record(request, MESSAGES, None, self._authorized(request), status, answer, at)
            return JSONResponse(answer, status_code=status)
        endpoint = READ if "status" in body else MESSAGES

        def handle() -> JSONDict:
            if request.path_params["version"] != self.version:
                raise _GraphError(100, f"Unknown API version {request.path_params['version']}")
            if request.path_params["node"] != self.phone_number_id:
                raise _GraphError(100, "Unsupported post request: unknown phone number ID")
            if endpoint == READ:
                return self._read(body)
            return self._send(body)

        return self._answer(request, endpoint, body, at, handle)

    def _read(self, body: JSONDict) -> JSONDict:
        if body.get("messaging_product") != "whatsapp":
            raise _GraphError(100, "messaging_product must be whatsapp")
        if body.get("status") != "read" or not str(body.get("message_id", "")).startswith("wamid."):
            raise _GraphError(131009, "message_id must be a received message's wamid")
        typing = body.get("typing_indicator")
        if typing is not None and typing != {"type": "text"}:
            raise _GraphError(131009, "typing_indicator.type must be text")
        return {"success": True}

    def _send(self, body: JSONDict) -> JSONDict:
        if body.get("messaging_product") != "whatsapp":
            raise _GraphError(100, "messaging_product must be whatsapp")
        to = body.get("to")
        if not isinstance(to, str) or not to.lstrip("+").isdigit():
            raise _GraphError(131009, "to must be a phone number or WhatsApp ID")
        kind = body.get("type", "text")
        check = {
            "text": _check_text,
            "interactive": _check_interactive,
            "image": _check_image,
            "template": self._check_template,
        }.get(kind)
        if check is None:
            raise _GraphError(131009, f"unsupported message type {kind!r}")
        content = body.get(kind)
        if not isinstance(content, dict):
            raise _GraphError(131008, f"{kind} object is required")
        check(content)
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
            "messages": [{"id": new_wamid()}],
        }

    def _check_template(self, template: JSONDict) -> None:
        name = template.get("name")
        language = (template.get("language") or {}).get("code")
        with self._lock:
            languages = self.templates.get(str(name), {})
        if language not in languages:
            raise _GraphError(132001, f"template name ({name}) does not exist in {language}")
        params: list[Any] = []
        for component in template.get("components") or []:
            if component.get("type") == "body":
                params.extend(component.get("parameters") or [])
        for param in params:
            text = param.get("text", "")
            if param.get("type") != "text" or not text:
                raise _GraphError(131009, "body parameters must be non-empty text")
            if "\n" in text or "\t" in text or "     " in text:
                raise _GraphError(132018)
        expected = languages[language]
        if expected is not None and expected != len(params):
            raise _GraphError(132000)

    async def _node(self, request: Request) -> Response:
        at = time.monotonic()
        node = request.path_params["node"]
        if node == self.phone_number_id:
            return self._answer(request, PHONE_NUMBER, None, at, self._phone_number)

        def media_info() -> JSONDict:
            with self._lock:
                media = self._media.get(node)
            if media is None:
                raise _GraphError(
                    100,
                    f"Unsupported get request. Object with ID '{node}' does not exist, cannot "
                    "be loaded due to missing permissions, or does not support this operation",
                )
            return {
                "messaging_product": "whatsapp",
                "url": self._media_url(media),
                "mime_type": media.mime_type,
                "sha256": hashlib.sha256(media.content).hexdigest(),
                "file_size": (
                    len(media.content) if media.declared_size is None else media.declared_size
                ),
                "id": media.media_id,
            }

        return self._answer(request, MEDIA_INFO, None, at, media_info)

    def _phone_number(self) -> JSONDict:
        return {
            "verified_name": "LAPOR! Kabupaten Tangerang",
            "display_phone_number": f"+{DISPLAY_PHONE_NUMBER}",
            "id": self.phone_number_id,
            "quality_rating": "GREEN",
        }

    async def _download(self, request: Request) -> Response:
        at = time.monotonic()
        with self._lock:
            media = self._media.get(request.query_params.get("mid", ""))
        authorized = self._authorized(request)
        fault = self._take_fault(MEDIA_DOWNLOAD, None) if authorized else None
        code = 190 if not authorized else fault.code if fault is not None else None
        if code is not None:
            status, answer = error_body(code)
            self._record(request, MEDIA_DOWNLOAD, None, authorized, status, answer, at)
            return JSONResponse(answer, status_code=status)
        if media is None or request.query_params.get("ext") != media.key:
            self._record(request, MEDIA_DOWNLOAD, None, authorized, 404, None, at)
            return Response(status_code=404)
        self._record(request, MEDIA_DOWNLOAD, None, authorized, 200, None, at)
        return Response(media.content, media_type=media.mime_type)


def _check_text(text: JSONDict) -> None:
    body = text.get("body")
    if not isinstance(body, str) or not body:
        raise _GraphError(131008, "text.body is required")
    if len(body) > MAX_TEXT:
        raise _GraphError(131009, f"text.body is longer than {MAX_TEXT} characters")
    if not isinstance(text.get("preview_url", False), bool):
        raise _GraphError(131009, "text.preview_url must be a boolean")


def _check_image(image: JSONDict) -> None:
    if not (image.get("id") or str(image.get("link", "")).startswith(("http://", "https://"))):
        raise _GraphError(131008, "image needs an id or a link")


def _body_text(interactive: JSONDict, limit: int) -> None:
    text = (interactive.get("body") or {}).get("text")
    if not isinstance(text, str) or not text:
        raise _GraphError(131008, "interactive.body.text is required")
    if len(text) > limit:
        raise _GraphError(131009, f"body text is longer than {limit} characters")


def _check_interactive(interactive: JSONDict) -> None:
    kind = interactive.get("type")
    action = interactive.get("action") or {}
    if kind == "button":
        _body_text(interactive, MAX_BUTTON_BODY)
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            raise _GraphError(131009, "Buttons count invalid. Min: 1, Max: 3")
        ids = []
        for button in buttons:
            reply = button.get("reply") or {}
            if button.get("type") != "reply":
                raise _GraphError(131009, "button type must be reply")
            title, reply_id = reply.get("title", ""), reply.get("id", "")
            if not 1 <= len(title) <= MAX_BUTTON_TITLE:
                raise _GraphError(131009, "Button title length invalid. Min length: 1, Max: 20")
            if not 1 <= len(reply_id) <= MAX_BUTTON_ID:
                raise _GraphError(131009, "Button id length invalid. Min length: 1, Max: 256")
            ids.append(reply_id)
        if len(set(ids)) != len(ids):
            raise _GraphError(131009, "Button IDs must be unique")
        return
    if kind == "list":
        _body_text(interactive, MAX_LIST_BODY)
        label = action.get("button", "")
        if not 1 <= len(label) <= MAX_LIST_BUTTON:
            raise _GraphError(131009, "List button text length invalid. Min: 1, Max: 20")
        sections = action.get("sections") or []
        if not 1 <= len(sections) <= 10:
            raise _GraphError(131009, "Sections count invalid. Min: 1, Max: 10")
        rows = [row for section in sections for row in section.get("rows") or []]
        if len(sections) > 1 and not all(s.get("title") for s in sections):
            raise _GraphError(131009, "Section title is required with several sections")
        if not 1 <= len(rows) <= MAX_LIST_ROWS:
            raise _GraphError(131009, "Total row count invalid. Min: 1, Max: 10")
        ids = [row.get("id", "") for row in rows]
        for row in rows:
            if not 1 <= len(row.get("id", "")) <= MAX_ROW_ID:
                raise _GraphError(131009, "Row id length invalid. Min length: 1, Max: 200")
            if not 1 <= len(row.get("title", "")) <= MAX_ROW_TITLE:
                raise _GraphError(131009, "Row title length invalid. Min length: 1, Max: 24")
            if len(row.get("description", "")) > MAX_ROW_DESCRIPTION:
                raise _GraphError(131009, "Row description length invalid. Max length: 72")
        if len(set(ids)) != len(ids):
            raise _GraphError(131009, "Row IDs must be unique")
        return
    raise _GraphError(131009, f"unsupported interactive type {kind!r}")
