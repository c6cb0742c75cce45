"""Issue 17 on WhatsApp, end to end: an officer's question to a citizen outside the
24-hour window goes as the approved question template, and the citizen's reply in the
chat is the answer on the report.

Fake Graph API -> gateway (WhatsApp from the environment, its notifier on the backend's
outbox) -> real Rasa -> action server -> backend, and back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conversation.conftest import Assistant, wait_until
from tests.conversation.test_thread_end_to_end import (  # noqa: F401 - the fixture
    api,
    ask,
    file_report,
    officer_token,
    report,
)
from tests.conversation.test_whatsapp_end_to_end import Citizen, whatsapp_gateway
from tests.fakes.whatsapp_api import FakeGraphAPI
from tests.gateway.conftest import RunningGateway
from tests.gateway.whatsapp.conftest import new_citizen

QUESTION = "Lubangnya di depan rumah nomor berapa, Pak? Kalau bisa kirim fotonya."
TEMPLATE = "pertanyaan_laporan"


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    """A fake Graph API with the question template approved in Indonesian."""
    with FakeGraphAPI() as fake:
        fake.add_template(TEMPLATE, "id", parameters=2)
        yield fake


@pytest.fixture
def gateway(
    assistant: Assistant, graph: FakeGraphAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningGateway]:
    """The WhatsApp gateway in front of the real assistant, its notifier running."""
    with whatsapp_gateway(assistant, graph, tmp_path, monkeypatch, notifier=True) as started:
        yield started


def test_outside_the_window_the_question_is_the_template_and_the_reply_is_the_answer(
    assistant: Assistant,
    officer_token: str,  # noqa: F811 - the imported fixture
    gateway: RunningGateway,
    graph: FakeGraphAPI,
) -> None:
    wa_id = new_citizen()  # never wrote to us: outside the 24-hour window
    reporter = {"name": "Dedi Kurniawan", "phone": f"+{wa_id}", "chat_id": f"whatsapp:{wa_id}"}
    tracking_id = file_report(assistant, channel="whatsapp", reporter=reporter)
    ask(assistant, officer_token, tracking_id, QUESTION)

    [template] = wait_until(lambda: graph.sent(wa_id, "template"))
    assert template["template"]["name"] == TEMPLATE
    assert template["template"]["language"]["code"] == "id"
    parameters = template["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == [tracking_id, QUESTION]
    assert graph.sent_texts(wa_id) == []  # no free text outside the window
    deliveries = wait_until(
        lambda: [
            n
            for n in api(assistant, "GET", f"/api/v1/complaints/{tracking_id}").json()[
                "notifications"
            ]
            if n["event_type"] == "complaint.question"
            and n["state"] in {"sent", "delivered", "read"}
        ]
    )
    assert deliveries, "the question's delivery is reported to the backend"

    citizen = Citizen(gateway, graph, wa_id, "Dedi")
    reply = citizen.says("depan rumah no 12 pak, samping masjid")
    assert "teruskan" in reply and tracking_id in reply, citizen.transcript()
    answers = [e for e in report(assistant, tracking_id)["thread"] if e["author"] == "citizen"]
    assert [e["text"] for e in answers] == ["depan rumah no 12 pak, samping masjid"]
    citizen.says("selesai")
    assert report(assistant, tracking_id)["waiting_for_reporter"] is False
    assert len(graph.sent(wa_id, "template")) == 1  # the question went once
