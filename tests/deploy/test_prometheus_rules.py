"""deploy/prometheus: the alert rules and scrape config load, and name only our metrics.

`promtool` (Debian's `prometheus` package) checks the files and runs the rules' unit
tests (`alerts_test.yml`); it is installed here when missing and this runs as root,
and its absence fails in CI.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.metrics import ActionMetrics
from backend.metrics import BackendMetrics
from bot.metrics import GatewayMetrics
from lapor_common.metrics import render
from tests.deploy.conftest import debian_tool, run

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
ALERT_TESTS = PROMETHEUS_DIR / "alerts_test.yml"

#: The suffixes Prometheus adds to a family's samples.
SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_created")


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def rules() -> list[dict[str, Any]]:
    return [rule for group in load(ALERTS)["groups"] for rule in group["rules"]]


def exposed_names() -> set[str]:
    """Every sample name the three services can expose (from their real collectors)."""
    names: set[str] = set()
    for metrics in (BackendMetrics(), GatewayMetrics(), ActionMetrics()):
        for family in metrics.registry.collect():
            names.add(family.name)
            names.update(f"{family.name}{suffix}" for suffix in SUFFIXES)
    return names


def test_every_rule_alerts_with_a_severity_and_a_summary() -> None:
    found = rules()
    names = [rule["alert"] for rule in found]
    assert len(names) == len(set(names)), "alert names must be unique"
    assert {
        "LaporServiceDown",
        "LaporNotifierLagging",
        "LaporNoDeliveriesWhileEventsWait",
        "LaporHighFallbackRate",
        "LaporBackendErrors",
    } <= set(names)
    for rule in found:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule["alert"]


def test_rules_name_only_metrics_the_services_expose() -> None:
    exposed = exposed_names()
    for rule in rules():
        for name in re.findall(r"\blapor_\w+", rule["expr"]):
            assert name in exposed, f"{rule['alert']} uses {name}, which nothing exposes"
    assert any(family.startswith("lapor_") for family in exposed)


def test_the_scrape_config_covers_the_two_instances_of_each_service_and_loads_the_rules() -> None:
    config = load(CONFIG)
    assert config["rule_files"] == ["alerts.yml"]
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    assert targets == {
        "lapor-backend": ["127.0.0.1:8000", "127.0.0.1:8001"],
        "lapor-actions": ["127.0.0.1:5055", "127.0.0.1:5056"],
        "lapor-gateway": ["127.0.0.1:8080", "127.0.0.1:8081"],
    }
    assert all(job["metrics_path"] == "/metrics" for job in config["scrape_configs"])
    job_pattern = re.compile(r'job=~"lapor-\.\*"')
    assert any(job_pattern.search(rule["expr"]) for rule in rules())


def test_collectors_render_every_family_with_our_prefix() -> None:
    for metrics in (BackendMetrics(), GatewayMetrics(), ActionMetrics()):
        body, content_type = render(metrics.registry)
        assert content_type.startswith("text/plain; version=0.0.4")
        families = re.findall(r"^# TYPE (\S+) ", body.decode(), flags=re.MULTILINE)
        assert families and all(name.startswith("lapor_") for name in families)


@pytest.fixture(scope="module")
def promtool() -> Iterator[str]:
    """`promtool`, from Debian's `prometheus` package (installed when missing, as root)."""
    yield debian_tool("promtool", "prometheus")


def run_promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run([promtool, *args], cwd=PROMETHEUS_DIR)


def test_promtool_accepts_the_rules_and_the_config(promtool: str) -> None:
    rules_check = run_promtool(promtool, "check", "rules", ALERTS.name)
    assert rules_check.returncode == 0, rules_check.stdout + rules_check.stderr
    config_check = run_promtool(promtool, "check", "config", CONFIG.name)
    assert config_check.returncode == 0, config_check.stdout + config_check.stderr


def test_the_alerts_fire_as_their_unit_tests_expect(promtool: str) -> None:
    result = run_promtool(promtool, "test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def used_metrics() -> list[tuple[str, bytes]]:
    """Each service's exposition after some counting (labelled series present)."""
    backend, gateway, actions = BackendMetrics(), GatewayMetrics(), ActionMetrics()
    backend.report_filed("telegram")
    backend.request_seconds.labels("GET", "/health", "2xx").observe(0.01)
    gateway.turn("telegram", 0.2)
    gateway.sent("whatsapp", "429")
    gateway.rejected("telegram", "bad_secret")
    gateway.notified("telegram", "sent")
    actions.action_called({"next_action": "action_fallback"})
    actions.form_abandoned("complaint_location", None)
    return [
        (name, render(metrics.registry)[0])
        for name, metrics in (("backend", backend), ("gateway", gateway), ("actions", actions))
    ]


def test_promtool_finds_nothing_to_lint_in_the_exposition(promtool: str) -> None:
    for name, body in used_metrics():
        result = run([promtool, "check", "metrics"], input=body.decode())
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        assert result.stdout.strip() == "" and result.stderr.strip() == "", name
