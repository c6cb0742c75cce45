"""Log lines of every service: plain text or JSON (`LOG_FORMAT=json`), with the turn's request ID.

A request ID is born at the gateway for each citizen message, travels to Rasa in the
message's metadata (`request_id`), from Rasa to the action server in the tracker, and
from there to the backend in the `X-Request-ID` header. Each service keeps the ID of
the request it is working on in a context variable (`request_id_var`), so every log
line written meanwhile carries it, whatever module writes it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

import httpx

#: The header that carries the request ID between services.
REQUEST_ID_HEADER = "X-Request-ID"
#: The key of the request ID in Rasa's message metadata.
METADATA_KEY = "request_id"
#: The request ID of the work in hand (None outside a request).
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: Attributes every LogRecord has: anything else was passed with `extra=` and is kept.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def new_request_id() -> str:
    """A fresh request ID (16 hex digits)."""
    return secrets.token_hex(8)


def accepted_request_id(value: object) -> str | None:
    """`value` when it is a request ID we pass on (short, plain characters), else None.

    Another party's header is never trusted blindly: a long or odd value would end up in
    every log line.
    """
    return value if isinstance(value, str) and _ACCEPTED.fullmatch(value) else None


def request_id_from_metadata(metadata: Mapping[str, Any] | None) -> str | None:
    """The request ID the gateway put in a Rasa message's metadata, if any."""
    return accepted_request_id((metadata or {}).get(METADATA_KEY))


async def attach_request_id(request: httpx.Request) -> None:
    """httpx request hook: send the current request ID on to the next service."""
    current = request_id_var.get()
    if current and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = current


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, service, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_format(environ: Mapping[str, str] = os.environ) -> str:
    """`json` or `text`, from `LOG_FORMAT` (anything else is refused)."""
    value = (environ.get("LOG_FORMAT") or "text").strip().lower()
    if value not in ("text", "json"):
        raise SystemExit(f"LOG_FORMAT must be 'text' or 'json', not {value!r}")
    return value


def configure_logging(
    service: str, level: str | int = logging.INFO, environ: Mapping[str, str] = os.environ
) -> logging.Handler:
    """Send the root logger's lines to stderr in the chosen format; returns the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if log_format(environ) == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
