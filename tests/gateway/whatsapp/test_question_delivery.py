"""Issue 17 on WhatsApp: a question outside the window goes as the question template;
a person's message outside it fails, named, instead of going as a status template."""

from __future__ import annotations

from bot.delivery import QUESTION_TEMPLATE, Notification
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.whatsapp_api import FakeGraphAPI
from tests.gateway.whatsapp.conftest import RunningWhatsApp, new_citizen
from tests.gateway.whatsapp.test_delivery import citizen_writes, deliver, templates_to

QUESTION = "Nomor rumah terdekatnya berapa, Pak?"


def question_for(citizen: str) -> Notification:
    return Notification(
        chat_id=citizen,
        text=f"Petugas yang menangani laporan TNG-2026-000123 ingin bertanya: {QUESTION}",
        template_params=("TNG-2026-000123", QUESTION),
        template=QUESTION_TEMPLATE,
    )


def test_outside_the_window_a_question_is_the_question_template(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI
) -> None:
    graph.add_template("pertanyaan_laporan", "id", parameters=2)
    citizen = new_citizen()
    result = deliver(whatsapp, question_for(citizen))
    assert result.accepted
    [template] = templates_to(graph, citizen)
    assert template["name"] == "pertanyaan_laporan"
    params = template["components"][0]["parameters"]  # type: ignore[index]
    assert [p["text"] for p in params] == ["TNG-2026-000123", QUESTION]


def test_inside_the_window_a_question_is_free_text(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, payloads: wp.WebhookFactory
) -> None:
    citizen = citizen_writes(whatsapp, payloads, graph)
    assert deliver(whatsapp, question_for(citizen)).accepted
    assert templates_to(graph, citizen) == []
    assert any(QUESTION in text for text in graph.sent_texts(citizen))


def test_a_persons_message_outside_the_window_fails_with_the_reason(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI
) -> None:
    citizen = new_citizen()
    result = deliver(whatsapp, Notification(chat_id=citizen, text="Halo Bu", template=""))
    assert not result.accepted and result.permanent
    assert result.failure is not None and "24-hour window" in result.failure
    assert graph.sent(citizen, "template") == [] and graph.sent_texts(citizen) == []
