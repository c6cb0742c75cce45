"""A WhatsApp gateway wired to the fake Graph API, a scripted Rasa and (for files) the backend.

Until the channel is wired into `bot/app.py`, the tests serve a small Starlette app
built from `bot.whatsapp.routes` and a `WhatsAppChannel`, the way the gateway will.
The fixtures `rasa` and `backend_url` come from `tests/gateway/conftest.py`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import redis
from starlette.applications import Starlette
from starlette.requests import Request

from bot.attachments import AttachmentUploader, backend_http_client
from bot.rasa import RasaClient, rasa_http_client
from bot.ratelimit import KEY_PREFIX as RATE_PREFIX
from bot.ratelimit import MemorySlotStore, RateLimiter, RedisSlotStore, SlotStore
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay
from bot.replies import ReplyCatalogue
from bot.shared_state import KEY_PREFIX, MemoryState, RedisState, SharedState
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.envelope import StatusUpdate
from bot.whatsapp.routes import whatsapp_routes
from bot.whatsapp.settings import WhatsAppSettings
from tests.conftest import REDIS_URL, service_missing
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.server import ThreadedServer
from tests.fakes.whatsapp_api import ACCESS_TOKEN, FakeGraphAPI
from tests.gateway.conftest import BACKEND_TOKEN

APP_SECRET = "wa-app-secret-5f2c"
VERIFY_TOKEN = "verify-me-7d1e"
CATALOGUE = ReplyCatalogue.from_domain()
T = TypeVar("T")


def gateway_text(name: str, language: str = "id") -> str:
    """A gateway reply from domain.yml."""
    return CATALOGUE.text(name, language)


def new_citizen() -> str:
    """An Indonesian WhatsApp ID of its own, so tests never share a citizen."""
    return "628" + str(secrets.randbelow(10**10)).zfill(10)


class Clock:
    """A settable clock for the 24-hour window (starts at the real time)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    """A fake Graph API."""
    with FakeGraphAPI() as fake:
        yield fake


@pytest.fixture
def payloads(graph: FakeGraphAPI) -> wp.WebhookFactory:
    """Webhook payloads for the fake's phone number."""
    return wp.WebhookFactory(phone_number_id=graph.phone_number_id)


def settings_for(
    graph: FakeGraphAPI, tmp_path: Path, database_url: str = "", **overrides: Any
) -> WhatsAppSettings:
    """Settings pointing at the fake, with fast retries and a SQLite store in `tmp_path`."""
    values: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "phone_number_id": graph.phone_number_id,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "api_base_url": graph.base_url,
        "messages_per_second": 1000.0,
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.3,
        "timeout_seconds": 5.0,
        "data_dir": tmp_path,
        "gateway_database_url": database_url,
        **overrides,
    }
    return WhatsAppSettings(**values)


@dataclass
class Services:
    """Where the gateway finds Rasa, the backend and Redis."""

    rasa_url: str
    backend_url: str = "http://127.0.0.1:9"
    redis_url: str = ""


class RunningWhatsApp:
    """The served app, a client to call its webhook as Meta does, and its parts."""

    def __init__(self, server: ThreadedServer, app: Starlette, secret: str = APP_SECRET) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base_url, timeout=10)
        self._app = app
        self._secret = secret
        self.statuses: list[StatusUpdate] = []

    @property
    def channel(self) -> WhatsAppChannel:
        """The channel."""
        channel: WhatsAppChannel = self._app.state.whatsapp
        return channel

    @property
    def reachability(self) -> ReachabilityRegistry:
        """The gateway's reachability registry."""
        registry: ReachabilityRegistry = self._app.state.reachability
        return registry

    def post(
        self,
        delivery: dict[str, Any],
        *,
        signature: str | None = "sign",
        escape_unicode: bool = True,
    ) -> httpx.Response:
        """Deliver a webhook, signed as Meta signs it (or with `signature` as given)."""
        body = wp.encode(delivery, escape_unicode=escape_unicode)
        return self.post_raw(body, signature=signature)

    def post_raw(self, body: bytes, *, signature: str | None = "sign") -> httpx.Response:
        """POST raw bytes; `signature="sign"` signs them with the app secret."""
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Hub-Signature-256"] = wp.sign(body, self._secret)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.client.post("/whatsapp/webhook", content=body, headers=headers)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the gateway's event loop."""
        return self.server.call(coroutine, timeout)

    def drain(self, timeout: float = 20) -> None:
        """Wait until every queued message and status is handled."""
        assert self.run(self.channel.drain(timeout), timeout + 5), "the gateway did not settle"


def build_app(
    settings: WhatsAppSettings, services: Services, clock: Clock | None = None
) -> Starlette:
    """The gateway's WhatsApp side as a Starlette app (what `bot/app.py` will mount)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state: SharedState
        slots: SlotStore
        if services.redis_url:
            redis_state = RedisState.from_url(services.redis_url)
            state, slots = redis_state, RedisSlotStore(redis_state.client)
        else:
            state, slots = MemoryState(), MemorySlotStore()
        reachability = ReachabilityRegistry(state)
        rasa_http, backend_http = rasa_http_client(10.0), backend_http_client()
        relay = ConversationRelay(
            RasaClient(rasa_http, services.rasa_url), CATALOGUE, state, reachability, 60.0
        )
        uploader = AttachmentUploader(backend_http, services.backend_url, BACKEND_TOKEN)
        received: list[StatusUpdate] = []

        async def listener(status: StatusUpdate) -> None:
            received.append(status)

        options: dict[str, Any] = {} if clock is None else {"clock": clock}
        channel = WhatsAppChannel.build(
            settings,
            relay,
            state,
            RateLimiter(slots),
            reachability,
            uploader,
            listener,
            **options,
        )
        app.state.whatsapp = channel
        app.state.reachability = reachability
        app.state.statuses = received
        await channel.start()
        try:
            yield
        finally:
            await channel.stop()
            await rasa_http.aclose()
            await backend_http.aclose()
            await state.close()

    def channel_of(request: Request) -> WhatsAppChannel | None:
        channel: WhatsAppChannel | None = getattr(request.app.state, "whatsapp", None)
        return channel

    return Starlette(routes=whatsapp_routes(channel_of), lifespan=lifespan)


@contextmanager
def running(
    settings: WhatsAppSettings, services: Services, clock: Clock | None = None
) -> Iterator[RunningWhatsApp]:
    """Serve the app (lifespan included) and stop it afterwards."""
    app = build_app(settings, services, clock)
    server = ThreadedServer(app, "whatsapp-gateway", lifespan="on")
    server.start(timeout=30)
    started = RunningWhatsApp(server, app)
    started.statuses = app.state.statuses
    try:
        yield started
    finally:
        started.client.close()
        server.stop()


@pytest.fixture
def clock() -> Clock:
    """The gateway's clock."""
    return Clock()


@pytest.fixture
def whatsapp(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path, clock: Clock
) -> Iterator[RunningWhatsApp]:
    """A gateway on in-process state and a SQLite store."""
    with running(settings_for(graph, tmp_path), Services(rasa.base_url), clock) as started:
        yield started


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TEST_REDIS_URL, once it answers (fail in CI, skip elsewhere when it does not)."""
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_cleanup(redis_url: str) -> Iterator[str]:
    """Yields the Redis URL; the WhatsApp keys (claims, payloads, rate) are deleted afterwards."""
    yield redis_url
    client: redis.Redis[str] = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = list(client.scan_iter(match=f"{KEY_PREFIX}whatsapp:*"))
        keys += list(client.scan_iter(match=f"{RATE_PREFIX}whatsapp:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
