"""The webhook endpoints: `GET` (Meta's verification) and `POST /whatsapp/webhook`."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.signature import SIGNATURE_HEADER

WEBHOOK_PATH = "/whatsapp/webhook"
#: Meta's deliveries are small; anything bigger is not from Meta.
MAX_BODY_BYTES = 3 * 1024 * 1024

ChannelLookup = Callable[[Request], WhatsAppChannel | None]
#: Told of each refused call and why (`bad_signature`, `malformed`, ...), for the metrics.
RejectionListener = Callable[[Request, str], None]


def _ignore(request: Request, reason: str) -> None:
    """The default listener: nothing to count."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def whatsapp_routes(
    channel_of: ChannelLookup,
    path: str = WEBHOOK_PATH,
    rejected: RejectionListener = _ignore,
) -> list[Route]:
    """The two routes, finding the channel with `channel_of(request)` on each request.

    `channel_of` returns None when WhatsApp is not enabled: the routes then answer 404.
    """

    async def verify(request: Request) -> Response:
        channel = channel_of(request)
        if channel is None:
            return _error(404, "WhatsApp is not enabled on this gateway.")
        challenge = channel.verify(request.query_params)
        if challenge is None:
            rejected(request, "bad_verify_token")
            return _error(403, "Verification failed: wrong hub.mode or hub.verify_token.")
        return PlainTextResponse(challenge)

    async def receive(request: Request) -> Response:
        channel = channel_of(request)
        if channel is None:
            return _error(404, "WhatsApp is not enabled on this gateway.")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            rejected(request, "too_large")
            return _error(413, "Webhook body too large.")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            rejected(request, "too_large")
            return _error(413, "Webhook body too large.")
        result = await channel.accept(body, request.headers.get(SIGNATURE_HEADER))
        if result.status_code == 403:
            rejected(request, "bad_signature")
            return _error(403, f"Missing or wrong {SIGNATURE_HEADER} header.")
        if result.status_code == 400:
            rejected(request, "malformed")
            return _error(400, "The body is not a WhatsApp webhook.")
        return Response(status_code=200)

    return [
        Route(path, verify, methods=["GET"], name="whatsapp_verify"),
        Route(path, receive, methods=["POST"], name="whatsapp_webhook"),
    ]
