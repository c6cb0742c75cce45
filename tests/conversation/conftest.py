"""Fixtures that train the Rasa model and start the whole assistant as processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.harness import start_process, stop_process, wait_healthy
from scripts.rasa_model import MODEL, RASA_ENV, train
from scripts.stack import embedded_stack, free_ports, stack_processes
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.gateway.conftest import RunningGateway, running, settings_for, unique_token

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).parent / "rasa")


def rasa_command(*args: str) -> list[str]:
    """A `rasa` command line run from the project root."""
    return [RASA, *args]


def run_rasa(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """Run a rasa command and return its result (output captured)."""
    return subprocess.run(  # noqa: S603 - our own virtualenv's rasa
        rasa_command(*args),
        cwd=ROOT,
        env={**os.environ, **RASA_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The assistant's model, trained when its inputs changed."""
    result = train(MODEL)
    if result is not None:
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert MODEL.exists()
    return MODEL


@dataclass
class Assistant:
    """The running assistant: backend, action server and Rasa."""

    backend_url: str
    rasa_url: str
    backend_token: str
    rasa_token: str
    data_dir: Path

    def say(
        self, sender: str, text: str, metadata: dict[str, object] | None = None
    ) -> list[dict[str, object]]:
        """Send one message through Rasa's REST channel and return the replies."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
        response.raise_for_status()
        replies: list[dict[str, object]] = response.json()
        return replies


@contextmanager
def assistant_stack(
    model: Path, data_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Assistant]:
    """Backend, action server and Rasa on free ports with embedded defaults (SQLite)."""
    ports = free_ports()
    stack_env, endpoints = embedded_stack(data_dir, ports, "e2e-service-token")
    env = {
        **os.environ,
        **RASA_ENV,
        **stack_env,
        "PENDING_RETRY_SECONDS": "1",
        # The stack's own gateway has no channel (no bot token): its notifier would take
        # every status update from the backend's outbox and fail it ("no telegram channel
        # on this gateway"). Tests that want status updates run a notifier of their own.
        "NOTIFIER_ENABLED": "false",
        **(extra_env or {}),
    }
    specs = stack_processes(ports, endpoints, model, "e2e-rasa-token")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for spec in specs:
            log = data_dir / f"{spec.name}.log"
            process = start_process(spec.command, env, log)
            processes.append(process)
            wait_healthy(spec.health_url, process, timeout=300, log_path=log)
        yield Assistant(
            backend_url=f"http://127.0.0.1:{ports.backend}",
            rasa_url=f"http://127.0.0.1:{ports.rasa}",
            backend_token="e2e-service-token",
            rasa_token="e2e-rasa-token",
            data_dir=data_dir,
        )
    finally:
        for process in reversed(processes):
            stop_process(process)


@pytest.fixture(scope="session")
def assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """Backend, action server and Rasa on free ports with embedded defaults (SQLite)."""
    with assistant_stack(trained_model, tmp_path_factory.mktemp("assistant")) as running:
        yield running


@contextmanager
def notifying_gateway(
    assistant: Assistant, telegram: FakeTelegramAPI, data_dir: Path, turn_seconds: float
) -> Iterator[RunningGateway]:
    """A webhook gateway in front of `assistant`, its notifier on the backend's outbox."""
    settings = settings_for(
        telegram,
        assistant.rasa_url,
        assistant.backend_url,
        backend_api_token=assistant.backend_token,
        rasa_api_token=assistant.rasa_token,
        rasa_timeout_seconds=turn_seconds,
        data_dir=data_dir,
        gateway_database_url="",
        redis_url="",
        notifier_enabled=True,
    )
    with running(settings) as started:
        assert started.gateway.notifier is not None
        yield started


@pytest.fixture
def telegram() -> Iterator[FakeTelegramAPI]:
    """A fake Bot API server of its own for each test."""
    with FakeTelegramAPI(token=unique_token()) as fake:
        yield fake


def wait_until(condition: Callable[[], Any], seconds: float = 60.0) -> Any:
    """The first truthy value of `condition()`, polled for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds} s")
