"""A local fake of the Telegram Bot API server that speaks Telegram's real wire format.

The server is a Starlette app served by uvicorn on a free 127.0.0.1 port, in a background
thread with its own event loop, so it serves sync tests and async tests alike without ever
blocking the test's loop. Point any Bot API client at it; for python-telegram-bot::

    with FakeTelegramAPI() as tg:
        bot = telegram.Bot(tg.token, **tg.ptb_bot_kwargs())
        # == Bot(token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot")

Wire format (as core.telegram.org/bots/api and python-telegram-bot 22 use it):

* ``/bot<token>/<method>`` accepts GET and POST; method names are case-insensitive.
  Parameters come from the query string, a JSON body, an url-encoded form or a multipart
  form. python-telegram-bot POSTs ``application/x-www-form-urlencoded`` (``multipart/form-data``
  when uploading), strings as they are and every other value JSON-encoded (``42``, ``true``,
  ``{"inline_keyboard": ...}``). The recorded ``params`` therefore decode JSON objects and
  arrays, turn integer strings into ints for id/offset parameters and ``true``/``false`` into
  bools for flag parameters; free-text parameters (``text``, ``caption``, ...) stay strings.
* Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
  "description": "...", ["parameters": {...}]}`` with the HTTP status equal to ``error_code``.
* ``/file/bot<token>/<file_path>`` serves the bytes of files registered with :meth:`add_file`
  (and of files the bot uploaded with ``sendPhoto``/``sendDocument``).

Methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage,
sendPhoto, sendDocument, sendChatAction, answerCallbackQuery, editMessageText,
editMessageReplyMarkup, deleteMessage, getFile, setMyCommands, getMyCommands,
deleteMyCommands. Anything else is 404 "Not Found", as Telegram answers unknown methods.
Telegram-like checks: empty/over-long text, over-long callback_data (BUTTON_DATA_INVALID),
"message is not modified" on identical edits, HTTPS-only webhooks, 409 on getUpdates while a
webhook is set. An empty inline keyboard (PTB sends ``reply_markup={}``) removes the keyboard.

Rate enforcement (off by default): with ``FakeTelegramAPI(rate_limit=30)`` (or
:meth:`FakeTelegramAPI.enforce_rate_limit`) at most 30 message-sending calls (``send*``
methods except ``sendChatAction``) are accepted in any sliding 1-second window, over all
chats; one more is a violation, answered as Telegram does: 429 ``Too Many Requests: retry
after X`` with ``parameters.retry_after``. :attr:`FakeTelegramAPI.rate_violations` counts
them and :attr:`FakeTelegramAPI.accepted_send_times` lists when accepted sends arrived.

Deliberate simplifications: ``parse_mode`` markup is echoed, not parsed into entities; text
length is checked in UTF-16 code units before any parsing; editing a message the fake never
saw is accepted (the fake makes it up) instead of "message to edit not found"; ``getFile``
reports a ``declared_size`` above 20 MB instead of refusing it ("file is too big").
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import copy
import json
import math
import mimetypes
import re
import socket
import threading
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any

import uvicorn

from tests.fakes.telegram_updates import DEFAULT_TOKEN, bot_sender, bot_user, file_unique_id

with warnings.catch_warnings():
    # Starlette 0.27 imports python-multipart by its old module name, which warns on import.
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    from starlette.applications import Starlette
    from starlette.datastructures import UploadFile
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

JSONDict = dict[str, Any]

#: The pseudo method name under which file downloads are recorded (and can be faulted).
DOWNLOAD_METHOD = "downloadFile"
#: The fault kinds :meth:`FakeTelegramAPI.fail_next` accepts.
FAULT_KINDS = ("retry_after", "forbidden", "bad_request", "server_error", "timeout")
#: ``send*`` methods that are not messages, so never count against the rate limit.
NOT_RATE_LIMITED = frozenset({"sendchataction"})

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# Parameters Telegram types as Integer: integer strings become ints in the recording.
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "cache_time",
    }
)
# Parameters Telegram types as Boolean: "true"/"false" become bools in the recording.
_BOOL_PARAMS = frozenset(
    {
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "show_alert",
        "disable_web_page_preview",
        "allow_sending_without_reply",
    }
)
# Free-text String parameters: never JSON-decoded, even when they look like JSON.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "parse_mode",
        "action",
        "title",
        "description",
        "question",
        "phone_number",
        "first_name",
        "last_name",
        "ip_address",
    }
)
_INT_RE = re.compile(r"-?\d+")


@dataclass(frozen=True, repr=False)
class UploadedFile:
    """A file part of a multipart request, as recorded in :attr:`RecordedRequest.params`.

    Attributes:
        filename: The part's file name, if the client sent one.
        content: The uploaded bytes.
        content_type: The part's content type, if the client sent one.
    """

    filename: str | None
    content: bytes
    content_type: str | None

    def __repr__(self) -> str:
        """Short form without the bytes."""
        return f"UploadedFile({self.filename!r}, {len(self.content)} bytes, {self.content_type!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received.

    Attributes:
        method: The Bot API method in its canonical spelling (``"sendMessage"``), the name as
            sent for unknown methods, or ``"downloadFile"`` for file downloads.
        params: The decoded parameters (see the module docstring).
        status: The HTTP status answered; ``0`` while the request is still being served.
        at: ``time.monotonic()`` when the request arrived.
        http_method: ``"GET"`` or ``"POST"``.
        content_type: The request's content type without parameters (``""`` if none).
        response: The JSON body answered (``None`` for served file bytes or while in flight).
    """

    method: str
    params: dict[str, Any]
    status: int
    at: float
    http_method: str = "POST"
    content_type: str = ""
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        """Whether the request was answered with a 2xx status."""
        return 200 <= self.status < 300

    @property
    def failed(self) -> bool:
        """Whether the request was answered with an error status."""
        return self.status >= 300


@dataclass
class _Fault:
    method_key: str
    kind: str
    chat_id: int | None
    remaining: int
    retry_after: int
    delay: float
    description: str | None


@dataclass
class _StoredFile:
    file_id: str
    content: bytes
    file_path: str
    file_size: int
    file_unique_id: str


@dataclass
class _WithDescription:
    """A successful result that Telegram accompanies with a `description`."""

    result: Any
    description: str


class _ApiError(Exception):
    """An error answer: HTTP status == `error_code`."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON error body Telegram sends."""
        return error_body(self.status, self.description, self.parameters)


def error_body(code: int, description: str, parameters: JSONDict | None = None) -> JSONDict:
    """A Bot API error body.

    Args:
        code: The `error_code` (equal to the HTTP status).
        description: The human-readable `description`.
        parameters: The optional `ResponseParameters` (e.g. ``{"retry_after": 3}``).

    Returns:
        ``{"ok": false, "error_code": code, "description": description[, "parameters": ...]}``.
    """
    body: JSONDict = {"ok": False, "error_code": code, "description": description}
    if parameters is not None:
        body["parameters"] = parameters
    return body


def _normalise(key: str, value: Any) -> Any:
    """Decode one parameter value the way Telegram interprets it."""
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if key in _INT_PARAMS and _INT_RE.fullmatch(stripped):
        return int(stripped)
    if key in _BOOL_PARAMS and stripped in ("true", "false"):
        return stripped == "true"
    if key not in _STRING_PARAMS and stripped[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            decoded = json.loads(stripped)
            if isinstance(decoded, dict | list):
                return decoded
    return value


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _read_params(request: Request) -> dict[str, Any]:
    """All parameters of a Bot API request: query string, then the body."""
    params: dict[str, Any] = dict(request.query_params.multi_items())
    content_type = _content_type(request)
    if content_type == "application/json":
        raw = await request.body()
        if raw.strip():
            try:
                data = json.loads(raw)
            except ValueError as err:
                raise _ApiError(400, "Bad Request: can't parse JSON object") from err
            if not isinstance(data, dict):
                raise _ApiError(400, "Bad Request: can't parse JSON object")
            params.update(data)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                params[key] = UploadedFile(value.filename, await value.read(), value.content_type)
            else:
                params[key] = value
    return {key: _normalise(key, value) for key, value in params.items()}


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class FakeTelegramAPI:
    """A fake Telegram Bot API server on 127.0.0.1, recording every request.

    Use as a context manager (``with FakeTelegramAPI() as tg:``), or call :meth:`start` and
    :meth:`stop`. All helpers are thread-safe and may be called from any thread or loop.

    Args:
        token: The only token the fake accepts; its numeric part is the bot's user id.
        latency: Seconds every request waits before being answered (asyncio.sleep, so
            requests are still served concurrently). May be changed while running.
        long_poll_cap: The most seconds a long-polling ``getUpdates`` waits, whatever its
            ``timeout`` asks for.
        rate_limit: When set, the most message sends accepted in any sliding
            `rate_window` (see :meth:`enforce_rate_limit`); ``None`` (the default): no limit.
        rate_window: The window of `rate_limit`, in seconds.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        latency: float = 0.0,
        long_poll_cap: float = 2.0,
        rate_limit: int | None = None,
        rate_window: float = 1.0,
    ) -> None:
        self.token = token
        self.latency = latency
        self.long_poll_cap = long_poll_cap
        self._rate_limit: int | None = None
        self._rate_window = 1.0
        self._rate_recent: deque[float] = deque()
        self._accepted_send_times: list[float] = []
        self._rate_violations = 0
        #: Called (in the server's thread) with every answered request, e.g. by benchmarks.
        self.listener: Callable[[RecordedRequest], None] | None = None
        self._lock = threading.RLock()
        self._records: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._updates: list[JSONDict] = []
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._made_up_messages: set[tuple[int, int]] = set()
        self._last_message_id: dict[int, int] = {}
        self._chats: dict[int, JSONDict] = {}
        self._webhook: JSONDict = {}
        self._allowed_updates: list[str] | None = None
        self._commands: list[JSONDict] = []
        self._auto_file_number = 0
        self._upload_number = 0
        self._auto_update_id = 500_000_000

        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("sendMessage", self._send_message),
            ("sendPhoto", self._send_photo),
            ("sendDocument", self._send_document),
            ("sendChatAction", self._send_chat_action),
            ("answerCallbackQuery", self._answer_callback_query),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("getFile", self._get_file),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
        ):
            self._handlers[name.lower()] = (name, handler)

        self._app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api_endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._file_endpoint, methods=["GET"]),
            ]
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._thread_error: BaseException | None = None
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._updates_event: asyncio.Event | None = None
        if rate_limit is not None:
            self.enforce_rate_limit(rate_limit, window=rate_window)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeTelegramAPI:
        """Start serving in a background thread; returns once the port accepts connections.

        Args:
            timeout: Seconds to wait for the server to come up.

        Returns:
            This fake, for chaining.

        Raises:
            RuntimeError: If already started or the server did not come up.
        """
        if self._thread is not None:
            raise RuntimeError("FakeTelegramAPI is already running")
        # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only
        # then, and without it Nagle plus delayed ACKs add ~40 ms to every answer.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=3,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread_error = None
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name="fake-telegram-api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake Telegram API did not start: {self._thread_error!r}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread (a no-op when not running)."""
        thread, server, loop = self._thread, self._server, self._loop
        if thread is None or server is None:
            return
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may just have closed
                loop.call_soon_threadsafe(self._wake_for_stop)
        server.should_exit = True
        thread.join(timeout=15)
        self._thread = None
        self._server = None
        self._loop = None

    def __enter__(self) -> FakeTelegramAPI:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    async def __aenter__(self) -> FakeTelegramAPI:
        """Start the server without blocking the running loop."""
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server without blocking the running loop."""
        await asyncio.to_thread(self.stop)

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            asyncio.run(self._serve(server, sock))
        except BaseException as err:  # noqa: BLE001 - reported to start() from this thread
            self._thread_error = err

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._updates_event = asyncio.Event()
        await server.serve(sockets=[sock])

    def _wake_for_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._updates_event is not None:
            self._updates_event.set()

    async def _sleep(self, seconds: float) -> None:
        """Sleep on the server loop; cut short when the server stops."""
        if seconds <= 0:
            return
        if self._stopping is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # -- addresses ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._port is None:
            raise RuntimeError("FakeTelegramAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """``{base_url}/bot{token}``: append ``/methodName``."""
        return f"{self.base_url}/bot{self.token}"

    @property
    def file_url(self) -> str:
        """``{base_url}/file/bot{token}``: append ``/file_path``."""
        return f"{self.base_url}/file/bot{self.token}"

    def ptb_bot_kwargs(self) -> dict[str, str]:
        """Keyword arguments pointing a ``telegram.Bot`` at this fake.

        Returns:
            ``{"base_url": f"{base_url}/bot", "base_file_url": f"{base_url}/file/bot"}``.
        """
        return {"base_url": f"{self.base_url}/bot", "base_file_url": f"{self.base_url}/file/bot"}

    # -- scripting ----------------------------------------------------------------------------

    def queue_update(self, update: JSONDict) -> int:
        """Queue an `Update` for ``getUpdates`` (kept ordered by `update_id`).

        The update's chat is remembered so replies to it carry the same `Chat`, and a bot
        message inside a callback query becomes editable with its text and keyboard.

        Args:
            update: An `Update` dict (see :mod:`tests.fakes.telegram_updates`); an
                `update_id` is assigned when missing.

        Returns:
            The update's `update_id`.
        """
        update = copy.deepcopy(update)
        with self._lock:
            if "update_id" not in update:
                self._auto_update_id += 1
                update["update_id"] = self._auto_update_id
            bisect.insort(self._updates, update, key=lambda item: item["update_id"])
            self._learn_from_update(update)
        self._notify_updates()
        return int(update["update_id"])

    def add_file(
        self,
        file_id: str,
        content: bytes,
        file_path: str | None = None,
        *,
        declared_size: int | None = None,
    ) -> str:
        """Register a file for ``getFile`` and the download route.

        Args:
            file_id: The `file_id` clients ask for.
            content: The bytes the download route serves.
            file_path: The `file_path` ``getFile`` reports; ``photos/file_N.jpg`` (N counting
                from 1) when omitted.
            declared_size: The `file_size` ``getFile`` reports, when it should differ from
                ``len(content)`` (e.g. to test size limits without big payloads).

        Returns:
            The file's `file_path`.
        """
        with self._lock:
            if file_path is None:
                self._auto_file_number += 1
                file_path = f"photos/file_{self._auto_file_number}.jpg"
            stored = _StoredFile(
                file_id=file_id,
                content=bytes(content),
                file_path=file_path,
                file_size=len(content) if declared_size is None else declared_size,
                file_unique_id=file_unique_id(file_id),
            )
            old = self._files.pop(file_id, None)
            if old is not None:
                self._files_by_path.pop(old.file_path, None)
            self._files[file_id] = stored
            self._files_by_path[file_path] = stored
        return file_path

    def fail_next(
        self,
        method: str,
        *,
        kind: str,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 0.0,
        description: str | None = None,
    ) -> None:
        """Make the next matching request(s) fail the way Telegram fails.

        Faults are matched in the order they were added; each is used `times` times.

        Kinds and their wire answers:
            * ``retry_after``: 429 ``Too Many Requests: retry after N`` with
              ``parameters.retry_after``;
            * ``forbidden``: 403 ``Forbidden: bot was blocked by the user``;
            * ``bad_request``: 400 ``Bad Request: message is not modified``;
            * ``server_error``: 502 ``Bad Gateway``;
            * ``timeout``: wait `delay` seconds (other requests are still served), then
              answer normally, so a client with a shorter read timeout times out.

        Args:
            method: The Bot API method (case-insensitive), or ``"downloadFile"``.
            kind: One of :data:`FAULT_KINDS`.
            chat_id: Only requests whose ``chat_id`` equals this; any request when ``None``.
            times: How many matching requests fail.
            retry_after: The seconds reported by ``retry_after`` faults.
            delay: The seconds a ``timeout`` fault waits.
            description: Replaces the default `description` of error kinds.

        Raises:
            ValueError: On an unknown kind or a non-positive `times`.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(
                _Fault(
                    method_key=method.lower(),
                    kind=kind,
                    chat_id=chat_id,
                    remaining=times,
                    retry_after=retry_after,
                    delay=delay,
                    description=description,
                )
            )

    def enforce_rate_limit(self, per_window: int | None, *, window: float = 1.0) -> None:
        """Accept at most `per_window` message sends in any sliding `window` seconds.

        Counted, over all chats together: every ``send*`` method except ``sendChatAction``
        (``sendMessage``, ``sendPhoto``, ``sendDocument``). A send arriving when
        `per_window` sends were already accepted in the `window` seconds before it is a
        violation: it is counted, not performed, and answered as Telegram does, HTTP 429
        ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after
        X", "parameters": {"retry_after": X}}``, X being the whole seconds (at least 1)
        until the window has room again. Refused sends do not take room in the window.

        Args:
            per_window: The limit (e.g. 30 for Telegram's 30 messages per second);
                ``None`` turns enforcement off.
            window: The window's length in seconds.

        Raises:
            ValueError: On a limit below 1 or a window that is not positive.
        """
        if per_window is not None and per_window < 1:
            raise ValueError("the rate limit must be at least 1")
        if window <= 0:
            raise ValueError("the rate window must be positive")
        with self._lock:
            self._rate_limit = per_window
            self._rate_window = window
            self._rate_recent.clear()

    @property
    def rate_violations(self) -> int:
        """How many sends were refused for going over the rate limit."""
        with self._lock:
            return self._rate_violations

    @property
    def accepted_send_times(self) -> list[float]:
        """``time.monotonic()`` of every send accepted under the rate limit, in order.

        Recorded only while enforcement is on; :meth:`clear` and :meth:`reset` forget them.
        """
        with self._lock:
            return list(self._accepted_send_times)

    # -- inspection ---------------------------------------------------------------------------

    def requests(
        self,
        method: str | None = None,
        chat_id: int | None = None,
        *,
        successful: bool | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests in order of arrival.

        Args:
            method: Only this method (case-insensitive).
            chat_id: Only requests with this ``chat_id``.
            successful: ``True`` for 2xx answers only, ``False`` for error answers only,
                ``None`` for all (including requests still in flight, with status 0).

        Returns:
            The matching requests.
        """
        with self._lock:
            records = sorted(self._records, key=lambda record: record.at)
        key = method.lower() if method is not None else None
        return [
            record
            for record in records
            if (key is None or record.method.lower() == key)
            and (chat_id is None or record.params.get("chat_id") == chat_id)
            and (successful is None or (record.ok if successful else record.failed))
        ]

    def sent_messages(self, chat_id: int) -> list[JSONDict]:
        """The `Message` results of successful ``sendMessage`` calls to a chat, in order.

        Args:
            chat_id: The chat.

        Returns:
            The messages as answered.
        """
        return [
            record.response["result"]
            for record in self.requests("sendMessage", chat_id, successful=True)
            if record.response is not None
        ]

    def sent_texts(self, chat_id: int) -> list[str]:
        """The texts of successful ``sendMessage`` calls to a chat, in order.

        Args:
            chat_id: The chat.

        Returns:
            The texts.
        """
        return [
            str(record.params["text"])
            for record in self.requests("sendMessage", chat_id, successful=True)
        ]

    @property
    def webhook(self) -> JSONDict:
        """The webhook as set: `url`, `secret_token`, `max_connections` (empty if none)."""
        with self._lock:
            return copy.deepcopy(self._webhook)

    @property
    def allowed_updates(self) -> list[str] | None:
        """The `allowed_updates` last given to ``setWebhook`` or ``getUpdates``."""
        with self._lock:
            return copy.deepcopy(self._allowed_updates)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Queued updates not yet confirmed by a ``getUpdates`` offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def clear(self) -> None:
        """Forget the recorded requests (and the rate limit's accepted sends and violations)."""
        with self._lock:
            self._records.clear()
            self._clear_rate_records()

    def _clear_rate_records(self) -> None:
        self._rate_recent.clear()
        self._accepted_send_times.clear()
        self._rate_violations = 0

    def reset(self) -> None:
        """Forget everything: requests, faults, updates, files, messages, webhook, commands."""
        with self._lock:
            self._records.clear()
            self._faults.clear()
            self._updates.clear()
            self._files.clear()
            self._files_by_path.clear()
            self._messages.clear()
            self._made_up_messages.clear()
            self._last_message_id.clear()
            self._chats.clear()
            self._webhook = {}
            self._allowed_updates = None
            self._commands = []
            self._clear_rate_records()

    def wait_for(
        self,
        predicate: Callable[[FakeTelegramAPI], object],
        timeout: float = 10,
        *,
        interval: float = 0.02,
    ) -> None:
        """Block until `predicate(self)` is truthy.

        Args:
            predicate: Called with this fake until it returns something truthy.
            timeout: Seconds to wait.
            interval: Seconds between polls.

        Raises:
            AssertionError: On timeout, listing the most recent requests.
        """
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(predicate, timeout))
            time.sleep(interval)

    async def async_wait_for(
        self,
        predicate: Callable[[FakeTelegramAPI], object],
        timeout: float = 10,
        *,
        interval: float = 0.02,
    ) -> None:
        """Wait (without blocking the loop) until `predicate(self)` is truthy.

        Args:
            predicate: Called with this fake until it returns something truthy.
            timeout: Seconds to wait.
            interval: Seconds between polls.

        Raises:
            AssertionError: On timeout, listing the most recent requests.
        """
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(predicate, timeout))
            await asyncio.sleep(interval)

    def _timeout_report(
        self, predicate: Callable[..., object], timeout: float, last: int = 25
    ) -> str:
        records = self.requests()
        name = getattr(predicate, "__qualname__", repr(predicate))
        lines = [f"condition {name} not met within {timeout}s; {len(records)} request(s) seen"]
        if len(records) > last:
            lines.append(f"  ... {len(records) - last} earlier request(s) omitted")
        start = records[0].at if records else 0.0
        for record in records[-last:]:
            params = repr(record.params)
            if len(params) > 300:
                params = params[:297] + "..."
            lines.append(
                f"  +{record.at - start:7.3f}s {record.method} -> {record.status} {params}"
            )
        return "\n".join(lines)

    # -- recording ----------------------------------------------------------------------------

    def _record_start(
        self, method: str, params: dict[str, Any], at: float, request: Request
    ) -> RecordedRequest:
        record = RecordedRequest(
            method=method,
            params=params,
            status=0,
            at=at,
            http_method=request.method,
            content_type=_content_type(request),
        )
        with self._lock:
            self._records.append(record)
        return record

    def _record_finish(self, record: RecordedRequest, status: int, body: JSONDict | None) -> None:
        done = RecordedRequest(
            method=record.method,
            params=record.params,
            status=status,
            at=record.at,
            http_method=record.http_method,
            content_type=record.content_type,
            response=body,
        )
        with self._lock:
            for index in range(len(self._records) - 1, -1, -1):
                if self._records[index] is record:
                    self._records[index] = done
                    break
        if self.listener is not None:
            self.listener(done)

    # -- HTTP endpoints -----------------------------------------------------------------------

    async def _api_endpoint(self, request: Request) -> Response:
        arrived = time.monotonic()
        sent_name = str(request.path_params["method"])
        known = self._handlers.get(sent_name.lower())
        method = known[0] if known is not None else sent_name
        parse_error: _ApiError | None = None
        try:
            params = await _read_params(request)
        except _ApiError as err:
            params, parse_error = {}, err
        record = self._record_start(method, params, arrived, request)
        status, body = await self._answer(
            str(request.path_params["token"]), method, params, parse_error, arrived
        )
        self._record_finish(record, status, body)
        return JSONResponse(body, status_code=status)

    async def _answer(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        parse_error: _ApiError | None,
        arrived: float,
    ) -> tuple[int, JSONDict]:
        await self._sleep(self.latency)
        if token != self.token:
            return 401, error_body(401, "Unauthorized")
        known = self._handlers.get(method.lower())
        if known is None:
            return 404, error_body(404, "Not Found")
        if parse_error is not None:
            return parse_error.status, parse_error.body()
        fault_answer = await self._apply_fault(method, params)
        if fault_answer is not None:
            return fault_answer
        admitted = self._admit_send(method, arrived)
        if isinstance(admitted, _ApiError):
            return admitted.status, admitted.body()
        try:
            result = await known[1](params)
        except _ApiError as err:
            self._unadmit_send(admitted)
            return err.status, err.body()
        if isinstance(result, _WithDescription):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    async def _file_endpoint(self, request: Request) -> Response:
        arrived = time.monotonic()
        file_path = str(request.path_params["file_path"])
        params: dict[str, Any] = {"file_path": file_path}
        record = self._record_start(DOWNLOAD_METHOD, params, arrived, request)
        await self._sleep(self.latency)
        error: tuple[int, JSONDict] | None = None
        stored: _StoredFile | None = None
        if str(request.path_params["token"]) != self.token:
            error = 401, error_body(401, "Unauthorized")
        else:
            error = await self._apply_fault(DOWNLOAD_METHOD, params)
            if error is None:
                with self._lock:
                    stored = self._files_by_path.get(file_path)
                if stored is None:
                    error = 404, error_body(404, "Not Found")
        if error is not None or stored is None:
            status, body = error or (404, error_body(404, "Not Found"))
            self._record_finish(record, status, body)
            return JSONResponse(body, status_code=status)
        self._record_finish(record, 200, None)
        media_type = mimetypes.guess_type(file_path)[0] or "application/octet-stream"
        return Response(stored.content, media_type=media_type)

    async def _apply_fault(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, JSONDict] | None:
        """Consume the first matching fault: an error answer, or a delay (then None)."""
        fault = self._take_fault(method, params)
        if fault is None:
            return None
        if fault.kind == "timeout":
            await self._sleep(fault.delay)
            return None
        if fault.kind == "retry_after":
            return 429, error_body(
                429,
                fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        defaults = {
            "forbidden": (403, "Forbidden: bot was blocked by the user"),
            "bad_request": (400, "Bad Request: message is not modified"),
            "server_error": (502, "Bad Gateway"),
        }
        status, description = defaults[fault.kind]
        return status, error_body(status, fault.description or description)

    def _admit_send(self, method: str, arrived: float) -> float | _ApiError | None:
        """Under the rate limit: the send's arrival time, or the 429 of a violation.

        A send counts from when it arrived (before its body was read). ``None`` when the
        method is not counted or no limit is enforced.
        """
        key = method.lower()
        if not key.startswith("send") or key in NOT_RATE_LIMITED:
            return None
        with self._lock:
            limit, window = self._rate_limit, self._rate_window
            if limit is None:
                return None
            recent = self._rate_recent  # sorted by arrival
            while recent and recent[0] <= time.monotonic() - 2 * window:
                recent.popleft()  # too old to be in any window still to be checked
            start = bisect.bisect_right(recent, arrived - window)
            in_window = bisect.bisect_right(recent, arrived) - start
            if in_window >= limit:
                self._rate_violations += 1
                retry_after = max(1, math.ceil(recent[start] + window - arrived))
                return _ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            bisect.insort(recent, arrived)
            bisect.insort(self._accepted_send_times, arrived)
            return arrived

    def _unadmit_send(self, admitted: float | _ApiError | None) -> None:
        """A send that took room in the window failed after all: give the room back."""
        if not isinstance(admitted, float):
            return
        with self._lock:
            with contextlib.suppress(ValueError):
                self._rate_recent.remove(admitted)
            with contextlib.suppress(ValueError):
                self._accepted_send_times.remove(admitted)

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        key = method.lower()
        chat_id = params.get("chat_id")
        with self._lock:
            for fault in self._faults:
                if fault.method_key != key:
                    continue
                if fault.chat_id is not None and fault.chat_id != chat_id:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- state helpers (call with the lock held) ----------------------------------------------

    def _learn_from_update(self, update: JSONDict) -> None:
        messages: list[JSONDict] = []
        for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if isinstance(update.get(kind), dict):
                messages.append(update[kind])
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("message"), dict):
            messages.append(query["message"])
        for message in messages:
            chat = message.get("chat")
            if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
                continue
            chat_id = chat["id"]
            self._chats[chat_id] = copy.deepcopy(chat)
            message_id = message.get("message_id")
            if isinstance(message_id, int):
                self._last_message_id[chat_id] = max(
                    self._last_message_id.get(chat_id, 0), message_id
                )
                sender = message.get("from")
                if isinstance(sender, dict) and sender.get("is_bot"):
                    self._messages[(chat_id, message_id)] = copy.deepcopy(message)

    def _notify_updates(self) -> None:
        loop, event = self._loop, self._updates_event
        if loop is None or event is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop may just have closed
            loop.call_soon_threadsafe(event.set)

    def _chat(self, chat_id: int) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return copy.deepcopy(known)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Budi"}
        if str(chat_id).startswith("-100"):
            return {"id": chat_id, "title": "Grup Uji", "type": "supergroup"}
        return {"id": chat_id, "title": "Grup Uji", "type": "group"}

    def _message_for_edit(self, chat_id: int, message_id: int) -> JSONDict:
        key = (chat_id, message_id)
        message = self._messages.get(key)
        if message is None:
            message = {
                "message_id": message_id,
                "from": bot_sender(self.token),
                "chat": self._chat(chat_id),
                "date": int(time.time()),
            }
            self._messages[key] = message
            self._made_up_messages.add(key)
        return message

    # -- parameter checks ---------------------------------------------------------------------

    @staticmethod
    def _require_chat_id(params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _require_message_id(params: dict[str, Any]) -> int:
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        return message_id

    @staticmethod
    def _require_text(params: dict[str, Any]) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_length(text) > MAX_MESSAGE_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> JSONDict | None:
        """The `reply_markup` if it is a non-empty inline keyboard (the only kind echoed)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
                data = button.get("callback_data")
                if data is not None and (
                    not isinstance(data, str) or len(data.encode()) > MAX_CALLBACK_DATA_BYTES
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if not any(rows):
            return None  # an empty inline keyboard removes the keyboard
        return markup

    # -- Bot API methods ----------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> JSONDict:
        return bot_user(self.token)

    async def _get_updates(self, params: dict[str, Any]) -> list[JSONDict]:
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if offset is not None and not isinstance(offset, int):
            raise _ApiError(400, "Bad Request: wrong parameter offset")
        if not isinstance(limit, int) or not isinstance(timeout, int | float):
            raise _ApiError(400, "Bad Request: wrong parameter limit or timeout")
        limit = min(max(limit, 1), 100)
        wait = min(max(float(timeout), 0.0), self.long_poll_cap)
        with self._lock:
            if self._webhook.get("url"):
                raise _ApiError(409, WEBHOOK_CONFLICT)
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = params["allowed_updates"]
            if offset is not None and offset < 0:
                self._updates = self._updates[offset:]
            elif offset is not None:
                self._updates = [item for item in self._updates if item["update_id"] >= offset]
        deadline = time.monotonic() + wait
        while True:
            if self._updates_event is not None:
                self._updates_event.clear()
            with self._lock:
                batch = copy.deepcopy(self._updates[:limit])
            remaining = deadline - time.monotonic()
            stopping = self._stopping is not None and self._stopping.is_set()
            if batch or remaining <= 0 or stopping or self._updates_event is None:
                return batch
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), remaining)

    async def _set_webhook(self, params: dict[str, Any]) -> _WithDescription:
        url = params.get("url", "")
        if not isinstance(url, str):
            raise _ApiError(400, "Bad Request: bad webhook: Failed to resolve host")
        if url and not url.startswith("https://"):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        with self._lock:
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = params["allowed_updates"]
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
            if not url:
                was_set = bool(self._webhook)
                self._webhook = {}
                return _WithDescription(
                    True, "Webhook was deleted" if was_set else "Webhook is already deleted"
                )
            same = self._webhook.get("url") == url
            self._webhook = {
                "url": url,
                "secret_token": params.get("secret_token"),
                "max_connections": params.get("max_connections", 40),
            }
        return _WithDescription(True, "Webhook is already set" if same else "Webhook was set")

    async def _delete_webhook(self, params: dict[str, Any]) -> _WithDescription:
        with self._lock:
            was_set = bool(self._webhook)
            self._webhook = {}
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
        return _WithDescription(
            True, "Webhook was deleted" if was_set else "Webhook is already deleted"
        )

    async def _get_webhook_info(self, params: dict[str, Any]) -> JSONDict:
        with self._lock:
            info: JSONDict = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook:
                info["max_connections"] = self._webhook["max_connections"]
                info["ip_address"] = "127.0.0.1"
            if self._allowed_updates is not None:
                info["allowed_updates"] = copy.deepcopy(self._allowed_updates)
        return info

    def _new_message(self, chat_id: int, markup: JSONDict | None, content: JSONDict) -> JSONDict:
        """Store and return (a copy of) a new bot message in `chat_id`."""
        with self._lock:
            message_id = self._last_message_id.get(chat_id, 0) + 1
            self._last_message_id[chat_id] = message_id
            message: JSONDict = {
                "message_id": message_id,
                "from": bot_sender(self.token),
                "chat": self._chat(chat_id),
                "date": int(time.time()),
                **content,
            }
            if markup is not None:
                message["reply_markup"] = markup
            self._messages[(chat_id, message_id)] = message
            return copy.deepcopy(message)

    @staticmethod
    def _caption(params: dict[str, Any]) -> JSONDict:
        caption = params.get("caption")
        if caption is None or caption == "":
            return {}
        if not isinstance(caption, str) or _utf16_length(caption) > MAX_CAPTION_LENGTH:
            raise _ApiError(400, "Bad Request: message caption is too long")
        content: JSONDict = {"caption": caption}
        if isinstance(params.get("caption_entities"), list):
            content["caption_entities"] = params["caption_entities"]
        return content

    def _upload_identity(self, value: Any, missing: str) -> tuple[str, int, str | None]:
        """(file_id, file_size, file_name) of a sent file: an upload, a file_id or a URL."""
        if isinstance(value, UploadedFile):
            with self._lock:
                self._upload_number += 1
                number = self._upload_number
            file_id = f"BQACAgUAAxkDAAI{number:06d}"
            suffix = PurePosixPath(value.filename or "").suffix
            # Like Telegram, the bot can fetch what it uploaded with getFile.
            self.add_file(file_id, value.content, f"{missing}s/upload_{number}{suffix}")
            return file_id, len(value.content), value.filename
        if isinstance(value, str) and value:
            with self._lock:
                known = self._files.get(value)
            if known is not None:
                return known.file_id, known.file_size, None
            if value.startswith(("http://", "https://")):
                # Telegram fetches the URL and stores the file under a new file_id.
                return f"AgACAgUAAxkDurl{file_unique_id(value)}", 51_234, None
            return value, 51_234, None  # resending a file_id the fake never saw
        raise _ApiError(400, f"Bad Request: there is no {missing} in the request")

    async def _send_message(self, params: dict[str, Any]) -> JSONDict:
        chat_id = self._require_chat_id(params)
        text = self._require_text(params)
        markup = self._inline_markup(params)
        content: JSONDict = {"text": text}
        if isinstance(params.get("entities"), list):
            content["entities"] = params["entities"]
        return self._new_message(chat_id, markup, content)

    async def _send_photo(self, params: dict[str, Any]) -> JSONDict:
        chat_id = self._require_chat_id(params)
        markup = self._inline_markup(params)
        caption = self._caption(params)
        file_id, size, _ = self._upload_identity(params.get("photo"), "photo")
        sizes = [(f"{file_id}-s", 90, 68, max(size // 40, 1)), (file_id, 1280, 960, size)]
        photo = [
            {
                "file_id": size_id,
                "file_unique_id": file_unique_id(size_id),
                "file_size": size_bytes,
                "width": width,
                "height": height,
            }
            for size_id, width, height, size_bytes in sizes
        ]
        return self._new_message(chat_id, markup, {"photo": photo, **caption})

    async def _send_document(self, params: dict[str, Any]) -> JSONDict:
        chat_id = self._require_chat_id(params)
        markup = self._inline_markup(params)
        caption = self._caption(params)
        file_id, size, file_name = self._upload_identity(params.get("document"), "document")
        document: JSONDict = {
            "file_id": file_id,
            "file_unique_id": file_unique_id(file_id),
            "file_size": size,
        }
        if file_name:
            document["file_name"] = file_name
            document["mime_type"] = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        return self._new_message(chat_id, markup, {"document": document, **caption})

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._require_chat_id(params)
        if not params.get("action"):
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        return True

    async def _edit_message_text(self, params: dict[str, Any]) -> JSONDict | bool:
        text = self._require_text(params)
        markup = self._inline_markup(params)
        if params.get("inline_message_id") and params.get("chat_id") is None:
            return True
        chat_id = self._require_chat_id(params)
        message_id = self._require_message_id(params)
        with self._lock:
            key = (chat_id, message_id)
            message = self._message_for_edit(chat_id, message_id)
            unchanged = message.get("text") == text and message.get("reply_markup") == markup
            if unchanged and key not in self._made_up_messages:
                raise _ApiError(400, NOT_MODIFIED)
            self._made_up_messages.discard(key)
            message["text"] = text
            message["edit_date"] = int(time.time())
            if isinstance(params.get("entities"), list):
                message["entities"] = params["entities"]
            else:
                message.pop("entities", None)
            if markup is not None:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSONDict | bool:
        markup = self._inline_markup(params)
        if params.get("inline_message_id") and params.get("chat_id") is None:
            return True
        chat_id = self._require_chat_id(params)
        message_id = self._require_message_id(params)
        with self._lock:
            key = (chat_id, message_id)
            message = self._message_for_edit(chat_id, message_id)
            if message.get("reply_markup") == markup and key not in self._made_up_messages:
                raise _ApiError(400, NOT_MODIFIED)
            self._made_up_messages.discard(key)
            if markup is not None:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            return copy.deepcopy(message)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._require_chat_id(params)
        message_id = self._require_message_id(params)
        with self._lock:
            self._messages.pop((chat_id, message_id), None)
        return True

    async def _get_file(self, params: dict[str, Any]) -> JSONDict:
        file_id = params.get("file_id")
        with self._lock:
            stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        with self._lock:
            self._commands = copy.deepcopy(commands)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(self._commands)

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._commands = []
        return True


__all__ = [
    "DOWNLOAD_METHOD",
    "FAULT_KINDS",
    "NOT_RATE_LIMITED",
    "FakeTelegramAPI",
    "RecordedRequest",
    "UploadedFile",
    "error_body",
]
