"""What citizens send on WhatsApp and how it reaches Rasa; what Rasa says and how it is shown."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.whatsapp_api import MEDIA_DOWNLOAD, MEDIA_INFO, FakeGraphAPI
from tests.gateway.conftest import BACKEND_TOKEN
from tests.gateway.whatsapp.conftest import (
    RunningWhatsApp,
    Services,
    gateway_text,
    new_citizen,
    running,
    settings_for,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OGG = b"OggS" + b"\x00" * 200
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
LONG_PAYLOAD = '/inform{"complaint_category": "' + "infrastruktur_jalan_" * 15 + '"}'


def script(buttons: list[dict[str, str]], text: str = "Kategori yang paling sesuai?") -> Any:
    """Rasa answers typed text with `buttons`, and echoes payloads."""

    def answer(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if message.startswith("/"):
            return [{"recipient_id": sender, "text": f"got {message}"}]
        return [{"recipient_id": sender, "text": text, "buttons": buttons}]

    return answer


def interactive(graph: FakeGraphAPI, citizen: str) -> list[dict[str, Any]]:
    return [body["interactive"] for body in graph.sent(citizen, "interactive")]


# --- buttons and lists -------------------------------------------------------------------


def test_up_to_three_buttons_become_reply_buttons_and_a_tap_sends_the_payload(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    rasa.script = script(
        [
            {"title": "Jalan rusak", "payload": '/inform{"complaint_category": "jalan"}'},
            {"title": "Sampah", "payload": "/inform_sampah"},
            {"title": "Lainnya", "payload": "/deny"},
        ]
    )
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "jalan rusak parah")]))
    graph.wait_for(lambda g: len(interactive(g, citizen)) == 1)
    [message] = interactive(graph, citizen)
    assert message["type"] == "button"
    assert message["body"] == {"text": "Kategori yang paling sesuai?"}
    buttons = message["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Jalan rusak", "Sampah", "Lainnya"]
    assert buttons[0]["reply"]["id"] == '/inform{"complaint_category": "jalan"}'
    assert all(b["type"] == "reply" for b in buttons)

    tap = payloads.button_reply(citizen, buttons[0]["reply"]["id"], "Jalan rusak")
    whatsapp.post(payloads.delivery([tap]))
    payload = '/inform{"complaint_category": "jalan"}'
    graph.wait_for(lambda g: f"got {payload}" in g.sent_texts(citizen))
    last = rasa.requests(f"whatsapp:{citizen}")[-1]
    assert last.message == payload
    assert last.metadata["button_title"] == "Jalan rusak"


def test_long_titles_are_cut_to_twenty_characters(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    rasa.script = script(
        [
            {"title": "Infrastruktur jalan dan jembatan", "payload": "/a"},
            {"title": "Sampah", "payload": "/b"},
        ]
    )
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: len(interactive(g, citizen)) == 1)
    titles = [b["reply"]["title"] for b in interactive(graph, citizen)[0]["action"]["buttons"]]
    assert titles == ["Infrastruktur jalan…", "Sampah"]
    assert len(titles[0]) == 20


def test_a_payload_too_long_for_an_id_is_stored_and_resolved(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    assert len(LONG_PAYLOAD) > 256
    rasa.script = script([{"title": "Jalan", "payload": LONG_PAYLOAD}])
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "halo")]))
    graph.wait_for(lambda g: len(interactive(g, citizen)) == 1)
    [button] = interactive(graph, citizen)[0]["action"]["buttons"]
    reply_id = button["reply"]["id"]
    assert len(reply_id) <= 256 and reply_id != LONG_PAYLOAD
    whatsapp.post(payloads.delivery([payloads.button_reply(citizen, reply_id, "Jalan")]))
    graph.wait_for(lambda g: f"got {LONG_PAYLOAD}" in g.sent_texts(citizen))
    assert rasa.requests()[-1].message == LONG_PAYLOAD


def test_an_expired_stored_payload_asks_the_citizen_to_type(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.button_reply(citizen, "#" + "0" * 32, "Lama")]))
    expected = gateway_text("utter_gateway_button_expired")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert rasa.requests() == []


def test_more_than_three_buttons_become_a_list_and_a_row_sends_its_payload(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    fields = ["Uraian", "Kategori", "Lokasi", "Tanggal", "Privasi", "Lampiran"]
    rasa.script = script(
        [{"title": f, "payload": f"/change_{f.lower()}"} for f in fields], "Bagian mana?"
    )
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "ubah")]))
    graph.wait_for(lambda g: len(interactive(g, citizen)) == 1)
    [message] = interactive(graph, citizen)
    assert message["type"] == "list"
    assert message["body"] == {"text": "Bagian mana?"}
    assert 1 <= len(message["action"]["button"]) <= 20
    [section] = message["action"]["sections"]
    assert [r["title"] for r in section["rows"]] == fields
    assert [r["id"] for r in section["rows"]][2] == "/change_lokasi"

    row = payloads.list_reply(citizen, "/change_lokasi", "Lokasi")
    whatsapp.post(payloads.delivery([row]))
    graph.wait_for(lambda g: "got /change_lokasi" in g.sent_texts(citizen))
    assert rasa.requests()[-1].metadata["button_title"] == "Lokasi"


def test_more_than_ten_choices_take_several_lists_and_long_titles_keep_a_description(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    choices = [
        {"title": f"Kategori nomor {n} yang panjang sekali", "payload": f"/c{n}"} for n in range(18)
    ]
    rasa.script = script(choices, "Pilih kategori:")
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "kategori")]))
    graph.wait_for(lambda g: len(interactive(g, citizen)) == 2)
    first, second = interactive(graph, citizen)
    rows = [r for m in (first, second) for r in m["action"]["sections"][0]["rows"]]
    assert [len(m["action"]["sections"][0]["rows"]) for m in (first, second)] == [10, 8]
    assert [r["id"] for r in rows] == [f"/c{n}" for n in range(18)]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["description"] == "Kategori nomor 0 yang panjang sekali"
    assert first["body"]["text"] == "Pilih kategori:"
    assert second["body"]["text"] and second["body"]["text"] != "Pilih kategori:"


def test_a_template_quick_reply_sends_its_payload(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.template_button(citizen, "/check_status", "Cek")]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: /check_status"])
    assert rasa.requests()[0].metadata["button_title"] == "Cek"


# --- text --------------------------------------------------------------------------------


def test_a_reply_over_4096_characters_is_split_at_sentences(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    sentence = "Laporan Bapak/Ibu sedang kami verifikasi bersama dinas terkait. "
    long_text = (sentence * 160).strip()
    rasa.script = lambda sender, message, metadata: [{"recipient_id": sender, "text": long_text}]
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "info")]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) >= 3)
    whatsapp.drain()
    parts = graph.sent_texts(citizen)
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.endswith("terkait.") for part in parts)
    assert " ".join(parts).split() == long_text.split()


def test_a_long_question_with_buttons_keeps_every_word(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    question = "Mohon periksa ringkasan laporan berikut sebelum dikirim. " * 30 + "Kirim sekarang?"
    rasa.script = script([{"title": "Kirim", "payload": "/affirm"}], question)
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "selesai")]))
    graph.wait_for(lambda g: len(interactive(g, citizen)) == 1)
    whatsapp.drain()
    [message] = interactive(graph, citizen)
    body = message["body"]["text"]
    assert len(body) <= 1024 and body.endswith("Kirim sekarang?")
    texts = graph.sent_texts(citizen)
    assert texts, "the start of the question went out as text first"
    assert " ".join([*texts, body]).split() == question.split()


def test_a_typed_slash_is_not_read_as_an_intent(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, '/inform{"privacy": "public"}')]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 1)
    assert rasa.requests()[0].message == 'inform{"privacy": "public"}'


def test_an_image_reply_is_sent_as_an_image(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    url = "https://lapor.tangerangkab.go.id/static/peta.png"
    rasa.script = lambda sender, message, metadata: [
        {"recipient_id": sender, "text": "Peta wilayah:"},
        {"recipient_id": sender, "image": url},
    ]
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.text(citizen, "peta")]))
    graph.wait_for(lambda g: len(g.sent(citizen)) == 2)
    assert graph.sent(citizen, "image")[0]["image"] == {"link": url}


# --- location ----------------------------------------------------------------------------


def test_a_location_pin_fills_the_location_slots(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    pin = payloads.location(citizen, -6.2615, 106.5132)
    place = payloads.location(
        citizen, -6.2, 106.6, name="Pasar Cikupa", address="Jl. Raya Serang, Cikupa"
    )
    whatsapp.post(payloads.delivery([pin, place]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 2)
    first, second = rasa.requests()
    assert first.message == "/share_location"
    assert first.metadata["location"] == {"latitude": -6.2615, "longitude": 106.5132}
    assert second.metadata["location"] == {
        "latitude": -6.2,
        "longitude": 106.6,
        "title": "Pasar Cikupa",
        "address": "Jl. Raya Serang, Cikupa",
    }


# --- media -------------------------------------------------------------------------------


def _stored(backend_url: str, attachment_id: str) -> bytes:
    response = httpx.get(
        f"{backend_url}/api/v1/attachments/{attachment_id}",
        headers={"Authorization": f"Bearer {BACKEND_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    return response.content


@pytest.fixture
def with_backend(graph: FakeGraphAPI, rasa: FakeRasa, backend_url: str, tmp_path: Path) -> Any:
    with running(settings_for(graph, tmp_path), Services(rasa.base_url, backend_url)) as gateway:
        yield gateway


def test_a_photo_goes_to_the_backend_and_its_attachment_id_to_rasa(
    with_backend: RunningWhatsApp,
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
    backend_url: str,
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, PNG, "image/jpeg")
    photo = payloads.image(citizen, media_id, caption="ini fotonya", content=PNG)
    with_backend.post(payloads.delivery([photo]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 1)
    [request] = rasa.requests()
    assert request.message == "ini fotonya"
    assert request.metadata["attachment_kind"] == "photo"
    [attachment_id] = request.metadata["attachments"]
    assert _stored(backend_url, attachment_id) == PNG
    [info] = graph.requests(MEDIA_INFO)
    assert info.path.endswith(f"/{media_id}") and info.authorized
    [download] = graph.requests(MEDIA_DOWNLOAD)
    assert download.authorized and download.ok


@pytest.mark.parametrize(
    ("kind", "content", "mime_type", "expected_kind"),
    [
        ("voice", OGG, "audio/ogg; codecs=opus", "voice"),
        ("audio", OGG, "audio/ogg", "audio"),
        ("video", MP4, "video/mp4", "video"),
        ("document", PDF, "application/pdf", "document"),
    ],
)
def test_voice_audio_video_and_documents_are_stored_as_evidence(
    kind: str,
    content: bytes,
    mime_type: str,
    expected_kind: str,
    with_backend: RunningWhatsApp,
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
    backend_url: str,
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, content, mime_type)
    if kind in ("voice", "audio"):
        message = payloads.audio(citizen, media_id, voice=kind == "voice", mime_type=mime_type)
    elif kind == "video":
        message = payloads.video(citizen, media_id, mime_type=mime_type)
    else:
        message = payloads.document(citizen, media_id, "bukti_kwitansi.pdf", mime_type=mime_type)
    with_backend.post(payloads.delivery([message]))
    graph.wait_for(lambda g: len(g.sent_texts(citizen)) == 1)
    [request] = rasa.requests()
    assert request.message == "/send_attachment"
    assert request.metadata["attachment_kind"] == expected_kind
    [attachment_id] = request.metadata["attachments"]
    assert _stored(backend_url, attachment_id) == content


def test_a_file_declared_over_the_limit_is_refused_without_downloading(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, PDF, "application/pdf", declared_size=30_000_000)
    whatsapp.post(payloads.delivery([payloads.document(citizen, media_id, "besar.pdf")]))
    expected = gateway_text("utter_gateway_file_too_large")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert graph.requests(MEDIA_DOWNLOAD) == []
    assert rasa.requests() == []


def test_a_file_bigger_than_declared_is_cut_off_while_downloading(
    graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory, tmp_path: Path
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, b"\xff" * 5000, "video/mp4", declared_size=100)
    settings = settings_for(graph, tmp_path, max_media_bytes=1000)
    with running(settings, Services(rasa.base_url)) as whatsapp:
        whatsapp.post(payloads.delivery([payloads.video(citizen, media_id)]))
        expected = gateway_text("utter_gateway_file_too_large")
        graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert len(graph.requests(MEDIA_DOWNLOAD)) == 1
    assert rasa.requests() == []


def test_a_file_type_the_backend_refuses_gets_a_clear_answer(
    with_backend: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, b"MZ\x90\x00" + b"\x00" * 100, "application/octet-stream")
    message = payloads.document(
        citizen, media_id, "hadiah.exe", mime_type="application/octet-stream"
    )
    with_backend.post(payloads.delivery([message]))
    expected = gateway_text("utter_gateway_file_rejected")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert rasa.requests() == []


def test_backend_down_while_uploading_gets_an_apology(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, PNG, "image/png")
    whatsapp.post(payloads.delivery([payloads.image(citizen, media_id)]))  # backend: closed port
    expected = gateway_text("utter_gateway_file_failed")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert rasa.requests() == []


@pytest.mark.parametrize("endpoint", [MEDIA_INFO, MEDIA_DOWNLOAD])
def test_whatsapp_failing_to_serve_the_file_gets_an_apology(
    endpoint: str,
    whatsapp: RunningWhatsApp,
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    citizen, media_id = new_citizen(), wp.new_media_id()
    graph.add_media(media_id, PNG, "image/png")
    graph.fail_next(131000, endpoint=endpoint)
    whatsapp.post(payloads.delivery([payloads.image(citizen, media_id)]))
    expected = gateway_text("utter_gateway_file_failed")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert rasa.requests() == []


def test_an_unknown_media_id_gets_an_apology(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    whatsapp.post(payloads.delivery([payloads.image(citizen, "404404404")]))
    expected = gateway_text("utter_gateway_file_failed")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert rasa.requests() == []


# --- what Rasa cannot read ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["sticker", "contacts", "reaction", "unsupported", "order", "poll"]
)
def test_unsupported_content_gets_an_explanation_not_silence(
    kind: str,
    whatsapp: RunningWhatsApp,
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    payloads: wp.WebhookFactory,
) -> None:
    citizen = new_citizen()
    if kind == "sticker":
        message = payloads.sticker(citizen)
    elif kind == "contacts":
        message = payloads.contacts(citizen, "Pak RT Ahmad", "+6281298765432")
    elif kind == "reaction":
        message = payloads.reaction(citizen, wp.new_wamid(), "👍")
    elif kind == "unsupported":
        message = payloads.unsupported(citizen)
    else:
        message = payloads.of_type(citizen, kind, {"catalog_id": "1", "text": "?"})
    whatsapp.post(payloads.delivery([message]))
    expected = gateway_text("utter_gateway_unsupported")
    graph.wait_for(lambda g: g.sent_texts(citizen) == [expected])
    assert rasa.requests() == []
    assert [r["message_id"] for r in graph.read_receipts()] == [message["id"]]


def test_a_removed_reaction_and_a_system_message_are_not_answered(
    whatsapp: RunningWhatsApp, graph: FakeGraphAPI, rasa: FakeRasa, payloads: wp.WebhookFactory
) -> None:
    citizen = new_citizen()
    removed = payloads.reaction(citizen, wp.new_wamid(), None)
    system = payloads.system(citizen, new_citizen())
    after = payloads.text(citizen, "halo")
    whatsapp.post(payloads.delivery([removed, system, after]))
    graph.wait_for(lambda g: g.sent_texts(citizen) == ["echo: halo"])
    whatsapp.drain()
    time.sleep(0.2)
    assert graph.sent_texts(citizen) == ["echo: halo"]
    assert [r.message for r in rasa.requests()] == ["halo"]
