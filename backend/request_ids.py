"""The request ID of each API call: taken from `X-Request-ID` (the action server sends
the turn's) or made here, kept for the call's log lines and echoed in the response."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lapor_common.logs import REQUEST_ID_HEADER, accepted_request_id, new_request_id, request_id_var

_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestIdMiddleware:
    """Pure ASGI middleware (the context variable then reaches the endpoint's threads)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER), b"")
        request_id = accepted_request_id(given.decode("latin-1")) or new_request_id()
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
