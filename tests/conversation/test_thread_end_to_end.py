"""Issue 17 end to end: an officer asks, the citizen answers in the chat; a person takes over.

Fake Bot API -> gateway (with its notifier on the backend's outbox) -> real Rasa ->
action server -> backend, and back. The officer is an administrator created with the
backend's own command, using the console's token endpoint.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backend.conftest import complaint_body
from tests.conversation.conftest import ROOT, Assistant, notifying_gateway, wait_until
from tests.conversation.test_end_to_end import tiny_png
from tests.conversation.test_telegram_end_to_end import Citizen
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.gateway.conftest import RunningGateway

#: A chat of these tests' own (the assistant, and so its trackers, is shared by modules).
CHAT = 880_017
SENDER = f"telegram:{CHAT}"
OFFICER = "admin_tiket"
PASSWORD = "Rahasia-Tangerang-2026"


@pytest.fixture(scope="module")
def officer_token(assistant: Assistant) -> str:
    """An administrator's bearer token (the user made by `python -m backend create-user`)."""
    env = {
        **os.environ,
        "DATA_DIR": str(assistant.data_dir),
        "DATABASE_URL": "",
        "NEW_USER_PASSWORD": PASSWORD,
    }
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "backend", "create-user", OFFICER, "--role", "admin"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    response = httpx.post(
        f"{assistant.backend_url}/api/v1/auth/token",
        json={"username": OFFICER, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def gateway(
    assistant: Assistant, telegram: FakeTelegramAPI, tmp_path: Path
) -> Iterator[RunningGateway]:
    with notifying_gateway(assistant, telegram, tmp_path, turn_seconds=30.0) as started:
        yield started


def api(
    assistant: Assistant, method: str, path: str, token: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or assistant.backend_token}"}
    return httpx.request(
        method, f"{assistant.backend_url}{path}", headers=headers, timeout=30, **kwargs
    )


def file_report(assistant: Assistant, **changes: Any) -> str:
    """A report filed from the citizen's chat (as the action server files them)."""
    changes.setdefault(
        "reporter", {"name": "Siti Aminah", "phone": "+6281234567890", "chat_id": SENDER}
    )
    body = complaint_body(**changes)
    headers = {
        "Authorization": f"Bearer {assistant.backend_token}",
        "Idempotency-Key": f"thread-{time.time_ns()}",
    }
    response = httpx.post(
        f"{assistant.backend_url}/api/v1/complaints", json=body, headers=headers, timeout=30
    )
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_id"])


def ask(assistant: Assistant, token: str, tracking_id: str, question: str) -> None:
    response = api(
        assistant,
        "POST",
        f"/api/v1/complaints/{tracking_id}/questions",
        token,
        json={"text": question},
    )
    assert response.status_code == 201, response.text


def told(telegram: FakeTelegramAPI, needle: str, since: int = 0) -> list[dict[str, Any]]:
    return [m for m in telegram.sent_messages(CHAT)[since:] if needle in str(m.get("text"))]


def expecting_answer(assistant: Assistant) -> bool:
    """Whether the citizen's conversation has the answer form open (the notifier's trigger)."""
    tracker = httpx.get(
        f"{assistant.rasa_url}/conversations/{SENDER}/tracker",
        params={"token": assistant.rasa_token},
        timeout=30,
    ).json()
    return bool((tracker.get("active_loop") or {}).get("name") == "thread_form")


def report(assistant: Assistant, tracking_id: str) -> dict[str, Any]:
    data: dict[str, Any] = api(assistant, "GET", f"/api/v1/complaints/{tracking_id}").json()
    return data


def test_the_officer_asks_and_the_citizen_answers_with_text_and_a_photo(
    assistant: Assistant, officer_token: str, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    tracking_id = file_report(assistant)
    question = "Nomor rumah terdekat dari lubangnya berapa, Bu? Mohon fotonya juga."
    ask(assistant, officer_token, tracking_id, question)
    [delivered] = wait_until(lambda: told(telegram, question))
    assert tracking_id in delivered["text"] and "selesai" in delivered["text"]
    assert report(assistant, tracking_id)["waiting_for_reporter"] is True
    wait_until(lambda: expecting_answer(assistant))  # triggered right after delivering

    citizen = Citizen(gateway, telegram, CHAT)
    reply = citizen.says("iya pak, depan rumah no 17 pas sebelah warung bu Imas")
    assert "sudah kami teruskan" in reply and tracking_id in reply, reply
    photo = tiny_png()
    reply = citizen.sends_photo("thread-photo-1", photo)
    assert "teruskan" in reply, reply
    reply = citizen.says("udah itu aja pak")
    assert "Terima kasih" in reply and tracking_id in reply, reply

    data = report(assistant, tracking_id)
    assert data["waiting_for_reporter"] is False
    answers = [e for e in data["thread"] if e["author"] == "citizen"]
    assert [e["kind"] for e in answers] == ["answer", "answer"]
    assert "no 17" in answers[0]["text"]
    [attachment] = answers[1]["attachments"]
    attachment_id = attachment["id"] if isinstance(attachment, dict) else attachment
    content = api(assistant, "GET", f"/api/v1/attachments/{attachment_id}").content
    assert content == photo
    assert len(told(telegram, question)) == 1  # the question went once

    # After "selesai" the assistant is itself again: a new complaint starts normally
    # (then cancelled, so the next test's conversation has no form open).
    reply = citizen.says("mau lapor lampu jalan mati")
    assert "sudah kami teruskan" not in reply, reply
    assert "Batalkan laporan ini?" in citizen.says("batal")
    assert "Laporan dibatalkan" in citizen.says("iya batal"), citizen.latest


def test_with_two_open_questions_the_citizen_picks_the_report(
    assistant: Assistant, officer_token: str, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    first = file_report(assistant)
    second = file_report(
        assistant,
        category="sampah",
        description="Sampah menumpuk di pinggir kali dekat pasar, baunya sampai ke rumah warga.",
    )
    ask(assistant, officer_token, first, "Lubangnya sebesar apa, Bu?")
    wait_until(lambda: told(telegram, "Lubangnya sebesar apa"))
    ask(assistant, officer_token, second, "Sampahnya sudah berapa hari, Bu?")
    wait_until(lambda: told(telegram, "Sampahnya sudah berapa hari"))
    wait_until(lambda: expecting_answer(assistant))
    time.sleep(2)  # the second trigger too

    citizen = Citizen(gateway, telegram, CHAT)
    reply = citizen.says("udah seminggu lebih pak")
    assert "yang mana" in reply, reply
    titles = [
        b["text"]
        for m in citizen.latest
        for row in (m.get("reply_markup") or {}).get("inline_keyboard") or []
        for b in row
    ]
    assert any(first in t for t in titles) and any(second in t for t in titles), titles
    title = next(t for t in titles if second in t)
    reply = citizen.taps(title)
    assert "teruskan" in reply and second in reply, reply
    entries = [e for e in report(assistant, second)["thread"] if e["author"] == "citizen"]
    assert [e["text"] for e in entries] == ["udah seminggu lebih pak"]
    assert [e for e in report(assistant, first)["thread"] if e["author"] == "citizen"] == []
    citizen.says("selesai")


def test_a_person_takes_over_the_bot_is_silent_and_hand_back_resumes_it(
    assistant: Assistant, officer_token: str, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    citizen = Citizen(gateway, telegram, CHAT)
    citizen.says("halo")  # a conversation the officer can take over
    conversation = f"/api/v1/conversations/{SENDER}"
    taken = api(assistant, "POST", f"{conversation}/takeover", officer_token)
    assert taken.status_code == 200, taken.text
    wait_until(lambda: told(telegram, "petugas kami membalas langsung"))

    before = len(telegram.sent_messages(CHAT))
    assert (
        gateway.post_update(citizen.updates.text(CHAT, "pak jalannya makin parah")).status_code
        == 200
    )
    messages = wait_until(
        lambda: [
            m
            for m in api(assistant, "GET", f"{conversation}/messages", officer_token).json()[
                "messages"
            ]
            if m.get("text") == "pak jalannya makin parah"
        ]
    )
    assert messages[0]["author"] == "citizen"
    time.sleep(3)
    assert telegram.sent_messages(CHAT)[before:] == []  # the bot said nothing

    sent = api(
        assistant,
        "POST",
        f"{conversation}/messages",
        officer_token,
        json={"text": "Baik Bu, besok tim kami cek ke lokasi."},
    )
    assert sent.status_code == 201, sent.text
    wait_until(lambda: told(telegram, "besok tim kami cek ke lokasi", before))

    # A citizen flooding the chat: every message reaches the person once, in order,
    # and the bot stays silent; the officer's quick replies all go out, each once.
    flood = [f"pak ini pesan ke-{n} soal jalannya" for n in range(1, 21)]
    for text in flood:
        assert gateway.post_update(citizen.updates.text(CHAT, text)).status_code == 200

    def citizen_texts() -> list[str]:
        listed = api(assistant, "GET", f"{conversation}/messages", officer_token).json()
        return [m["text"] for m in listed["messages"] if m["author"] == "citizen"]

    wait_until(lambda: len(citizen_texts()) >= 1 + len(flood))
    assert citizen_texts() == ["pak jalannya makin parah", *flood]
    replies = [f"Baik Bu, catatan ke-{n} kami terima." for n in range(1, 6)]
    for text in replies:
        posted = api(
            assistant, "POST", f"{conversation}/messages", officer_token, json={"text": text}
        )
        assert posted.status_code == 201, posted.text
    wait_until(lambda: all(told(telegram, text, before) for text in replies))
    time.sleep(2)
    texts = [str(m.get("text")) for m in telegram.sent_messages(CHAT)[before:]]
    assert [t for t in texts if "catatan ke-" in t] == replies  # each once, in order
    assert not any("pesan ke-" in t for t in texts)  # nothing of the flood echoed

    released = api(assistant, "POST", f"{conversation}/release", officer_token)
    assert released.status_code == 200, released.text
    wait_until(lambda: told(telegram, "asisten otomatis kembali", before))
    reply = citizen.says("mau lapor jalan rusak")
    assert reply and "besok tim kami" not in reply, reply


def test_no_answer_by_the_deadline_closes_the_report_and_tells_the_citizen(
    assistant: Assistant, officer_token: str, gateway: RunningGateway, telegram: FakeTelegramAPI
) -> None:
    tracking_id = file_report(assistant)
    ask(assistant, officer_token, tracking_id, "Titik persisnya di sebelah mana, Bu?")
    wait_until(lambda: told(telegram, "Titik persisnya di sebelah mana"))
    # The working-day deadline passed: the backend's job (every THREAD_JOBS_SECONDS,
    # 60 s by default) closes the report with its note; the notifier tells the citizen.
    with sqlite3.connect(assistant.data_dir / "backend.db") as db:
        db.execute(
            "UPDATE reports SET reporter_due = '2026-01-02' WHERE tracking_id = ?", (tracking_id,)
        )
    [update] = wait_until(lambda: told(telegram, "tidak ada jawaban dari pelapor"), seconds=120)
    assert tracking_id in update["text"]
    data = report(assistant, tracking_id)
    assert (data["status"], data["waiting_for_reporter"]) == ("closed", False)
