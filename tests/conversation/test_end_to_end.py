"""The whole assistant as processes: Rasa (REST channel), the action server and the backend."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from zoneinfo import ZoneInfo

import httpx

from tests.conversation.conftest import Assistant


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def texts(replies: list[dict[str, object]]) -> str:
    """All reply texts joined."""
    return "\n".join(str(r.get("text", "")) for r in replies)


def backend_get(assistant: Assistant, path: str) -> httpx.Response:
    """GET from the backend with the service token."""
    headers = {"Authorization": f"Bearer {assistant.backend_token}"}
    return httpx.get(f"{assistant.backend_url}{path}", headers=headers, timeout=10)


def test_complaint_filed_over_rest_reaches_the_backend_with_every_field(
    assistant: Assistant,
) -> None:
    upload = httpx.post(
        f"{assistant.backend_url}/api/v1/attachments",
        headers={"Authorization": f"Bearer {assistant.backend_token}"},
        files={"file": ("foto.png", tiny_png(), "image/png")},
        timeout=10,
    )
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["id"]
    sender = "telegram:5001"
    meta = {"channel": "telegram", "chat_id": "5001", "display_name": "Budi Santoso"}
    description = (
        "sampah numpuk di pinggir jalan dekat pasar udah 2 minggu gak diangkut, bau banget"
    )

    replies = assistant.say(sender, description, meta)
    assert "Sampah" in texts(replies)
    assert any(
        b["payload"] == '/inform{"complaint_category":"sampah"}' for b in replies[-1]["buttons"]
    )
    assert "lokasi" in texts(assistant.say(sender, "ya betul", meta)).lower()
    pin = {**meta, "location": {"latitude": -6.165, "longitude": 106.535}}
    # "udah 2 minggu" in the first message is offered as the date; the citizen corrects it.
    offered = texts(assistant.say(sender, "/share_location", pin))
    assert "Kejadiannya sekitar" in offered
    assert "kapan" in texts(assistant.say(sender, "bukan", meta)).lower()
    assert "Publik" in str(assistant.say(sender, "2 hari lalu", meta))
    assert "foto" in texts(assistant.say(sender, "publik aja", meta)).lower()
    summary = texts(
        assistant.say(sender, "/send_attachment", {**meta, "attachments": [attachment_id]})
    )
    assert "Mohon periksa laporan" in summary
    assert "Lampiran: 1" in summary
    done = texts(assistant.say(sender, "ya kirim", meta))
    assert "Nomor laporan: TNG-" in done
    tracking_id = done.split("Nomor laporan: ")[1].split()[0]

    report = backend_get(assistant, f"/api/v1/complaints/{tracking_id}").json()
    two_days_ago = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date() - dt.timedelta(days=2)
    assert report["category"] == "sampah"
    assert report["agency"] == "DLHK"
    assert report["report_type"] == "complaint"
    assert report["description"] == description
    assert report["location"]["latitude"] == -6.165
    assert report["location"]["longitude"] == 106.535
    assert report["location"]["kecamatan"] is not None
    assert report["incident_date"] == two_days_ago.isoformat()
    assert report["privacy"] == "public"
    assert report["channel"] == "telegram"
    assert report["attachments"] == [attachment_id]
    assert report["reporter"]["chat_id"] == sender
    assert report["reporter"]["name"] == "Budi Santoso"

    status = texts(
        assistant.say(sender, f"cek status {tracking_id.lower().replace('-', '')}", meta)
    )
    assert tracking_id in status
    assert "Sampah" in status  # the reporter gets the full details
    other = texts(assistant.say("telegram:9999", f"status {tracking_id}", meta))
    assert "hanya ditampilkan kepada pelapornya" in other
    mine = texts(assistant.say(sender, "laporan saya", meta))
    assert tracking_id in mine


def test_rasa_http_api_needs_the_token(assistant: Assistant) -> None:
    assistant.say("web:token-check", "halo")
    url = f"{assistant.rasa_url}/conversations/web:token-check/tracker"
    assert httpx.get(url, timeout=10).status_code == 401
    tracker = httpx.get(url, params={"token": assistant.rasa_token}, timeout=10)
    assert tracker.status_code == 200
    assert tracker.json()["sender_id"] == "web:token-check"


def test_emergency_first_reply_says_call_112(assistant: Assistant) -> None:
    replies = assistant.say("web:fire", "tolong rumah tetangga kebakaran sekarang!!")
    assert "112" in str(replies[0]["text"])


def test_place_outside_the_regency_files_nothing(assistant: Assistant) -> None:
    before = backend_get(assistant, "/api/v1/complaints?per_page=1").json()["total"]
    sender = "web:outside"
    assistant.say(
        sender, "jalan rusak parah berlubang besar di depan rumah saya, bahaya buat motor"
    )
    assistant.say(sender, "ya")
    answer = texts(assistant.say(sender, "jl. raya cipondoh dekat situ"))
    assert "Kota Tangerang" in answer
    assert "tidak saya teruskan" in answer
    assert backend_get(assistant, "/api/v1/complaints?per_page=1").json()["total"] == before


def test_english_conversation_gets_english_replies(assistant: Assistant) -> None:
    sender = "web:english"
    greeting = texts(assistant.say(sender, "hello"))
    assert "Hello" in greeting
    reply = texts(
        assistant.say(sender, "the street light in front of my house has been off for two weeks")
    )
    assert "Street lighting" in reply
