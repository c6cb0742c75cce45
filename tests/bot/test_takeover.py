"""A chat a person holds: its messages go to the backend, not Rasa, and the bot is silent.

The real `TakeoverRelay` on the shared state (in memory and in Redis), with Rasa and
the backend played by one `httpx.MockTransport` that records every request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bot.rasa import RasaClient
from bot.reachability import ReachabilityRegistry
from bot.relay import InboundMessage
from bot.replies import ReplyCatalogue
from bot.takeover import TakeoverBackend, TakeoverRelay, inbound_text, load_active
from tests.bot.conftest import StateUnderTest
from tests.bot.fakes import FakeOutbox

SENDER = "telegram:42"
OTHER = "whatsapp:628111"
REPLIES = ReplyCatalogue.from_domain()


@dataclass
class Peers:
    """Rasa's REST channel and the backend's takeover endpoints."""

    inbound_status: int = 201
    active: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "rasa.test":
            return httpx.Response(200, json=[{"text": "Halo, ada yang bisa dibantu?"}])
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/api/v1/takeovers/active":
            return httpx.Response(200, json={"takeovers": self.active})
        return httpx.Response(self.inbound_status, json={"id": 1})

    def sent_to(self, host: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == host]


@dataclass
class Rig:
    relay: TakeoverRelay
    peers: Peers
    outbox: FakeOutbox


@pytest.fixture
async def rig(state_under_test: StateUnderTest) -> AsyncIterator[Rig]:
    peers = Peers()
    async with httpx.AsyncClient(transport=httpx.MockTransport(peers)) as http:
        state = state_under_test.state
        relay = TakeoverRelay(
            RasaClient(http, "http://rasa.test"),
            REPLIES,
            state,
            ReachabilityRegistry(state),
            backend=TakeoverBackend(http, "http://backend.test", "svc-token"),
        )
        for held in (SENDER, OTHER):  # Redis outlives a test: start and end clean
            await relay.marks.clear(held)
        yield Rig(relay, peers, FakeOutbox())
        for held in (SENDER, OTHER):
            await relay.marks.clear(held)


def message(text: str = "iya pak", **metadata: Any) -> InboundMessage:
    return InboundMessage(channel="telegram", chat_id="42", text=text, metadata=metadata)


async def test_a_free_chat_goes_to_rasa(rig: Rig) -> None:
    replies = await rig.relay.relay(message(), rig.outbox)
    assert [r.text for r in replies] == ["Halo, ada yang bisa dibantu?"]
    assert rig.peers.sent_to("backend.test") == []


async def test_a_held_chat_goes_to_the_person_and_the_bot_is_silent(rig: Rig) -> None:
    await rig.relay.marks.mark(SENDER)
    await rig.relay.relay(message("iya pak ini fotonya", attachments=["a1"]), rig.outbox)
    (request,) = rig.peers.sent_to("backend.test")
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/v1/conversations/telegram%3A42/inbound"
    assert request.headers["authorization"] == "Bearer svc-token"
    assert json.loads(request.content) == {"text": "iya pak ini fotonya", "attachments": ["a1"]}
    assert rig.peers.sent_to("rasa.test") == [] and rig.outbox.sent == []


async def test_a_bare_photo_and_a_pin_reach_the_person_readably(rig: Rig) -> None:
    await rig.relay.marks.mark(SENDER)
    await rig.relay.relay(message("/send_attachment", attachments=["a2"]), rig.outbox)
    pin = {"latitude": -6.2, "longitude": 106.6, "title": "Pasar Kutabumi"}
    await rig.relay.relay(message("/share_location", location=pin), rig.outbox)
    bodies = [json.loads(r.content) for r in rig.peers.sent_to("backend.test")]
    assert bodies == [
        {"text": "", "attachments": ["a2"]},
        {"text": "Lokasi: -6.2, 106.6 (Pasar Kutabumi)", "attachments": []},
    ]


async def test_no_takeover_any_more_clears_the_mark_and_rasa_answers(rig: Rig) -> None:
    await rig.relay.marks.mark(SENDER)
    rig.peers.inbound_status = 409
    replies = await rig.relay.relay(message(), rig.outbox)
    assert [r.text for r in replies] == ["Halo, ada yang bisa dibantu?"]
    assert not await rig.relay.marks.held(SENDER)
    await rig.relay.relay(message("lagi"), rig.outbox)  # straight to Rasa now
    assert len(rig.peers.sent_to("backend.test")) == 1


@pytest.mark.parametrize("failure", ["down", "5xx"])
async def test_a_backend_that_cannot_take_it_asks_the_citizen_to_resend(
    rig: Rig, failure: str
) -> None:
    await rig.relay.marks.mark(SENDER)
    rig.peers.down = failure == "down"
    rig.peers.inbound_status = 503
    await rig.relay.relay(message(), rig.outbox)
    assert rig.outbox.texts == [REPLIES.text("utter_gateway_passed_on_failed", "id")]
    assert rig.peers.sent_to("rasa.test") == []  # never answered by the bot meanwhile
    assert await rig.relay.marks.held(SENDER)


async def test_the_active_takeovers_are_loaded_at_start(rig: Rig) -> None:
    rig.peers.active = [{"conversation_id": SENDER}, {"conversation_id": OTHER}]
    assert await load_active(rig.relay.takeovers, rig.relay.marks) == 2
    assert await rig.relay.marks.held(OTHER) and await rig.relay.marks.held(SENDER)


async def test_an_unreachable_backend_at_start_is_no_crash(rig: Rig) -> None:
    rig.peers.down = True
    assert await load_active(rig.relay.takeovers, rig.relay.marks) == 0


@pytest.mark.parametrize(
    ("text", "metadata", "expected"),
    [
        ("udah sy kirim", {}, "udah sy kirim"),
        ("/send_attachment", {"attachments": ["x"]}, ""),
        ("/share_location", {"location": {"latitude": 1, "longitude": 2}}, "Lokasi: 1, 2"),
    ],
)
def test_inbound_text(text: str, metadata: dict[str, Any], expected: str) -> None:
    assert inbound_text(message(text, **metadata)) == expected
