"""A scripted stand-in for Rasa's REST channel (`POST /webhooks/rest/webhook`).

By default it echoes each message (`"echo: <text>"`); tests set replies, a delay or a
failure, and read back every request it received, in order. It also takes events
appended through the HTTP API (`POST /conversations/{id}/tracker/events`), as the
notifier does, and answers with a tracker whose `language` slot tests can set.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import ThreadedServer

Replies = list[dict[str, Any]]


@dataclass(frozen=True)
class RasaRequest:
    """One message the fake received."""

    sender: str
    message: str
    metadata: dict[str, Any]
    at: float


def echo(sender: str, message: str, metadata: dict[str, Any]) -> Replies:
    """The default script: one reply repeating the message."""
    return [{"recipient_id": sender, "text": f"echo: {message}"}]


class FakeRasa:
    """Rasa's REST channel, scripted by the test."""

    def __init__(self) -> None:
        self.script: Callable[[str, str, dict[str, Any]], Replies] = echo
        self.delay = 0.0
        self.delays: dict[str, float] = {}  # extra seconds for particular messages
        self.fail_status: int | None = None
        self._lock = threading.Lock()
        self._requests: list[RasaRequest] = []
        self.appended: dict[str, list[dict[str, Any]]] = {}
        self.languages: dict[str, str] = {}
        self.api_token = "fake-rasa-token"
        app = Starlette(
            routes=[
                Route("/webhooks/rest/webhook", self._webhook, methods=["POST"]),
                Route(
                    "/conversations/{sender:path}/tracker/events",
                    self._append_events,
                    methods=["POST"],
                ),
            ]
        )
        self._server = ThreadedServer(app, "fake-rasa")

    async def _webhook(self, request: Request) -> Response:
        body = await request.json()
        sender, message, metadata = body["sender"], body["message"], body.get("metadata") or {}
        with self._lock:
            self._requests.append(RasaRequest(sender, message, metadata, time.monotonic()))
        if self.delay or message in self.delays:
            await asyncio.sleep(self.delay + self.delays.get(message, 0.0))
        if self.fail_status is not None:
            return JSONResponse({"error": "scripted failure"}, status_code=self.fail_status)
        return JSONResponse(self.script(sender, message, metadata))

    async def _append_events(self, request: Request) -> Response:
        if request.query_params.get("token") != self.api_token:
            return JSONResponse({"message": "unauthorized"}, status_code=401)
        sender = request.path_params["sender"]
        body = await request.json()
        events = body if isinstance(body, list) else [body]
        with self._lock:
            self.appended.setdefault(sender, []).extend(events)
        slots = {"language": self.languages.get(sender, "id")}
        return JSONResponse({"sender_id": sender, "slots": slots, "events": None})

    def bot_messages(self, sender: str) -> list[str]:
        """Texts appended to a conversation as the bot's messages."""
        with self._lock:
            events = list(self.appended.get(sender, []))
        return [str(e.get("text")) for e in events if e.get("event") == "bot"]

    @property
    def base_url(self) -> str:
        """Where Rasa "runs"."""
        return self._server.base_url

    def requests(self, sender: str | None = None) -> list[RasaRequest]:
        """Messages received (of one sender), in order."""
        with self._lock:
            return [r for r in self._requests if sender is None or r.sender == sender]

    def __enter__(self) -> FakeRasa:
        self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.stop()
