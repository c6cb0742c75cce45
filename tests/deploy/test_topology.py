"""The shipped deployment files: systemd units and nginx, run as shipped.

`systemd-analyze verify` checks every unit (with the install prefix pointing at this
checkout, so their commands must exist); then two backend workers and two action
servers start from their units' own commands behind nginx (`deploy/nginx/lapor.conf`,
TLS with a throw-away certificate) on fresh PostgreSQL databases. Through nginx:
reports are filed while one backend worker is killed with SIGKILL and restarted, and
each is stored exactly once; the private side balances the action servers and keeps
their token check; what must stay internal is not reachable from the public side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.topology import (
    NGINX_CONF,
    UNIT_DIR,
    Prometheus,
    Topology,
    file_report,
    render_nginx,
    shipped_ports,
    stored_reports,
    topology,
)
from tests.deploy.conftest import debian_tool, run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def nginx() -> str:
    """nginx from Debian's `nginx-light` package."""
    return debian_tool("nginx", "nginx-light")


@pytest.fixture(scope="module")
def running(nginx: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """Two backends and two action servers behind nginx, from the shipped files."""
    with topology(tmp_path_factory.mktemp("topology")) as topo:
        yield topo


def test_every_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = debian_tool("systemd-analyze", "systemd")
    names = []
    for shipped in sorted(UNIT_DIR.iterdir()):
        (tmp_path / shipped.name).write_text(shipped.read_text().replace("/opt/lapor", str(ROOT)))
        names.append(
            f"./{shipped.name.replace('@.', '@8000.')}"
            if "@." in shipped.name
            else f"./{shipped.name}"
        )
    assert len(names) == 8
    checked = run([analyze, "verify", *names], cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr


def test_every_port_of_the_nginx_file_is_swapped() -> None:
    conf = NGINX_CONF.read_text()
    ports = shipped_ports(conf)
    assert {80, 443, 8080, 8081, 5005, 5006, 5055, 5056, 8000, 8001, 5100, 5150, 8100} == set(ports)
    rendered = render_nginx(conf, {p: 20_000 + i for i, p in enumerate(ports)}, Path("/x"))
    assert not set(shipped_ports(rendered)) & set(ports)
    with pytest.raises(ValueError, match="no port"):
        render_nginx(conf, {}, Path("/x"))


def test_reports_filed_through_nginx_survive_a_killed_backend(running: Topology) -> None:
    backend = running.instances["backend"][0]
    before = stored_reports(running.database_url)
    stop = threading.Event()
    answers: dict[int, int] = {}
    filed_at: dict[int, float] = {}

    def client_loop(worker: int) -> None:
        n = worker
        with httpx.Client(verify=False, timeout=10) as client:  # noqa: S501 - our test certificate
            while not stop.is_set():
                answers[n] = file_report(client, running, n)[0]
                filed_at[n] = time.monotonic()
                n += 4

    threads = [threading.Thread(target=client_loop, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    backend.kill()  # kill -9 mid-load
    killed = time.monotonic()
    time.sleep(2.0)
    restarted = time.monotonic()
    backend.start()
    recovery = backend.wait_healthy(f"http://127.0.0.1:{backend.instance}/health")
    time.sleep(1.0)  # and a while with both again
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert answers and set(answers.values()) == {201}
    # The other worker kept filing while this one was down, and filing went on after.
    assert sum(killed < at < restarted for at in filed_at.values()) > 10
    assert max(filed_at.values()) > restarted + recovery
    assert backend.starts == 2 and recovery < 60
    total, distinct = stored_reports(running.database_url)
    assert (total - before[0], distinct - before[1]) == (len(answers), len(answers))  # once each


def test_the_public_side_answers_over_tls_and_hides_the_internals(running: Topology) -> None:
    with httpx.Client(verify=False, timeout=10) as client:  # noqa: S501 - our test certificate
        assert client.get(running.url("/health")).status_code == 200
        assert client.get(running.url("/metrics")).status_code == 404
        assert client.get(running.url("/admin/login")).status_code == 200
        plain = client.get(
            running.url("/health")
            .replace("https://", "http://")
            .replace(
                f":{running.public_port}",
                f":{running.nginx.ports[80]}",  # type: ignore[union-attr]
            ),
            follow_redirects=False,
        )
        assert plain.status_code == 301
        assert plain.headers["location"].startswith("https://")


def test_the_private_side_balances_the_action_servers_with_their_token(running: Topology) -> None:
    assert running.nginx is not None
    url = f"http://127.0.0.1:{running.nginx.ports[5150]}/webhook"
    call = {"next_action": "action_listen", "sender_id": "telegram:1", "tracker": {}}
    refused = httpx.post(url, json=call, timeout=10)
    assert refused.status_code == 401
    for instance in running.instances["actions"]:
        instance_url = f"http://127.0.0.1:{instance.instance}/health"
        assert httpx.get(instance_url, timeout=5).status_code == 200
    # One action server down: the balancer still answers from the other.
    running.instances["actions"][0].kill()
    try:
        for _ in range(4):
            health = httpx.get(url.replace("/webhook", "/health"), timeout=10)
            assert health.status_code == 200
    finally:
        running.instances["actions"][0].start()
        running.instances["actions"][0].wait_healthy(
            f"http://127.0.0.1:{running.instances['actions'][0].instance}/health"
        )


@pytest.fixture(scope="module")
def prometheus(running: Topology) -> Iterator[Prometheus]:
    """Prometheus on the shipped scrape config, scraping this run's instances."""
    debian_tool("prometheus", "prometheus")
    assert running.nginx is not None
    server = Prometheus(running.run_dir, running.nginx.ports)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_prometheus_counts_what_was_filed_through_both_backends(
    running: Topology, prometheus: Prometheus
) -> None:
    assert wait_for(lambda: prometheus.targets_up("lapor-backend") == 2)
    assert wait_for(lambda: prometheus.targets_up("lapor-actions") == 2)
    filed = 'sum(lapor_reports_filed_total{job="lapor-backend"})'
    assert wait_for(lambda: prometheus.query(filed) is not None)
    time.sleep(1.5)  # one more scrape, so the baseline is current
    before = prometheus.query(filed) or 0.0
    with httpx.Client(verify=False, timeout=10) as client:  # noqa: S501 - our test certificate
        for n in range(60):
            assert file_report(client, running, 1_000_000 + n)[0] == 201
    assert wait_for(lambda: (prometheus.query(filed) or 0.0) - before == 60), (
        before,
        prometheus.query(filed),
    )
    # Both workers took a share (nginx balanced them).
    per_instance = httpx.get(
        prometheus.url("/api/v1/query"),
        params={"query": 'lapor_reports_filed_total{job="lapor-backend"}'},
        timeout=10,
    ).json()["data"]["result"]
    assert len({sample["metric"]["instance"] for sample in per_instance}) == 2
