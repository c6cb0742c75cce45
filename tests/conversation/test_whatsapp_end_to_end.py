"""A whole complaint filed on WhatsApp: fake Graph API -> gateway -> Rasa -> actions -> backend.

The citizen's side is Meta's: signed webhook deliveries (typed text, tapped list rows and
reply buttons, a location pin, a photo). The bot's side is what the fake Graph API
receives: read receipts, text and interactive messages, the photo's lookup and download.
Rasa, the action server and the backend are the real ones (`assistant`); the gateway is
built by `bot.app.create_app` from the environment, as in production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.settings import GatewaySettings
from tests.conversation.conftest import Assistant
from tests.conversation.test_end_to_end import backend_get
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.whatsapp_api import (
    MEDIA_DOWNLOAD,
    MEDIA_INFO,
    MESSAGES,
    PHONE_NUMBER,
    READ,
    FakeGraphAPI,
    GraphRequest,
)
from tests.gateway.conftest import RunningGateway, running
from tests.gateway.whatsapp.conftest import APP_SECRET, VERIFY_TOKEN, gateway_text, new_citizen

JSONDict = dict[str, Any]
#: A photo as WhatsApp delivers it (the backend recognises JPEG by its first bytes).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 300
#: Pasar Cikupa, Kecamatan Cikupa.
PIN = (-6.2297, 106.5071)
DESCRIPTION = (
    "sampah numpuk di pinggir jalan dekat pasar udah gak diangkut, bau banget dan banyak lalat"
)
SAMPAH = '/inform{"complaint_category":"sampah"}'
PRIVACY_BUTTONS = [
    ('/inform_privacy{"privacy":"public"}', "Publik"),
    ('/inform_privacy{"privacy":"anonymous"}', "Anonim"),
    ('/inform_privacy{"privacy":"confidential"}', "Rahasia"),
]
SUMMARY_BUTTONS = [("/affirm", "Kirim"), ("/change_field", "Ubah"), ("/cancel", "Batal")]
#: How long one turn may take on a busy machine (Rasa, actions, backend, media).
TURN_SECONDS = 90.0


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    """A fake Graph API."""
    with FakeGraphAPI() as fake:
        yield fake


@contextmanager
def whatsapp_gateway(
    assistant: Assistant,
    graph: FakeGraphAPI,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    notifier: bool = False,
) -> Iterator[RunningGateway]:
    """The gateway in front of the real assistant, WhatsApp configured by the environment
    (its notifier on the backend's outbox when `notifier`)."""
    environment = {
        "WHATSAPP_ACCESS_TOKEN": graph.access_token,
        "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": graph.base_url,
        "DATA_DIR": str(data_dir),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    settings = GatewaySettings(
        data_dir=data_dir,
        telegram_bot_token="",
        rasa_url=assistant.rasa_url,
        rasa_api_token=assistant.rasa_token,
        rasa_timeout_seconds=TURN_SECONDS,
        backend_url=assistant.backend_url,
        backend_api_token=assistant.backend_token,
        redis_url="",
        notifier_enabled=notifier,
    )
    with running(settings) as started:
        assert started.gateway.whatsapp is not None, "WhatsApp not enabled from the environment"
        assert started.gateway.telegram is None
        assert (started.gateway.notifier is not None) == notifier
        yield started


@pytest.fixture
def gateway(
    assistant: Assistant, graph: FakeGraphAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningGateway]:
    """The gateway in front of the real assistant, WhatsApp configured by the environment."""
    with whatsapp_gateway(assistant, graph, tmp_path, monkeypatch) as started:
        yield started


def today() -> dt.date:
    """Today in the regency."""
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


def shown_text(body: JSONDict) -> str:
    """What the citizen reads in a sent message: a text's body or an interactive's body."""
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return ""


def choices(body: JSONDict) -> list[tuple[str, str]]:
    """The (ID, title) of the reply buttons or list rows of a sent message."""
    if body["type"] != "interactive":
        return []
    interactive = body["interactive"]
    if interactive["type"] == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    rows = [row for s in interactive["action"]["sections"] for row in s["rows"]]
    return [(row["id"], row["title"]) for row in rows]


def wamid_of(record: GraphRequest) -> str:
    """The wamid the Graph API gave a sent message."""
    assert record.response is not None
    return str(record.response["messages"][0]["id"])


class Citizen:
    """One WhatsApp user: their messages reach the gateway's webhook as Meta delivers them."""

    def __init__(self, gateway: RunningGateway, graph: FakeGraphAPI, wa_id: str, name: str) -> None:
        self.gateway = gateway
        self.graph = graph
        self.wa_id = wa_id
        self.payloads = wp.WebhookFactory(phone_number_id=graph.phone_number_id)
        self.payloads.names[wa_id] = name
        #: Each turn: the message the citizen sent and the bot's messages in answer.
        self.turns: list[tuple[JSONDict, list[GraphRequest]]] = []

    @property
    def latest(self) -> list[GraphRequest]:
        """The bot's messages of the latest turn."""
        return self.turns[-1][1] if self.turns else []

    def latest_text(self) -> str:
        """The bot's latest answer as the citizen reads it."""
        return "\n".join(shown_text(r.body or {}) for r in self.latest)

    def latest_choices(self) -> list[tuple[str, str]]:
        """Every (ID, title) offered in the bot's latest answer."""
        return [c for r in self.latest for c in choices(r.body or {})]

    def transcript(self) -> str:
        """The conversation so far, for failure messages."""
        lines = []
        for message, answer in self.turns:
            lines.append(f"> {message['type']}: {message.get(message['type'])}")
            lines.extend(f"< {shown_text(r.body or {})!r} {choices(r.body or {})}" for r in answer)
        return "\n".join(lines)

    def _sent(self) -> list[GraphRequest]:
        return self.graph.requests(MESSAGES, to=self.wa_id)

    def deliver(self, message: JSONDict) -> httpx.Response:
        """POST one delivery holding `message`, signed with the app secret as Meta signs it."""
        body = wp.encode(self.payloads.delivery([message]))
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": wp.sign(body, APP_SECRET),
        }
        return self.gateway.client.post("/whatsapp/webhook", content=body, headers=headers)

    def settle(self) -> None:
        """Wait until the gateway has handled everything delivered so far."""
        channel = self.gateway.gateway.whatsapp
        assert channel is not None
        settled = self.gateway.server.call(channel.drain(TURN_SECONDS), TURN_SECONDS + 10)
        assert settled, "the gateway did not finish its work in time"

    def send(self, message: JSONDict) -> str:
        """One turn: deliver `message`, wait for the whole answer; returns its text."""
        before = len(self._sent())
        response = self.deliver(message)
        assert response.status_code == 200, response.text
        self.settle()
        answer = self._sent()[before:]
        self.turns.append((message, answer))
        assert answer, f"no answer to {message}\n{self.transcript()}"
        return self.latest_text()

    def says(self, text: str) -> str:
        """Type a message."""
        return self.send(self.payloads.text(self.wa_id, text))

    def taps(self, title: str) -> str:
        """Tap the reply button or list row titled `title` in the bot's latest answer."""
        return self._tap(lambda reply_id, shown: shown == title, repr(title))

    def picks(self, reply_id: str) -> str:
        """Tap the choice whose ID is `reply_id` (where two choices share a title)."""
        return self._tap(lambda choice_id, shown: choice_id == reply_id, reply_id)

    def _tap(self, wanted: Callable[[str, str], bool], what: str) -> str:
        for record in reversed(self.latest):
            body = record.body or {}
            for reply_id, shown in choices(body):
                if not wanted(reply_id, shown):
                    continue
                context = wamid_of(record)
                if body["interactive"]["type"] == "button":
                    tap = self.payloads.button_reply(
                        self.wa_id, reply_id, shown, context_id=context
                    )
                else:
                    tap = self.payloads.list_reply(self.wa_id, reply_id, shown, context_id=context)
                return self.send(tap)
        raise AssertionError(f"no choice {what} in the latest answer\n{self.transcript()}")

    def shares_location(self, latitude: float, longitude: float) -> str:
        """Share a location pin picked on the map."""
        pin = self.payloads.location(
            self.wa_id, latitude, longitude, name="Pasar Cikupa", address="Jl. Raya Serang, Cikupa"
        )
        return self.send(pin)

    def sends_photo(self, media_id: str, content: bytes) -> str:
        """Send a photo without a caption (WhatsApp keeps it as media `media_id`)."""
        self.graph.add_media(media_id, content, "image/jpeg")
        return self.send(self.payloads.image(self.wa_id, media_id, content=content))


def file_complaint(citizen: Citizen, media_id: str) -> tuple[list[str], str]:
    """Answer whatever the bot asks until it gives a tracking ID.

    Returns:
        The steps answered, in order, and the summary the bot showed before sending.
    """
    steps: list[str] = []
    summary = ""
    citizen.says(DESCRIPTION)
    for _ in range(12):
        text = citizen.latest_text()
        ids = [reply_id for reply_id, _ in citizen.latest_choices()]
        if "Nomor laporan:" in text:
            return steps, summary
        if any(i.startswith('/inform{"complaint_category"') for i in ids):
            steps.append("category")
            citizen.picks(SAMPAH if SAMPAH in ids else "/deny")
        elif any(i.startswith("/inform_report_type") for i in ids):
            steps.append("report_type")
            citizen.taps("Pengaduan")
        elif any(i.startswith("/inform_privacy") for i in ids):
            steps.append("privacy")
            assert citizen.latest_choices() == PRIVACY_BUTTONS
            citizen.taps("Publik")
        elif "/affirm" in ids and "/change_field" in ids:
            steps.append("summary")
            summary = text
            assert citizen.latest_choices() == SUMMARY_BUTTONS
            citizen.taps("Kirim")
        elif "/skip" in ids:
            steps.append("attachments")
            citizen.sends_photo(media_id, JPEG)
        elif "kemarin" in ids:
            steps.append("date")
            citizen.taps("Kemarin")
        elif "lokasi" in text.lower():
            steps.append("location")
            citizen.shares_location(*PIN)
        else:
            raise AssertionError(f"unexpected question\n{citizen.transcript()}")
    raise AssertionError(f"no tracking ID after 12 answers\n{citizen.transcript()}")


def test_a_complaint_filed_on_whatsapp_from_description_to_tracking_id(
    assistant: Assistant, gateway: RunningGateway, graph: FakeGraphAPI
) -> None:
    challenge = gateway.client.get(
        "/whatsapp/webhook",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
    )
    assert challenge.status_code == 200 and challenge.text == "42"
    wa_id = new_citizen()
    citizen = Citizen(gateway, graph, wa_id, "Siti Rahmawati")
    media_id = wp.new_media_id()

    steps, summary = file_complaint(citizen, media_id)

    # Every question was asked once (in whatever order), the summary last.
    assert sorted(steps) == sorted(
        ["category", "location", "date", "privacy", "attachments", "summary"]
    ), citizen.transcript()
    assert steps[-1] == "summary", citizen.transcript()
    assert "Mohon periksa laporan" in summary
    assert "Sampah" in summary and "Lampiran: 1" in summary and "Privasi: Publik" in summary
    done = citizen.latest_text()
    assert "Nomor laporan: TNG-" in done
    tracking_id = done.split("Nomor laporan: ")[1].split()[0]

    # What the Graph API received: only this citizen's messages, all with the token.
    everything = graph.requests()
    assert everything and all(r.authorized and r.ok for r in everything), [
        (r.endpoint, r.path, r.status) for r in everything if not (r.authorized and r.ok)
    ]
    assert {r.endpoint for r in everything} == {
        PHONE_NUMBER,
        READ,
        MESSAGES,
        MEDIA_INFO,
        MEDIA_DOWNLOAD,
    }
    sent = graph.requests(MESSAGES)
    assert [r for _, answer in citizen.turns for r in answer] == sent, "a message outside a turn"
    for record in sent:
        body = record.body or {}
        assert record.http_method == "POST"
        assert record.path == f"/{graph.version}/{graph.phone_number_id}/messages"
        assert body["messaging_product"] == "whatsapp"
        assert body["recipient_type"] == "individual"
        assert body["to"] == wa_id
        assert body["type"] in ("text", "interactive")
        if body["type"] == "text":
            assert body["text"]["preview_url"] is False

    # Turn n's answer asked steps[n]; the citizen answered it in turn n + 1.
    assert len(citizen.turns) == len(steps) + 1
    position = {step: n for n, step in enumerate(steps)}
    asked = {step: citizen.turns[n][1] for step, n in position.items()}
    answered = {step: citizen.turns[n + 1][0] for step, n in position.items()}

    # The category suggestion is a list (three guesses and "Pilih kategori lain"),
    # tapped as a list reply.
    [category_list] = [r for r in asked["category"] if (r.body or {})["type"] == "interactive"]
    interactive = (category_list.body or {})["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == gateway_text("utter_gateway_list_button")
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 4 and rows[-1] == {"id": "/deny", "title": "Pilih kategori lain"}
    [sampah_row] = [row for row in rows if row["id"] == SAMPAH]
    tap = answered["category"]
    assert tap["context"]["id"] == wamid_of(category_list)
    assert tap["interactive"]["type"] == "list_reply"
    assert tap["interactive"]["list_reply"] == {"id": SAMPAH, "title": sampah_row["title"]}

    # Privacy and the summary are reply buttons, tapped as button replies.
    for step, wanted in (("privacy", PRIVACY_BUTTONS), ("summary", SUMMARY_BUTTONS)):
        question = asked[step][-1]
        assert (question.body or {})["interactive"]["type"] == "button"
        assert choices(question.body or {}) == wanted
        tap = answered[step]
        assert tap["context"]["id"] == wamid_of(question)
        assert tap["interactive"]["type"] == "button_reply"
        assert tap["interactive"]["button_reply"] == {"id": wanted[0][0], "title": wanted[0][1]}
    assert answered["location"]["type"] == "location"
    assert answered["attachments"]["type"] == "image"

    # Each message the citizen sent was marked read (with "typing...") before the answer.
    receipts = graph.requests(READ)
    wamids = [message["id"] for message, _ in citizen.turns]
    assert {(r.body or {})["message_id"] for r in receipts} == set(wamids)
    for record in receipts:
        assert record.body == {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": (record.body or {})["message_id"],
            "typing_indicator": {"type": "text"},
        }
        assert record.path == f"/{graph.version}/{graph.phone_number_id}/messages"
    for message, answer in citizen.turns:
        first_receipt = min(r.at for r in receipts if (r.body or {})["message_id"] == message["id"])
        assert first_receipt <= answer[0].at, f"answer to {message['type']} before its read receipt"

    # The photo: looked up by its media ID, then downloaded from its URL with the token.
    [info] = graph.requests(MEDIA_INFO)
    [download] = graph.requests(MEDIA_DOWNLOAD)
    assert (info.http_method, info.path) == ("GET", f"/{graph.version}/{media_id}")
    assert download.http_method == "GET"
    assert download.path == "/lookaside/whatsapp_business/attachments/"
    assert info.authorized and download.authorized and download.status == 200
    answer_to_photo = citizen.turns[position["attachments"] + 1][1]
    assert info.at < download.at < answer_to_photo[0].at

    # The report in the backend.
    response = backend_get(assistant, f"/api/v1/complaints/{tracking_id}")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["tracking_id"] == tracking_id
    assert report["category"] == "sampah"
    assert report["report_type"] == "complaint"
    assert report["description"] == DESCRIPTION
    assert report["channel"] == "whatsapp"
    assert report["privacy"] == "public"
    assert report["location"]["kecamatan"] == "Cikupa"
    assert report["location"]["latitude"] == PIN[0]
    assert report["location"]["longitude"] == PIN[1]
    assert report["incident_date"] == (today() - dt.timedelta(days=1)).isoformat()
    assert report["reporter"]["chat_id"] == f"whatsapp:{wa_id}"
    assert report["reporter"]["name"] == "Siti Rahmawati"
    assert report["reporter"]["phone"] == f"+{wa_id}"
    [attachment_id] = report["attachments"]
    [attachment] = report["attachment_files"]
    assert attachment["id"] == attachment_id
    assert attachment["content_type"] == "image/jpeg"
    assert attachment["filename"] == f"foto_{media_id}.jpg"
    assert attachment["size"] == len(JPEG)
    stored = backend_get(assistant, f"/api/v1/attachments/{attachment_id}")
    assert stored.status_code == 200 and stored.content == JPEG


def test_a_message_delivered_again_is_answered_once(
    assistant: Assistant, gateway: RunningGateway, graph: FakeGraphAPI
) -> None:
    wa_id = new_citizen()
    citizen = Citizen(gateway, graph, wa_id, "Rudi Hartono")
    text = "lampu jalan di depan gang rumah saya mati sudah seminggu, gelap banget kalau malam"
    message = citizen.payloads.text(wa_id, text)

    # Meta retries a delivery it thinks was lost, before and after the first is answered.
    assert citizen.deliver(message).status_code == 200
    assert citizen.deliver(message).status_code == 200
    citizen.settle()
    answer = graph.requests(MESSAGES, to=wa_id)
    assert answer, "no answer at all"
    assert citizen.deliver(message).status_code == 200
    citizen.settle()
    assert graph.requests(MESSAGES, to=wa_id) == answer, "a redelivery was answered again"

    # Rasa saw the message once, and each of its utterances went out once.
    tracker = httpx.get(
        f"{assistant.rasa_url}/conversations/whatsapp:{wa_id}/tracker",
        params={"token": assistant.rasa_token},
        timeout=30,
    )
    assert tracker.status_code == 200
    events = tracker.json()["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [text]
    utterances = [e["text"] for e in events if e["event"] == "bot" and e.get("text")]
    assert [shown_text(r.body or {}) for r in answer] == utterances
    assert {(r.body or {})["message_id"] for r in graph.requests(READ)} == {message["id"]}
