"""The gateway's `/metrics`: counters moved by real work through the app and its parts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from bot.delivery import DeliveryResult
from bot.metrics import GatewayMetrics
from bot.notifier.backend import DeliveryReporter
from bot.notifier.conversation_log import ConversationLog
from bot.notifier.service import Notifier
from bot.notifier.sources import GROUP, stream_backlog
from bot.notifier.store import DeliveryStore, metadata
from bot.rasa import RasaClient
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay, InboundMessage
from bot.replies import ReplyCatalogue
from bot.shared_state import MemoryState
from lapor_common.metrics import render
from tests.bot.fakes import FakeOutbox
from tests.bot.notifier.test_service import FakeSender, FakeServices, ListSource, delivery, event
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_updates import UpdateFactory
from tests.fakes.whatsapp_api import FakeGraphAPI
from tests.gateway.conftest import SECRET, RunningGateway, running, settings_for, unique_token
from tests.gateway.test_notifier_end_to_end import running_stack

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
APP_SECRET = "metrics-app-secret"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample by name and sorted labels; every family must be ours."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("lapor_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def scrape(gateway: RunningGateway) -> Samples:
    response = gateway.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    return parse(response.text)


def scrape_after_turn(gateway: RunningGateway, channel: str, timeout: float = 10.0) -> Samples:
    """Scrape once the turn is over (its reply may reach the platform a moment before)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(gateway)
        done = value(samples, "lapor_conversation_turns_total", channel=channel) >= 1
        if done or time.monotonic() > deadline:
            return samples
        time.sleep(0.02)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def registry_samples(metrics: GatewayMetrics) -> Samples:
    body, _ = render(metrics.registry)
    return parse(body.decode())


@pytest.fixture
def telegram() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI(token=unique_token()) as fake:
        yield fake


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    with FakeRasa() as fake:
        yield fake


def test_telegram_turns_rejections_and_sends_are_counted(
    telegram: FakeTelegramAPI, rasa: FakeRasa
) -> None:
    updates = UpdateFactory(token=telegram.token)
    telegram.fail_next("sendMessage", kind="retry_after", retry_after=1)
    with running(settings_for(telegram, rasa)) as gateway:
        assert gateway.post_update(updates.text(8101, "halo"), secret=None).status_code == 401
        assert gateway.post_update(updates.text(8101, "halo"), secret="wrong").status_code == 403
        malformed = gateway.client.post(
            "/telegram/webhook",
            content=b"{not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert malformed.status_code == 400
        assert gateway.post_update(updates.text(8101, "jalan rusak")).status_code == 200
        telegram.wait_for(lambda tg: tg.sent_texts(8101) == ["echo: jalan rusak"])
        samples = scrape_after_turn(gateway, "telegram")
    for reason in ("missing_secret", "bad_secret", "malformed"):
        assert (
            value(samples, "lapor_webhook_rejections_total", channel="telegram", reason=reason) == 1
        )
    assert value(samples, "lapor_conversation_turns_total", channel="telegram") == 1
    assert value(samples, "lapor_conversation_turn_duration_seconds_count", channel="telegram") == 1
    assert value(samples, "lapor_rasa_failures_total", channel="telegram") == 0
    # The reply met one 429, then went out: two attempts.
    assert value(samples, "lapor_sends_total", channel="telegram", outcome="429") == 1
    assert value(samples, "lapor_sends_total", channel="telegram", outcome="sent") == 1
    assert value(samples, "lapor_notifier_queue_depth") == 0  # no Redis: nothing read


def test_whatsapp_bad_signature_turn_and_rate_limit_are_counted(
    telegram: FakeTelegramAPI, rasa: FakeRasa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeGraphAPI() as graph:
        for name, setting in {
            "WHATSAPP_ACCESS_TOKEN": graph.access_token,
            "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": "verify-me",
            "WHATSAPP_API_BASE_URL": graph.base_url,
            "WHATSAPP_RETRY_BASE_SECONDS": "0.05",
            "WHATSAPP_RETRY_MAX_SECONDS": "0.1",
            "DATA_DIR": str(tmp_path),
        }.items():
            monkeypatch.setenv(name, setting)
        payloads = wp.WebhookFactory(phone_number_id=graph.phone_number_id)
        graph.fail_next(130429, to="6281200000001")
        with running(settings_for(telegram, rasa)) as gateway:
            body = json.dumps(payloads.delivery([payloads.text("6281200000001", "halo")])).encode()
            headers = {"Content-Type": "application/json"}
            bad = {**headers, "X-Hub-Signature-256": wp.sign(body, "another-secret")}
            assert (
                gateway.client.post("/whatsapp/webhook", content=body, headers=bad).status_code
                == 403
            )
            assert (
                gateway.client.post("/whatsapp/webhook", content=body, headers=headers).status_code
                == 403
            )
            verify = gateway.client.get(
                "/whatsapp/webhook",
                params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
            )
            assert verify.status_code == 403
            signed = {**headers, "X-Hub-Signature-256": wp.sign(body, APP_SECRET)}
            assert (
                gateway.client.post("/whatsapp/webhook", content=body, headers=signed).status_code
                == 200
            )
            graph.wait_for(lambda g: g.sent_texts("6281200000001") == ["echo: halo"])
            samples = scrape_after_turn(gateway, "whatsapp")
    rejected = "lapor_webhook_rejections_total"
    assert value(samples, rejected, channel="whatsapp", reason="bad_signature") == 2
    assert value(samples, rejected, channel="whatsapp", reason="bad_verify_token") == 1
    assert value(samples, "lapor_conversation_turns_total", channel="whatsapp") == 1
    assert value(samples, "lapor_sends_total", channel="whatsapp", outcome="429") == 1
    assert value(samples, "lapor_sends_total", channel="whatsapp", outcome="sent") == 1


async def test_a_turn_rasa_does_not_answer_is_counted_as_a_failure() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    metrics = GatewayMetrics()
    state = MemoryState()
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        relay = ConversationRelay(
            RasaClient(http, "http://rasa.test"),
            ReplyCatalogue.from_domain(),
            state,
            ReachabilityRegistry(state),
            metrics=metrics,
        )
        outbox = FakeOutbox()
        for _ in range(2):
            await relay.relay(InboundMessage("whatsapp", "62812", "halo"), outbox)
    samples = registry_samples(metrics)
    assert value(samples, "lapor_conversation_turns_total", channel="whatsapp") == 2
    assert value(samples, "lapor_rasa_failures_total", channel="whatsapp") == 2
    assert len(outbox.texts) == 1, "one apology per interval"


async def test_notifier_outcomes_are_counted(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'deliveries.db'}", future=True)
    metadata.create_all(engine)
    services = FakeServices()
    metrics = GatewayMetrics()
    sender = FakeSender("telegram")
    sender.script(
        DeliveryResult(accepted=True, message_id="1"),
        DeliveryResult(accepted=False, failure="blocked", permanent=True),
        DeliveryResult(accepted=False, failure="429 after retries"),
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(services)) as http:
        notifier = Notifier(
            ListSource(),
            {"telegram": sender},
            DeliveryStore(engine),
            ConversationLog(http, "http://rasa.test", "rasa-token"),
            DeliveryReporter(http, "http://backend.test", "svc-token"),
            ReplyCatalogue.from_domain(),
            metrics=metrics,
        )
        for n, chat in enumerate(("telegram:1", "telegram:2", "telegram:3")):
            await notifier.handle_batch([delivery(event(f"ev-{n}", chat_id=chat))])
        await notifier.handle_batch(
            [delivery(event("ev-off", chat_id="telegram:4", notifications_enabled=False))]
        )
        await notifier.handle_batch([delivery(event("ev-wa", chat_id="whatsapp:5"))])
    engine.dispose()
    samples = registry_samples(metrics)
    counted = "lapor_notifications_total"
    assert value(samples, counted, channel="telegram", outcome="sent") == 1
    assert value(samples, counted, channel="telegram", outcome="failed") == 1
    assert value(samples, counted, channel="telegram", outcome="retry") == 1
    assert value(samples, counted, channel="telegram", outcome="skipped") == 1
    assert value(samples, counted, channel="whatsapp", outcome="failed") == 1  # no such channel


@pytest.mark.redis
async def test_stream_backlog_counts_unread_and_unacknowledged_events(
    redis_client: aioredis.Redis[str],
) -> None:
    stream = f"test:{uuid.uuid4().hex}:events"
    now_ms = int(time.time() * 1000)
    try:
        assert await stream_backlog(redis_client, stream, now_ms) == (0, 0.0)
        for n in range(3):
            await redis_client.xadd(stream, {"event": "{}"}, id=f"{now_ms - 60_000 + n}-0")
        depth, lag = await stream_backlog(redis_client, stream, now_ms)
        assert (depth, lag) == (3, 60.0)  # no group yet: all of them wait
        await redis_client.xgroup_create(stream, GROUP, id="0")
        read = await redis_client.xreadgroup(GROUP, "c1", {stream: ">"}, count=2)
        first, _second = (entry_id for entry_id, _ in read[0][1])
        await redis_client.xack(stream, GROUP, first)  # type: ignore[no-untyped-call]
        depth, lag = await stream_backlog(redis_client, stream, now_ms)
        assert depth == 2  # one read and not acknowledged, one not read
        assert lag == pytest.approx(59.999)  # the second entry is now the oldest
    finally:
        await redis_client.delete(stream)


def test_the_notifier_process_counts_show_on_the_gateway_and_the_backend(tmp_path: Path) -> None:
    """Real processes: backend and gateway on PostgreSQL and Redis, the notifier a child."""
    with running_stack(tmp_path) as stack, stack.gateway():
        tracking_id = stack.file_report(9301)
        stack.move(tracking_id, "verified", "Diteruskan ke DLHK.")
        stack.telegram.wait_for(lambda tg: len(tg.sent_texts(9301)) == 1, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            text = httpx.get(f"{stack.gateway_url}/metrics", timeout=10).text
            gateway = parse(text)
            sent = value(gateway, "lapor_notifications_total", channel="telegram", outcome="sent")
            if sent >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        backend = parse(httpx.get(f"{stack.backend_url}/metrics", timeout=10).text)
    assert text.count("# TYPE lapor_sends_total counter") == 1, "one family, children added"
    assert sent == 1
    assert value(gateway, "lapor_sends_total", channel="telegram", outcome="sent") == 1
    assert value(gateway, "lapor_notifier_queue_depth") == 0
    assert value(backend, "lapor_reports_filed_total", channel="telegram") == 1
    assert value(backend, "lapor_status_changes_total", status="verified") == 1
