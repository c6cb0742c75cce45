"""The action server: rasa_sdk's web app plus the retry loop for kept reports.

Run with `python -m actions.server`. `GET /health` answers 200 once it is up; `GET
/metrics` is Prometheus text (no token: bind to 127.0.0.1 or protect it at the proxy).
Every other path (rasa_sdk's `/webhook`, `/actions`) answers only a caller with the
shared secret `ACTIONS_TOKEN` (`Authorization: Bearer ...`), which Rasa sends from
endpoints.yml: without it anyone who reaches the port could run an action as any chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import zlib
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from actions.metrics import get_metrics
from actions.services import get_services
from actions.settings import get_settings
from actions.submission import submit_pending
from lapor_common.logs import (
    configure_logging,
    new_request_id,
    request_id_from_metadata,
    request_id_var,
)
from lapor_common.metrics import METRICS_PATH, render

logger = logging.getLogger(__name__)


async def retry_pending_forever(interval: float) -> None:
    """Every `interval` seconds, send reports kept while the backend was down."""
    while True:
        await asyncio.sleep(interval)
        services = get_services()
        try:
            sent = await submit_pending(services.pending, services.backend)
        except Exception:  # a bad round must not stop the loop
            logger.exception("retrying kept reports failed")
            continue
        if sent:
            logger.info("sent %d kept report(s) to the backend", sent)


#: Paths anyone on the interface may ask: readiness and Prometheus.
OPEN_PATHS = frozenset({"/health", METRICS_PATH})


def authorised(header: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries `token` (never true for an empty one)."""
    scheme, _, given = (header or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def install_auth(app: Sanic, token: str) -> None:
    """Refuse every call but `OPEN_PATHS` without `Authorization: Bearer <token>`."""

    async def _check(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorised(request.headers.get("Authorization"), token):
            return None
        logger.warning("refused a call to %s without the action server's token", request.path)
        return json_response(
            {"error": "This action server answers only Rasa: send its ACTIONS_TOKEN."},
            status=401,
        )

    app.register_middleware(_check, "request")


def create_action_app(token: str | None = None) -> Sanic:
    """rasa_sdk's app with our actions, the token check, the retry loop and clean shutdown.

    `token` defaults to the `ACTIONS_TOKEN` setting; an empty one refuses every call.
    """
    from rasa_sdk.endpoint import create_app

    app: Sanic = create_app("actions")
    settings = get_settings()
    install_auth(app, settings.actions_token if token is None else token)
    install_request_ids(app)
    install_metrics(app)

    @app.after_server_start
    async def _start(app: Sanic, _loop: Any) -> None:
        services = get_services()
        _ = services.classifier  # load or train the classifier before the first turn
        app.ctx.retry_task = asyncio.create_task(
            retry_pending_forever(settings.pending_retry_seconds)
        )

    @app.before_server_stop
    async def _stop(app: Sanic, _loop: Any) -> None:
        task = getattr(app.ctx, "retry_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await get_services().close()

    return app


def action_call(request: Request) -> Any:
    """The body of a call to `/webhook`, as rasa_sdk reads it (deflate or plain JSON)."""
    if request.headers.get("Content-Encoding") == "deflate":
        return json.loads(zlib.decompress(request.body))
    return request.json


def request_id_of_call(call: Any) -> str | None:
    """The gateway's request ID in the tracker's latest message (Rasa passes metadata on)."""
    if not isinstance(call, dict):
        return None
    tracker = call.get("tracker")
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    return request_id_from_metadata(metadata if isinstance(metadata, dict) else None)


def install_request_ids(app: Sanic) -> None:
    """Every action call logs under the turn's request ID (a new one without it)."""

    async def _adopt(request: Request) -> None:
        if request.path != "/webhook" or request.method != "POST":
            return
        try:
            request_id = request_id_of_call(action_call(request))
        except (ValueError, zlib.error):
            request_id = None
        request_id_var.set(request_id or new_request_id())

    app.register_middleware(_adopt, "request")


def install_metrics(app: Sanic) -> None:
    """`GET /metrics`, and every action call counted (by name; fallbacks apart)."""

    async def _count_action(request: Request) -> None:
        if request.path == "/webhook" and request.method == "POST":
            try:
                call = action_call(request)
            except (ValueError, zlib.error):  # rasa_sdk answers it; nothing to count
                return
            get_metrics().action_called(call)

    app.register_middleware(_count_action, "request")

    async def metrics(request: Request) -> HTTPResponse:
        scraped = get_metrics()
        await scraped.refresh(get_services().pending)
        body, content_type = render(scraped.registry)
        return HTTPResponse(body, content_type=content_type)

    app.add_route(metrics, METRICS_PATH, methods=["GET"])


def main() -> None:
    """Serve the actions on ACTIONS_HOST:ACTIONS_PORT."""
    configure_logging("actions")
    settings = get_settings()
    if not settings.actions_token:
        raise SystemExit(
            "ACTIONS_TOKEN is not set: Rasa must authenticate to the action server. Set the "
            "same secret for both (`make run` generates one in var/local-secrets.env)."
        )
    app = create_action_app()
    app.run(settings.actions_host, settings.actions_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
