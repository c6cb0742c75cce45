"""A gateway wired to a fake Telegram Bot API, a scripted Rasa and (for files) the real backend."""

from __future__ import annotations

import random
import secrets
import subprocess
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette

from benchmarks.harness import free_port, start_process, stop_process, wait_healthy
from bot.app import create_app
from bot.gateway import Gateway
from bot.settings import GatewaySettings
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.server import ThreadedServer
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory

SECRET = "s3cret-Webhook_token"
WEBHOOK_URL = "https://gateway.example.go.id/telegram/webhook"
BACKEND_TOKEN = "gateway-tests-service-token"
T = TypeVar("T")


def unique_token() -> str:
    """A bot token of its own, so Redis keys of one test never meet another's."""
    return f"{random.randint(10**9, 10**10)}:TEST-{secrets.token_hex(8)}"  # noqa: S311


@pytest.fixture
def telegram() -> Iterator[FakeTelegramAPI]:
    """A fake Bot API server with a token of its own."""
    with FakeTelegramAPI(token=unique_token()) as fake:
        yield fake


@pytest.fixture
def updates(telegram: FakeTelegramAPI) -> UpdateFactory:
    """Update payloads for the fake's bot."""
    return UpdateFactory(token=telegram.token)


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """Rasa's REST channel, echoing by default."""
    with FakeRasa() as fake:
        yield fake


@pytest.fixture(scope="session")
def backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real backend on SQLite, for attachment uploads."""
    data_dir = tmp_path_factory.mktemp("gateway-backend")
    port = free_port()
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "BACKEND_PORT": str(port),
        "BACKEND_API_TOKEN": BACKEND_TOKEN,
        "BACKEND_SECRET_KEY": secrets.token_urlsafe(24),
    }
    log = data_dir / "backend.log"
    process = start_process(["-m", "backend", "serve"], env, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", process, 60, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


def settings_for(
    telegram: FakeTelegramAPI, rasa: FakeRasa | str, backend_url: str = "", **overrides: Any
) -> GatewaySettings:
    """Webhook-mode settings pointing at the fakes (in-process state unless overridden).

    `rasa` is the fake Rasa, or the URL of a real one.
    """
    values: dict[str, Any] = {
        "telegram_bot_token": telegram.token,
        "telegram_webhook_url": WEBHOOK_URL,
        "telegram_webhook_secret": SECRET,
        "telegram_api_base_url": telegram.base_url,
        "rasa_url": rasa if isinstance(rasa, str) else rasa.base_url,
        "rasa_timeout_seconds": 10.0,
        "backend_url": backend_url or "http://127.0.0.1:9",
        "backend_api_token": BACKEND_TOKEN,
        "redis_url": "",
        "telegram_chat_burst": 10,
        "notifier_enabled": False,
        **overrides,
    }
    return GatewaySettings(**values)


class RunningGateway:
    """A gateway app served on a free port, and a client to post webhooks to it."""

    def __init__(self, server: ThreadedServer, app: Starlette) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base_url, timeout=10)
        self._app = app

    @property
    def gateway(self) -> Gateway:
        """The gateway's parts (state, reachability, ...)."""
        gateway: Gateway = self._app.state.gateway
        return gateway

    def post_update(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        """Deliver an update to the webhook as Telegram does."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return self.client.post("/telegram/webhook", json=update, headers=headers)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the gateway's event loop (to read its state)."""
        return self.server.call(coroutine)


@contextmanager
def running(settings: GatewaySettings) -> Iterator[RunningGateway]:
    """Start the gateway app (lifespan included) and stop it afterwards."""
    app = create_app(settings)
    server = ThreadedServer(app, "gateway", lifespan="on")
    server.start(timeout=30)
    started = RunningGateway(server, app)
    try:
        yield started
    finally:
        started.client.close()
        server.stop()


@pytest.fixture
def gateway(telegram: FakeTelegramAPI, rasa: FakeRasa) -> Iterator[RunningGateway]:
    """A webhook-mode gateway on in-process state."""
    with running(settings_for(telegram, rasa)) as started:
        yield started


@contextmanager
def gateway_process(
    settings_env: dict[str, str], log_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m bot` as its own process; yields its URL."""
    port = free_port()
    env = {**settings_env, "GATEWAY_PORT": str(port)}
    process = start_process(["-m", "bot"], env, log_path)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", process, 60, log_path)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop_process(process)
