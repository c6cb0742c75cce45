"""lapor_common.metrics: per-app registries, the endpoint, and children's counts added up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Route

from lapor_common.metrics import (
    MULTIPROCESS_ENV,
    WithChildProcesses,
    metrics_endpoint,
    new_registry,
    render,
    status_class,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_two_registries_count_apart_and_never_use_the_global_one() -> None:
    first, second = new_registry(), new_registry()
    assert first is not REGISTRY and second is not REGISTRY
    Counter("lapor_things", "things", registry=first).inc(2)
    Counter("lapor_things", "things", registry=second).inc(5)  # same name: no clash
    assert samples(render(first)[0])[("lapor_things_total", ())] == 2
    assert samples(render(second)[0])[("lapor_things_total", ())] == 5
    assert REGISTRY.get_sample_value("lapor_things_total") is None


async def test_the_endpoint_refreshes_then_answers_prometheus_text() -> None:
    registry = new_registry()
    gauge = Gauge("lapor_waiting", "waiting", registry=registry)
    refreshed: list[bool] = []

    async def refresh() -> None:
        refreshed.append(True)
        gauge.set(len(refreshed) * 10)

    app = Starlette(routes=[Route("/metrics", metrics_endpoint(registry, refresh))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        await client.get("/metrics")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE  # one charset, as prometheus says
    assert samples(response.content)[("lapor_waiting", ())] == 20


def test_status_classes() -> None:
    assert [status_class(s) for s in (200, 201, 304, 404, 422, 500, 503)] == [
        "2xx",
        "2xx",
        "3xx",
        "4xx",
        "4xx",
        "5xx",
        "5xx",
    ]


CHILD = textwrap.dedent(
    """
    from prometheus_client import Counter, Gauge, Histogram
    from lapor_common.metrics import new_registry

    registry = new_registry()
    sends = Counter("lapor_sends", "sends", ("outcome",), registry=registry)
    sends.labels("sent").inc(3)
    sends.labels("429").inc()
    Histogram("lapor_wait_seconds", "wait", buckets=(1.0,), registry=registry).observe(0.5)
    Gauge("lapor_depth", "depth", registry=registry).set(7)
    """
)


def test_a_childs_counters_and_histograms_are_added_to_the_parents(tmp_path: Path) -> None:
    registry = new_registry()
    sends = Counter("lapor_sends", "sends", ("outcome",), registry=registry)
    sends.labels("sent").inc(2)
    Gauge("lapor_depth", "depth", registry=registry).set(1)
    merged = WithChildProcesses(registry, tmp_path)
    for _ in range(2):  # two child processes one after the other (a restart)
        subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", CHILD],
            env={**os.environ, MULTIPROCESS_ENV: str(tmp_path)},
            check=True,
        )
    body, _ = render(merged.registry)
    found = samples(body)
    assert found[("lapor_sends_total", (("outcome", "sent"),))] == 2 + 3 + 3
    assert found[("lapor_sends_total", (("outcome", "429"),))] == 2
    assert found[("lapor_wait_seconds_count", ())] == 2
    assert found[("lapor_wait_seconds_bucket", (("le", "1.0"),))] == 2
    assert found[("lapor_depth", ())] == 1, "the children's gauges are not added"
    assert body.decode().count("# TYPE lapor_sends_total counter") == 1
    # Without children's files the parent's counts alone.
    alone = samples(render(WithChildProcesses(registry, tmp_path / "none").registry)[0])
    assert alone[("lapor_sends_total", (("outcome", "sent"),))] == 2
