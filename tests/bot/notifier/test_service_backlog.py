"""`Notifier.run` with a backlog: the next batch starts while the last one finishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from bot.delivery import DeliveryResult, Notification
from bot.notifier.store import metadata
from tests.bot.notifier.test_service import (
    FakeSender,
    FakeServices,
    Harness,
    ListSource,
    delivery,
    event,
    make_harness,
)


class GatedSender(FakeSender):
    """Holds the delivery of one tracking ID until another one was delivered."""

    def __init__(self, held: str, until: str) -> None:
        super().__init__("telegram")
        self.held, self.until = held, until
        self.released = asyncio.Event()
        self.overlapped: bool | None = None
        self.order: list[str] = []

    async def deliver(self, notification: Notification) -> DeliveryResult:
        tracking_id = notification.template_params[0]
        if tracking_id == self.until:
            self.released.set()
        if tracking_id == self.held:
            try:
                await asyncio.wait_for(self.released.wait(), timeout=1)
                self.overlapped = True
            except asyncio.TimeoutError:
                self.overlapped = False
        result = await super().deliver(notification)
        self.order.append(tracking_id)
        return result


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'deliveries.db'}", future=True)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
async def h(engine: Engine) -> AsyncIterator[Harness]:
    services = FakeServices()
    async with httpx.AsyncClient(transport=httpx.MockTransport(services)) as client:
        yield await make_harness(engine, services, client)


def report(n: int, chat: int | None = None, tracking_id: str | None = None) -> object:
    return event(f"e{n}", chat_id=f"telegram:{chat or n}", tracking_id=tracking_id or f"T-{n}")


async def run(h: Harness, sender: GatedSender, *batches: list[object]) -> ListSource:
    h.senders["telegram"] = sender
    stopping = asyncio.Event()
    source = ListSource(*[[delivery(e) for e in batch] for batch in batches])  # type: ignore[arg-type]
    source.stopping = stopping
    h.notifier._source = source
    await asyncio.wait_for(h.notifier.run(stopping, batch_size=4), timeout=5)
    return source


async def test_a_full_batch_lets_the_next_one_start_before_it_is_done(h: Harness) -> None:
    sender = GatedSender(held="T-1", until="T-5")
    source = await run(h, sender, [report(n) for n in range(1, 5)], [report(5)])
    assert sender.overlapped is True
    assert sorted(source.acked) == [f"r-e{n}" for n in range(1, 6)]


async def test_an_event_handed_out_again_while_in_hand_is_handled_once(h: Harness) -> None:
    sender = GatedSender(held="T-1", until="T-5")
    first = [report(n) for n in range(1, 5)]
    source = await run(h, sender, first, [first[0], report(5)])
    assert sender.order.count("T-1") == 1
    assert sender.calls.count("deliver") == 5
    assert sorted(source.acked) == [f"r-e{n}" for n in range(1, 6)]


async def test_a_citizens_events_stay_in_order_across_batches(h: Harness) -> None:
    sender = GatedSender(held="T-1", until="T-5")
    later = report(6, chat=1, tracking_id="T-6")  # the same citizen as T-1
    source = await run(h, sender, [report(n) for n in range(1, 5)], [later, report(5)])
    assert sender.overlapped is True
    assert sender.order.index("T-1") < sender.order.index("T-6")
    assert sorted(source.acked) == sorted(f"r-e{n}" for n in range(1, 7))
