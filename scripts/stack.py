"""The assistant's processes and how to tell they are ready (for `make run`, tests, benchmarks)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ports:
    """Where each service listens."""

    backend: int
    actions: int
    rasa: int


@dataclass(frozen=True)
class StackProcess:
    """One service: its command line and its readiness URL."""

    name: str
    command: list[str]
    health_url: str


def stack_processes(
    ports: Ports, endpoints: Path, model: Path, rasa_token: str, rasa_host: str = "127.0.0.1"
) -> list[StackProcess]:
    """Backend, action server and Rasa (REST channel, token-protected HTTP API), in start order.

    Each process reads the rest of its settings from the environment.
    """
    python = sys.executable
    return [
        StackProcess(
            "backend",
            [python, "-m", "backend", "serve"],
            f"http://127.0.0.1:{ports.backend}/health",
        ),
        StackProcess(
            "actions",
            [python, "-m", "actions.server"],
            f"http://127.0.0.1:{ports.actions}/health",
        ),
        StackProcess(
            "rasa",
            [
                python,
                "-m",
                "rasa",
                "run",
                "--enable-api",
                "--auth-token",
                rasa_token,
                "--port",
                str(ports.rasa),
                "--interface",
                rasa_host,
                "--model",
                str(model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                "credentials.yml",
            ],
            f"http://127.0.0.1:{ports.rasa}/version",
        ),
    ]
