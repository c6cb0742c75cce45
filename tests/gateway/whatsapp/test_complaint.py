"""A whole complaint over WhatsApp against a scripted Rasa: list, pin, photo, buttons, receipts.

The gateway's side of the conversation end to end (the real Rasa version lives with the
end-to-end tests): every turn reaches Rasa with the right text and metadata, every
answer comes back in the right WhatsApp shape, and the status update days later goes
out as the approved template.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.delivery import Notification
from tests.fakes import whatsapp_payloads as wp
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.whatsapp_api import ACCESS_TOKEN, FakeGraphAPI
from tests.gateway.conftest import BACKEND_TOKEN
from tests.gateway.whatsapp.conftest import (
    APP_SECRET,
    Clock,
    Services,
    new_citizen,
    running,
    settings_for,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200
CATEGORIES = ["Jalan rusak", "Sampah", "Banjir", "Penerangan jalan", "Lainnya"]
TRACKING_ID = "TNG-2026-000123"


def complaint_script(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """A Rasa that runs a small complaint form."""

    def say(text: str, buttons: Sequence[tuple[str, str]] = ()) -> list[dict[str, Any]]:
        reply: dict[str, Any] = {"recipient_id": sender, "text": text}
        if buttons:
            reply["buttons"] = [{"title": t, "payload": p} for t, p in buttons]
        return [reply]

    if message.startswith("/inform"):
        return say("Di mana lokasinya? Kirim lokasi (📎 > Lokasi) atau ketik alamatnya.")
    if message == "/share_location":
        return say("Terima kasih. Ada foto kejadian?")
    if metadata.get("attachments"):
        return say(
            "Laporan ini boleh ditampilkan dengan nama Bapak/Ibu?",
            [
                ("Publik", "/privacy_public"),
                ("Anonim", "/privacy_anonymous"),
                ("Rahasia", "/privacy_conf"),
            ],
        )
    if message == "/privacy_public":
        return say("Kirim laporan sekarang?", [("Kirim", "/affirm"), ("Ubah", "/change")])
    if message == "/affirm":
        return say(f"Laporan tercatat. Nomor laporan: {TRACKING_ID}.")
    return say(
        "Kategori yang paling sesuai?",
        [(c, f'/inform{{"complaint_category": "c{n}"}}') for n, c in enumerate(CATEGORIES)],
    )


def test_a_complaint_with_a_list_a_pin_a_photo_and_buttons(
    graph: FakeGraphAPI,
    rasa: FakeRasa,
    backend_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rasa.script = complaint_script
    payloads = wp.WebhookFactory(phone_number_id=graph.phone_number_id)
    citizen = new_citizen()
    payloads.names[citizen] = "Ahmad Fauzi"
    clock = Clock()
    media_id = wp.new_media_id()
    graph.add_media(media_id, JPEG, "image/jpeg")
    settings = settings_for(graph, tmp_path)
    with running(settings, Services(rasa.base_url, backend_url), clock) as whatsapp:

        def turn(message: dict[str, Any], sent_before: int) -> dict[str, Any]:
            assert whatsapp.post(payloads.delivery([message])).status_code == 200
            graph.wait_for(lambda g: len(g.sent(citizen)) > sent_before)
            whatsapp.drain()
            return graph.sent(citizen)[-1]

        ask_category = turn(payloads.text(citizen, "Jalan berlubang di depan Pasar Cikupa"), 0)
        rows = ask_category["interactive"]["action"]["sections"][0]["rows"]
        assert [r["title"] for r in rows] == CATEGORIES
        ask_place = turn(payloads.list_reply(citizen, rows[0]["id"], rows[0]["title"]), 1)
        assert ask_place["text"]["body"].startswith("Di mana lokasinya?")
        ask_photo = turn(
            payloads.location(citizen, -6.2297, 106.5071, name="Pasar Cikupa", address="Cikupa"),
            2,
        )
        assert ask_photo["text"]["body"] == "Terima kasih. Ada foto kejadian?"
        ask_privacy = turn(payloads.image(citizen, media_id, content=JPEG), 3)
        privacy_buttons = ask_privacy["interactive"]["action"]["buttons"]
        assert [b["reply"]["title"] for b in privacy_buttons] == ["Publik", "Anonim", "Rahasia"]
        ask_send = turn(payloads.button_reply(citizen, "/privacy_public", "Publik"), 4)
        assert ask_send["interactive"]["body"]["text"] == "Kirim laporan sekarang?"
        receipt = turn(payloads.button_reply(citizen, "/affirm", "Kirim"), 5)
        assert receipt["text"]["body"] == f"Laporan tercatat. Nomor laporan: {TRACKING_ID}."

        receipt_id = graph.sent_ids(citizen)[-1]
        statuses = [payloads.status(receipt_id, s, citizen) for s in ("sent", "delivered", "read")]
        whatsapp.post(payloads.delivery(statuses=statuses))
        whatsapp.drain()
        record = whatsapp.run(whatsapp.channel.store.outgoing(receipt_id))
        assert record is not None and record.status == "read"

        clock.offset = dt.timedelta(days=3)
        update = Notification(
            chat_id=citizen,
            text=f"Laporan {TRACKING_ID} sedang ditindaklanjuti.",
            template_params=(TRACKING_ID, "Sedang ditindaklanjuti", "-"),
        )
        assert whatsapp.run(whatsapp.channel.deliver(update)).accepted

    turns = rasa.requests(f"whatsapp:{citizen}")
    assert [t.message for t in turns] == [
        "Jalan berlubang di depan Pasar Cikupa",
        '/inform{"complaint_category": "c0"}',
        "/share_location",
        "/send_attachment",
        "/privacy_public",
        "/affirm",
    ]
    assert all(t.metadata["phone"] == f"+{citizen}" for t in turns)
    assert all(t.metadata["display_name"] == "Ahmad Fauzi" for t in turns)
    assert turns[2].metadata["location"] == {
        "latitude": -6.2297,
        "longitude": 106.5071,
        "title": "Pasar Cikupa",
        "address": "Cikupa",
    }
    [attachment_id] = turns[3].metadata["attachments"]
    stored = httpx.get(
        f"{backend_url}/api/v1/attachments/{attachment_id}",
        headers={"Authorization": f"Bearer {BACKEND_TOKEN}"},
    )
    assert stored.status_code == 200 and stored.content == JPEG
    assert len(graph.read_receipts()) == 6
    [template] = [body["template"] for body in graph.sent(citizen, "template")]
    assert template["name"] == "status_laporan"
    assert template["components"][0]["parameters"][0] == {"type": "text", "text": TRACKING_ID}
    assert citizen not in caplog.text, "the citizen's number reached a log unmasked"
    assert "Ahmad Fauzi" not in caplog.text, "the citizen's name reached a log"
    assert ACCESS_TOKEN not in caplog.text and APP_SECRET not in caplog.text, "a secret was logged"
