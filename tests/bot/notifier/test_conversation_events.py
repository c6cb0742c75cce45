"""Issue 17 in the notifier: an officer's question, a person taking over the chat.

The real `Notifier`, `DeliveryStore` (SQLite file), `ConversationLog`, `DeliveryReporter`
and `TakeoverMarks` (in-process state), with a scripted channel and one
`httpx.MockTransport` playing Rasa (`rasa.test`) and the backend (`backend.test`).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.delivery import QUESTION_TEMPLATE, DeliveryResult, Notification
from bot.notifier.backend import DeliveryReporter
from bot.notifier.compose import compose
from bot.notifier.conversation_log import EXPECT_ANSWER_INTENT, ConversationLog
from bot.notifier.events import ReportEvent
from bot.notifier.service import Notifier
from bot.notifier.sources import Delivery
from bot.notifier.store import DeliveryStore
from bot.replies import ReplyCatalogue
from bot.shared_state import MemoryState
from bot.takeover import TakeoverMarks

REPLIES = ReplyCatalogue.from_domain()
TRACKING_ID = "TNG-2026-000123"
SENDER = "telegram:4242"


@dataclass
class Channel:
    """A channel that records what it delivers and answers with scripted results."""

    channel: str = "telegram"
    results: deque[DeliveryResult] = field(default_factory=deque)
    delivered: list[Notification] = field(default_factory=list)

    async def pace(self) -> None:
        return None

    async def release(self) -> None:
        return None

    async def deliver(self, notification: Notification) -> DeliveryResult:
        self.delivered.append(notification)
        if self.results:
            return self.results.popleft()
        return DeliveryResult(accepted=True, message_id=str(100 + len(self.delivered)))


class Peers:
    """Rasa's HTTP API and the backend's delivery endpoints; every request kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "rasa.test":
            return httpx.Response(200, json={"sender_id": SENDER, "slots": {}, "messages": []})
        return httpx.Response(204)

    def to(self, host: str, method: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.url.host == host and (method is None or r.method == method)
        ]

    def triggers(self) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        return [
            (r.url.path, json.loads(r.content), dict(r.url.params))
            for r in self.to("rasa.test")
            if r.url.path.endswith("/trigger_intent")
        ]


@dataclass
class Rig:
    notifier: Notifier
    channel: Channel
    peers: Peers
    marks: TakeoverMarks
    store: DeliveryStore


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    peers = Peers()
    channel = Channel()
    marks = TakeoverMarks(MemoryState())
    store = DeliveryStore.from_url(f"sqlite:///{tmp_path / 'deliveries.db'}")
    async with httpx.AsyncClient(transport=httpx.MockTransport(peers)) as http:
        notifier = Notifier(
            source=_NoSource(),
            senders={"telegram": channel},
            store=store,
            conversation_log=ConversationLog(http, "http://rasa.test", "rasa-token"),
            reporter=DeliveryReporter(http, "http://backend.test", "svc-token"),
            replies=REPLIES,
            takeovers=marks,
        )
        yield Rig(notifier, channel, peers, marks, store)
    store.close()


class _NoSource:
    async def next_batch(self, count: int, wait_seconds: float) -> list[Delivery]:
        return []

    async def ack(self, delivery: Delivery) -> None:
        return None


def question(**changes: Any) -> ReportEvent:
    payload: dict[str, Any] = {
        "event_id": "q-1",
        "type": "complaint.question",
        "tracking_id": TRACKING_ID,
        "status": "verified",
        "chat_id": SENDER,
        "language": "id",
        "notifications_enabled": True,
        "agency": "DPUPR",
        "question_id": "7",
        "text": "Nomor rumah terdekatnya berapa, Pak?",
    }
    return ReportEvent.from_payload({**payload, **changes})


def conversation_event(type_: str, **changes: Any) -> ReportEvent:
    payload: dict[str, Any] = {
        "event_id": f"{type_}-1",
        "type": type_,
        "chat_id": SENDER,
        "tracking_id": "",
        "status": "",
        "language": "id",
    }
    return ReportEvent.from_payload({**payload, **changes})


# --- parsing and composing -----------------------------------------------------------


def test_takeover_events_parse_without_tracking_id_or_status() -> None:
    event = ReportEvent.from_payload(
        {"event_id": "e", "type": "conversation.message", "chat_id": SENDER, "text": "Halo"}
    )
    assert (event.tracking_id, event.status, event.text) == ("", "", "Halo")
    assert event.concerns_citizen and event.is_conversation and not event.is_status_update


def test_question_names_the_report_and_says_how_to_answer() -> None:
    note = compose(question(), "id", REPLIES)
    assert TRACKING_ID in note.text and "Nomor rumah terdekatnya berapa" in note.text
    assert "balas langsung di chat ini" in note.text and "foto" in note.text
    assert note.template == QUESTION_TEMPLATE
    assert note.template_params == (TRACKING_ID, "Nomor rumah terdekatnya berapa, Pak?")
    english = compose(question(language="en"), "en", REPLIES)
    assert "Just reply in this chat" in english.text and TRACKING_ID in english.text


def test_takeover_names_the_agent_only_when_given() -> None:
    named = compose(conversation_event("conversation.takeover", agent_name="Sari"), "id", REPLIES)
    hidden = compose(conversation_event("conversation.takeover", agent_name=None), "id", REPLIES)
    assert "Sari" in named.text and "petugas kami" in hidden.text and "Sari" not in hidden.text
    assert named.template == "" == hidden.template  # free text only


def test_release_by_idle_says_so_kindly() -> None:
    idle = compose(conversation_event("conversation.released", reason="idle"), "id", REPLIES)
    done = compose(conversation_event("conversation.released", reason="officer"), "en", REPLIES)
    assert "tidak ada pesan" in idle.text and "asisten otomatis kembali" in idle.text
    assert "assistant answers you again" in done.text


# --- delivering ----------------------------------------------------------------------


async def test_question_goes_once_even_with_status_updates_off(rig: Rig) -> None:
    event = question(notifications_enabled=False)
    assert await rig.notifier.notify(event)
    assert await rig.notifier.notify(event)  # redelivered by the source: not sent again
    assert len(rig.channel.delivered) == 1
    assert rig.channel.delivered[0].chat_id == "4242"
    puts = rig.peers.to("backend.test", "PUT")
    assert [r.url.path for r in puts] == [f"/api/v1/complaints/{TRACKING_ID}/notifications/q-1"]
    assert json.loads(puts[0].content)["state"] == "sent"


async def test_a_delivered_question_makes_the_conversation_expect_the_answer(rig: Rig) -> None:
    await rig.notifier.notify(question())
    [trigger] = [r for r in rig.peers.to("rasa.test") if r.url.path.endswith("/trigger_intent")]
    assert trigger.url.raw_path.startswith(b"/conversations/telegram:4242/trigger_intent?")
    assert rig.peers.triggers() == [
        (
            "/conversations/telegram:4242/trigger_intent",
            {"name": EXPECT_ANSWER_INTENT, "entities": {"tracking_id": TRACKING_ID}},
            {"token": "rasa-token", "include_events": "NONE"},
        )
    ]


async def test_a_blocked_citizen_marks_the_question_failed_and_expects_nothing(rig: Rig) -> None:
    rig.channel.results.append(
        DeliveryResult(accepted=False, failure="blocked the bot: Forbidden", permanent=True)
    )
    assert await rig.notifier.notify(question())
    body = json.loads(rig.peers.to("backend.test", "PUT")[0].content)
    assert (body["state"], body["reason"]) == ("failed", "blocked the bot: Forbidden")
    assert rig.peers.triggers() == []


async def test_takeover_marks_the_chat_and_release_clears_it(rig: Rig) -> None:
    assert await rig.notifier.notify(conversation_event("conversation.takeover"))
    assert await rig.marks.held(SENDER)
    assert await rig.notifier.notify(conversation_event("conversation.released", reason="idle"))
    assert not await rig.marks.held(SENDER)
    assert len(rig.channel.delivered) == 2


async def test_officer_message_goes_as_written_and_its_state_to_the_conversation(
    rig: Rig,
) -> None:
    event = conversation_event(
        "conversation.message", text="Selamat siang Bu, fotonya sudah kami terima.", message_id="9"
    )
    assert await rig.notifier.notify(event)
    assert rig.channel.delivered[0].text == "Selamat siang Bu, fotonya sudah kami terima."
    put = rig.peers.to("backend.test", "PUT")[0]
    assert put.url.path == "/api/v1/conversations/telegram:4242/deliveries/conversation.message-1"
    assert json.loads(put.content) == {
        "channel": "telegram",
        "state": "sent",
        "message_id": "101",
        "reason": None,
    }
    logged = [
        json.loads(r.content)
        for r in rig.peers.to("rasa.test")
        if r.url.path.endswith("/tracker/events")
    ]
    assert logged[0][-1]["metadata"]["written_by"] == "person"
    assert all(e["event"] != "slot" for e in logged[0])  # no report put in context


async def test_receipts_of_officer_messages_go_to_the_conversation(rig: Rig) -> None:
    await rig.notifier.notify(conversation_event("conversation.message", text="Halo"))
    await rig.notifier.record_receipt("101", "read", None)
    puts = rig.peers.to("backend.test", "PUT")
    assert puts[-1].url.path.startswith("/api/v1/conversations/telegram:4242/deliveries/")
    assert json.loads(puts[-1].content)["state"] == "read"
