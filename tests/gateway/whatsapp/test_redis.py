"""Two gateway processes sharing Redis: one reply per message, one rate for both."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.delivery import DeliveryResult, Notification
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.whatsapp_api import MESSAGES, FakeGraphAPI
from tests.gateway.whatsapp.conftest import (
    RunningWhatsApp,
    Services,
    new_citizen,
    running,
    settings_for,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def pair(
    graph: FakeGraphAPI, rasa: FakeRasa, tmp_path: Path, redis_cleanup: str
) -> Iterator[tuple[RunningWhatsApp, RunningWhatsApp]]:
    """Two gateways on one Redis and one database, like two processes behind a balancer."""
    settings = settings_for(graph, tmp_path, messages_per_second=10.0)
    services = Services(rasa.base_url, redis_url=redis_cleanup)
    with ExitStack() as stack:
        first = stack.enter_context(running(settings, services))
        second = stack.enter_context(running(settings, services))
        yield first, second


def test_a_delivery_to_both_processes_is_handled_once(
    pair: tuple[RunningWhatsApp, RunningWhatsApp],
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    first, second = pair
    citizen = new_citizen()
    delivery = payloads.delivery([payloads.text(citizen, "satu"), payloads.text(citizen, "dua")])
    assert first.post(delivery).status_code == 200
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 2)
    assert second.post(delivery).status_code == 200  # Meta retried on the other process
    first.drain()
    second.drain()
    assert [r.message for r in rasa.requests()] == ["satu", "dua"]
    assert graph.sent_texts(citizen) == ["echo: satu", "echo: dua"]


def test_the_same_delivery_to_both_at_once_is_handled_once(
    pair: tuple[RunningWhatsApp, RunningWhatsApp],
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    citizen = new_citizen()
    delivery = payloads.delivery([payloads.text(citizen, "bersamaan")])
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def deliver(gateway: RunningWhatsApp) -> None:
        barrier.wait()
        statuses.append(gateway.post(delivery).status_code)

    threads = [threading.Thread(target=deliver, args=(pair[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    for gateway in pair:
        gateway.drain()
    assert len(rasa.requests()) == 1
    assert graph.sent_texts(citizen) == ["echo: bersamaan"]


def test_a_long_payload_stored_by_one_process_is_resolved_by_the_other(
    pair: tuple[RunningWhatsApp, RunningWhatsApp],
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    first, second = pair
    long_payload = "/inform" + '{"x": "' + "y" * 300 + '"}'
    rasa.script = lambda sender, message, metadata: [
        {
            "recipient_id": sender,
            "text": "Pilih",
            "buttons": [{"title": "Y", "payload": long_payload}],
        }
        if not message.startswith("/")
        else {"recipient_id": sender, "text": "ok"}
    ]
    citizen = new_citizen()
    first.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: len(g.sent(citizen, "interactive")) == 1)
    [body] = graph.sent(citizen, "interactive")
    reply_id = body["interactive"]["action"]["buttons"][0]["reply"]["id"]
    second.post(payloads.delivery([payloads.button_reply(citizen, reply_id, "Y")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["ok"])
    assert rasa.requests()[-1].message == long_payload


def test_both_processes_together_keep_to_the_rate(
    pair: tuple[RunningWhatsApp, RunningWhatsApp], graph: FakeGraphAPI
) -> None:
    async def send_ten(gateway: RunningWhatsApp) -> list[DeliveryResult]:
        updates = [Notification(chat_id=new_citizen(), text="Laporan selesai.") for _ in range(10)]
        return list(await asyncio.gather(*(gateway.channel.deliver(u) for u in updates)))

    results: list[DeliveryResult] = []
    threads = [
        threading.Thread(target=lambda g=g: results.extend(g.run(send_ten(g)))) for g in pair
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20 and all(r.accepted for r in results)
    times = sorted(r.at for r in graph.requests(MESSAGES))
    assert len(times) == 20
    assert times[-1] - times[0] >= 1.7, "two processes together went faster than 10/s"
