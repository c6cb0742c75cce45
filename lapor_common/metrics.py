"""Prometheus metrics shared by the three processes: one registry per app, one endpoint.

Each app (backend, action server, gateway) builds its own `CollectorRegistry` with
`new_registry()` and creates its collectors on it when the app is built, never at
import time and never on prometheus_client's global registry: tests build many apps
in one process, and each must count only its own work.

`GET /metrics` answers in Prometheus's text format (`render`), with no token: bind
the service to 127.0.0.1 or protect the path at the reverse proxy.

A child process of a service (the gateway's notifier) writes its counters and
histograms with prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`
set for the child only) and the parent adds them to its own (`WithChildProcesses`).

Several worker processes behind one port (`python -m backend serve --workers N`)
each count their own requests, and a scrape reaches one of them: run one worker per
port to scrape each (or one worker per host).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

#: Every metric of ours starts with this.
PREFIX = "lapor_"

#: The path every service serves its metrics on.
METRICS_PATH = "/metrics"

#: Turn and request latency buckets (seconds): a chat turn takes 10 ms to a few seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: The environment variable that puts prometheus_client in multiprocess mode (a child's).
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Called before each scrape: updates the gauges read at scrape time.
Refresh = Callable[[], Awaitable[None]]


def new_registry() -> CollectorRegistry:
    """A registry for one app's own collectors (not the process-wide default)."""
    return CollectorRegistry(auto_describe=True)


class WithChildProcesses(Collector):
    """A registry plus what child processes counted in `directory`, added up.

    Only counters and histograms are taken from the children (their gauges are per
    process and mean nothing summed). A family both count is one family: samples with
    the same name and labels are added; the rest are listed side by side. Counts of a
    child that died stay (its files stay), so the sums never go down while the
    parent lives.
    """

    def __init__(self, registry: CollectorRegistry, directory: Path) -> None:
        self.parent = registry
        self.directory = directory
        #: What to render: this collector alone.
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def collect(self) -> Iterator[Metric]:
        """The parent's families with the children's counts added."""
        families = {family.name: family for family in self.parent.collect()}
        if self.directory.is_dir():
            # prometheus_client's multiprocess module has no type hints.
            children = MultiProcessCollector(None, path=str(self.directory))  # type: ignore[no-untyped-call]
            for child in children.collect():  # type: ignore[no-untyped-call]
                if child.type not in ("counter", "histogram"):
                    continue
                own = families.get(child.name)
                if own is None:
                    families[child.name] = child
                else:
                    _add_samples(own, child)
        return iter(families.values())


def _add_samples(into: Metric, other: Metric) -> None:
    where = {
        (sample.name, tuple(sorted(sample.labels.items()))): i
        for i, sample in enumerate(into.samples)
    }
    for sample in other.samples:
        i = where.get((sample.name, tuple(sorted(sample.labels.items()))))
        if i is None:
            into.samples.append(sample)
        else:
            into.samples[i] = into.samples[i]._replace(value=into.samples[i].value + sample.value)


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
