"""The gateway's web app: `/health` and the channels' webhooks."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.gateway import Gateway
from bot.metrics import GatewayMetrics
from bot.settings import GatewaySettings, TelegramMode
from bot.telegram.channel import SECRET_HEADER, secret_matches
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.routes import whatsapp_routes
from lapor_common.metrics import METRICS_PATH, metrics_response

logger = logging.getLogger(__name__)

#: Telegram updates are small; anything bigger is not from Telegram.
MAX_UPDATE_BYTES = 1024 * 1024


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _whatsapp(request: Request) -> WhatsAppChannel | None:
    return _gateway(request).whatsapp


async def health(request: Request) -> JSONResponse:
    """Ready: the channels are started (and how each is connected)."""
    gateway = _gateway(request)
    telegram = gateway.telegram.mode.value if gateway.telegram else TelegramMode.OFF.value
    whatsapp = "off"
    if gateway.whatsapp is not None:
        whatsapp = "token_rejected" if gateway.whatsapp.token_rejected else "on"
    notifier: dict[str, object] = {"mode": "off"}
    if gateway.notifier_process is not None:
        process = gateway.notifier_process
        notifier = {"mode": "process", "pid": process.pid, "restarts": process.restarts}
    elif gateway.notifier is not None:
        notifier = {"mode": "in_process"}
    return JSONResponse(
        {"status": "ok", "telegram": telegram, "whatsapp": whatsapp, "notifier": notifier}
    )


async def telegram_webhook(request: Request) -> Response:
    """Check the secret, queue the update and answer at once (handling runs behind)."""
    channel = _gateway(request).telegram
    if channel is None or channel.mode is not TelegramMode.WEBHOOK:
        return _error(404, "The Telegram webhook is not enabled on this gateway.")
    received = request.headers.get(SECRET_HEADER)
    metrics = _gateway(request).metrics
    if received is None:
        metrics.rejected("telegram", "missing_secret")
        return _error(401, f"Missing {SECRET_HEADER} header.")
    if not secret_matches(received, channel.webhook_secret):
        metrics.rejected("telegram", "bad_secret")
        return _error(403, f"Wrong {SECRET_HEADER} header.")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        metrics.rejected("telegram", "too_large")
        return _error(413, "Update too large.")
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not an Update")
        await channel.accept(data)
    except (ValueError, TypeError, KeyError) as exc:
        logger.warning("rejected a malformed Telegram update: %s", exc)
        metrics.rejected("telegram", "malformed")
        return _error(400, "The body is not a Telegram Update.")
    return Response(status_code=200)


def _rejected(request: Request, reason: str) -> None:
    _gateway(request).metrics.rejected("whatsapp", reason)


async def metrics(request: Request) -> Response:
    """Prometheus text: no token (bind to 127.0.0.1 or protect the path at the proxy)."""
    gateway = _gateway(request)
    await gateway.refresh_metrics()
    return metrics_response(gateway.metrics.exposed)


def create_app(settings: GatewaySettings) -> Starlette:
    """The gateway app; its lifespan builds, starts and stops the gateway."""
    gateway_metrics = GatewayMetrics()  # one registry per app

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gateway = Gateway.build(settings, metrics=gateway_metrics)
        app.state.gateway = gateway
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    routes = [
        Route("/health", health, methods=["GET"]),
        Route(METRICS_PATH, metrics, methods=["GET"]),
        Route("/telegram/webhook", telegram_webhook, methods=["POST"]),
        *whatsapp_routes(_whatsapp, rejected=_rejected),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
