"""The relay: one citizen message, one Rasa turn, replies back (or one apology)."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.rasa import BotReply, Button, RasaClient
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay, InboundMessage
from bot.replies import ReplyCatalogue
from bot.shared_state import MemoryState
from tests.bot.fakes import FakeClock, FakeOutbox

APOLOGY_INTERVAL = 60.0


@functools.lru_cache(maxsize=1)
def catalogue() -> ReplyCatalogue:
    """The real replies of domain.yml (parsed once: the file is large)."""
    return ReplyCatalogue.from_domain()


class FakeRasa:
    """A Rasa REST channel behind a mock transport: scripted answers, recorded requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: Callable[[httpx.Request], httpx.Response] = lambda request: httpx.Response(
            200, json=[]
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        return self.answer(request)

    def replies_with(self, replies: list[dict[str, Any]]) -> None:
        self.answer = lambda request: httpx.Response(200, json=replies)

    def fails(self) -> None:
        def down(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        self.answer = down


class Harness:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.state = MemoryState(clock=self.clock)
        self.rasa = FakeRasa()
        self.http = httpx.AsyncClient(transport=httpx.MockTransport(self.rasa.handle))
        self.catalogue = catalogue()
        self.reachability = ReachabilityRegistry(self.state)
        self.relay = ConversationRelay(
            RasaClient(self.http, "http://rasa.test"),
            self.catalogue,
            self.state,
            self.reachability,
            apology_interval_seconds=APOLOGY_INTERVAL,
        )
        self.outbox = FakeOutbox()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    async with h.http:
        yield h


def message(text: str = "jalan rusak", language: str = "id", **metadata: Any) -> InboundMessage:
    return InboundMessage(
        channel="telegram", chat_id="42", text=text, metadata=metadata, language=language
    )


def test_inbound_message_sender_id_and_metadata() -> None:
    inbound = message(display_name="Siti", chat_id="spoofed", channel="spoofed")
    assert inbound.sender_id == "telegram:42"
    assert inbound.rasa_metadata() == {
        "display_name": "Siti",
        "channel": "telegram",
        "chat_id": "42",
    }
    # The message's own metadata is not changed.
    assert inbound.metadata["chat_id"] == "spoofed"


async def test_replies_are_forwarded_in_order(harness: Harness) -> None:
    harness.rasa.replies_with(
        [
            {"text": "Baik, saya catat."},
            {"text": "Di mana lokasinya?", "buttons": [{"title": "Kirim lokasi", "payload": "/x"}]},
            {"image": "https://example.test/contoh.png"},
        ]
    )
    replies = await harness.relay.relay(message(display_name="Siti"), harness.outbox)

    expected = [
        BotReply(text="Baik, saya catat."),
        BotReply(text="Di mana lokasinya?", buttons=(Button("Kirim lokasi", "/x"),)),
        BotReply(image="https://example.test/contoh.png"),
    ]
    assert replies == expected
    assert harness.outbox.sent == [("42", expected)]
    # Typing shows while Rasa thinks, and ends before the replies go out.
    assert harness.outbox.events == [("typing-start", "42"), ("typing-end", "42"), ("send", "42")]


async def test_rasa_gets_the_namespaced_sender_and_channel_metadata(harness: Harness) -> None:
    await harness.relay.relay(message("halo", display_name="Siti"), harness.outbox)
    (sent,) = harness.rasa.requests
    request_id = sent["metadata"].pop("request_id")  # the turn's, for every service's logs
    assert len(request_id) == 16
    assert sent == {
        "sender": "telegram:42",
        "message": "halo",
        "metadata": {"display_name": "Siti", "channel": "telegram", "chat_id": "42"},
    }


async def test_rasa_failure_apologises_once_per_interval(harness: Harness) -> None:
    harness.rasa.fails()
    apology = harness.catalogue.text("utter_gateway_unavailable", "id")

    assert await harness.relay.relay(message(), harness.outbox) == []
    assert harness.outbox.texts == [apology]
    assert harness.outbox.events[:2] == [("typing-start", "42"), ("typing-end", "42")]

    harness.clock.advance(APOLOGY_INTERVAL - 1)
    assert await harness.relay.relay(message("halo?"), harness.outbox) == []
    assert harness.outbox.texts == [apology], "a second failure within the interval stays quiet"
    assert len(harness.rasa.requests) == 2, "every message is still tried"

    harness.clock.advance(2)
    await harness.relay.relay(message("halo??"), harness.outbox)
    assert harness.outbox.texts == [apology, apology]


async def test_apology_in_english_for_english_citizens(harness: Harness) -> None:
    harness.rasa.answer = lambda request: httpx.Response(500)
    await harness.relay.relay(message(language="en"), harness.outbox)
    english = harness.catalogue.text("utter_gateway_unavailable", "en")
    assert harness.outbox.texts == [english]
    assert english != harness.catalogue.text("utter_gateway_unavailable", "id")


async def test_apologies_are_per_chat(harness: Harness) -> None:
    harness.rasa.fails()
    await harness.relay.relay(message(), harness.outbox)
    other = InboundMessage(channel="telegram", chat_id="43", text="halo")
    await harness.relay.relay(other, harness.outbox)
    assert [chat for chat, _ in harness.outbox.sent] == ["42", "43"]


async def test_recovery_after_a_failure(harness: Harness) -> None:
    harness.rasa.fails()
    await harness.relay.relay(message(), harness.outbox)
    harness.rasa.replies_with([{"text": "Sudah pulih."}])
    assert await harness.relay.relay(message(), harness.outbox) == [BotReply(text="Sudah pulih.")]
    assert harness.outbox.texts[-1] == "Sudah pulih."


async def test_writing_again_marks_the_citizen_reachable(harness: Harness) -> None:
    await harness.reachability.mark_unreachable("telegram:42", "Forbidden: bot was blocked")
    record = await harness.reachability.unreachable("telegram:42")
    assert record is not None and record.reason == "Forbidden: bot was blocked"
    await harness.reachability.mark_unreachable("telegram:43", "blocked")

    await harness.relay.relay(message(), harness.outbox)

    assert await harness.reachability.unreachable("telegram:42") is None
    assert await harness.reachability.unreachable("telegram:43") is not None


async def test_even_a_failed_turn_marks_the_citizen_reachable(harness: Harness) -> None:
    await harness.reachability.mark_unreachable("telegram:42", "blocked")
    harness.rasa.fails()
    await harness.relay.relay(message(), harness.outbox)
    assert await harness.reachability.unreachable("telegram:42") is None


async def test_say_sends_a_gateway_reply_in_the_citizen_language(harness: Harness) -> None:
    await harness.relay.say(message(language="en"), "utter_gateway_edited", harness.outbox)
    await harness.relay.say(message(language="id"), "utter_gateway_edited", harness.outbox)
    assert harness.outbox.texts == [
        harness.catalogue.text("utter_gateway_edited", "en"),
        harness.catalogue.text("utter_gateway_edited", "id"),
    ]
    assert harness.rasa.requests == []
    assert harness.relay.text("utter_gateway_edited", "en") == harness.outbox.texts[0]
