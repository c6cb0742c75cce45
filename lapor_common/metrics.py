"""Prometheus metrics shared by the three processes: one registry per app, one endpoint.

Each app (backend, action server, gateway) builds its own `CollectorRegistry` with
`new_registry()` and creates its collectors on it when the app is built, never at
import time and never on prometheus_client's global registry: tests build many apps
in one process, and each must count only its own work.

`GET /metrics` answers in Prometheus's text format (`render`), with no token: bind
the service to 127.0.0.1 or protect the path at the reverse proxy.

Several worker processes behind one port (`python -m backend serve --workers N`)
each count their own requests, and a scrape reaches one of them: run one worker per
port to scrape each (or one worker per host), until multiprocess mode is wired in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

#: Every metric of ours starts with this.
PREFIX = "lapor_"

#: The path every service serves its metrics on.
METRICS_PATH = "/metrics"

#: Turn and request latency buckets (seconds): a chat turn takes 10 ms to a few seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: Called before each scrape: updates the gauges read at scrape time.
Refresh = Callable[[], Awaitable[None]]


def new_registry() -> CollectorRegistry:
    """A registry for one app's own collectors (not the process-wide default)."""
    return CollectorRegistry(auto_describe=True)


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus's text format, and the content type to send it with."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_response(registry: CollectorRegistry) -> Response:
    """`render` as a Starlette response (the content type exactly as prometheus_client says)."""
    body, content_type = render(registry)
    # Not media_type: Starlette would append a second charset to a text/ type.
    return Response(body, headers={"Content-Type": content_type})


def metrics_endpoint(
    registry: CollectorRegistry, refresh: Refresh | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint for `GET /metrics`; `refresh` runs first (gauges read at scrape)."""

    async def metrics(request: Request) -> Response:
        if refresh is not None:
            await refresh()
        return metrics_response(registry)

    return metrics


def status_class(status: int) -> str:
    """`2xx`, `4xx`, `5xx`... for an HTTP status: few label values whatever the status."""
    return f"{status // 100}xx"
