"""The assistant's processes and how to tell they are ready (for `make run`, tests, benchmarks)."""

from __future__ import annotations

import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from scripts.rasa_endpoints import write_endpoints

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ports:
    """Where each service listens."""

    backend: int
    actions: int
    rasa: int
    gateway: int


@dataclass(frozen=True)
class StackProcess:
    """One service: its command line and its readiness URL."""

    name: str
    command: list[str]
    health_url: str


def stack_processes(
    ports: Ports, endpoints: Path, model: Path, rasa_token: str, rasa_host: str = "127.0.0.1"
) -> list[StackProcess]:
    """Backend, action server, Rasa (REST channel, token-protected HTTP API) and the
    channel gateway, in start order.

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
                "rasa_runtime",  # `rasa run` with fixes for known Rasa 3.6 costs
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
        StackProcess(
            "gateway",
            [python, "-m", "bot"],
            f"http://127.0.0.1:{ports.gateway}/health",
        ),
    ]


def free_ports() -> Ports:
    """Four TCP ports nobody listens on right now."""
    sockets = [socket.socket() for _ in range(4)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        backend, actions, rasa, gateway = (int(sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    return Ports(backend=backend, actions=actions, rasa=rasa, gateway=gateway)


def embedded_stack(data_dir: Path, ports: Ports, backend_token: str) -> tuple[dict[str, str], Path]:
    """Environment and Rasa endpoints of a throw-away stack on embedded defaults.

    Everything lives under `data_dir` (SQLite databases, uploads, the tracker store);
    the classifier model is shared with the project's `var/models`.
    """
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "BACKEND_PORT": str(ports.backend),
        "ACTIONS_PORT": str(ports.actions),
        "RASA_PORT": str(ports.rasa),
        "GATEWAY_PORT": str(ports.gateway),
        "BACKEND_API_TOKEN": backend_token,
        "ACTIONS_TOKEN": secrets.token_urlsafe(24),
        "BACKEND_SECRET_KEY": secrets.token_urlsafe(24),
        "CLASSIFIER_MODEL_DIR": str(ROOT / "var" / "models"),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    endpoints = write_endpoints(
        ROOT / "endpoints.yml",
        data_dir / "endpoints.yml",
        ports.actions,
        f"sqlite:///{data_dir / 'tracker.db'}",
        None,
    )
    return env, endpoints
