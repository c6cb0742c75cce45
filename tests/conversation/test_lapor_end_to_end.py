"""SP4N-LAPOR! end to end: a complaint filed on Telegram reaches the stand-in LAPOR! once,
an agency's follow-up there reaches the citizen's chat once, and an officer's status
change reaches LAPOR! as a follow-up.

Fake Bot API -> gateway -> real Rasa -> action server -> backend (bridge on) -> stand-in
LAPOR! v3, and back through the backend's outbox and the gateway's notifier.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backend.lapor.conftest import MAPPING
from tests.conversation.conftest import Assistant, assistant_stack, notifying_gateway, wait_until
from tests.conversation.test_telegram_end_to_end import CHAT, Citizen
from tests.fakes.lapor_api import FakeLapor
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.gateway.conftest import RunningGateway

FOLLOWUP_ADD = "/complaints/followup/add"
AGENCY_ANSWER = "Perbaikan jalan dijadwalkan minggu depan oleh UPT Jalan wilayah Curug."


@pytest.fixture(scope="module")
def lapor() -> Iterator[FakeLapor]:
    """The stand-in LAPOR! v3."""
    with FakeLapor() as fake:
        yield fake


@pytest.fixture(scope="module")
def bridged(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, lapor: FakeLapor
) -> Iterator[Assistant]:
    """The assistant with the bridge on, polling LAPOR! every second."""
    data_dir = tmp_path_factory.mktemp("bridged")
    mapping = data_dir / "lapor_mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    env = {
        "LAPOR_ENABLED": "true",
        "LAPOR_BASE_URL": lapor.base_url,
        "LAPOR_AUTH_SECRET": lapor.auth_secret,
        "LAPOR_TOKEN": lapor.token,
        "LAPOR_MAPPING_FILE": str(mapping),
        "LAPOR_POLL_SECONDS": "1",
        "LAPOR_RETRY_BASE_SECONDS": "1",
    }
    with assistant_stack(trained_model, data_dir, env) as assistant:
        yield assistant


@pytest.fixture
def gateway(
    bridged: Assistant, telegram: FakeTelegramAPI, tmp_path: Path
) -> Iterator[RunningGateway]:
    """A webhook gateway in front of the assistant, its notifier on the backend's outbox."""
    with notifying_gateway(bridged, telegram, tmp_path, turn_seconds=30.0) as started:
        yield started


def api(assistant: Assistant, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {assistant.backend_token}"}
    return httpx.request(
        method, f"{assistant.backend_url}{path}", headers=headers, timeout=30, **kwargs
    )


def test_chat_report_goes_to_lapor_and_its_answers_come_back(
    bridged: Assistant, gateway: RunningGateway, telegram: FakeTelegramAPI, lapor: FakeLapor
) -> None:
    citizen = Citizen(gateway, telegram)
    citizen.says(
        "Assalamualaikum pak, mau lapor jalan di simpang Bitung, Curug rusak parah banyak "
        "lubang, kemarin sore motor anak saya jatuh disitu"
    )
    for answer in ("iya bener", "iya", "iya", "publik", "gk ada pak"):
        citizen.says(answer)
    filed = citizen.says("iya")
    assert "TNG-" in filed, filed
    tracking_id = "TNG-" + filed.split("TNG-", 1)[1][:11]

    # Forwarded to LAPOR!, once, with our tracking ID and the citizen's words.
    complaint = wait_until(
        lambda: next((c for c in lapor.created() if c.fields["tags_raw"] == tracking_id), None)
    )
    assert "simpang Bitung" in complaint.fields["content"]
    report = wait_until(
        lambda: (
            (r := api(bridged, "GET", f"/api/v1/complaints/{tracking_id}").json())["lapor"][
                "complaint_id"
            ]
            and r
        )
    )
    assert report["lapor"] == {
        "complaint_id": complaint.id,
        "state": "forwarded",
        "last_sync_at": report["lapor"]["last_sync_at"],
        "error": None,
    }
    assert len(lapor.created()) == 1

    # The agency answers on LAPOR!: the citizen hears it on Telegram, once.
    before = len(telegram.sent_messages(CHAT))
    lapor.add_followup(complaint.id, AGENCY_ANSWER)
    told = wait_until(
        lambda: [m for m in telegram.sent_messages(CHAT)[before:] if AGENCY_ANSWER in m["text"]]
    )
    time.sleep(3)  # a second delivery would come now
    again = [m for m in telegram.sent_messages(CHAT)[before:] if AGENCY_ANSWER in m["text"]]
    assert len(told) == len(again) == 1
    assert tracking_id in again[0]["text"]
    history = api(bridged, "GET", f"/api/v1/complaints/{tracking_id}").json()["history"]
    assert [h for h in history if h.get("source") == "lapor" and h["note"] == AGENCY_ANSWER]

    # An officer's status change goes to LAPOR! as a follow-up.
    changed = api(
        bridged,
        "POST",
        f"/api/v1/complaints/{tracking_id}/status",
        json={"status": "verified", "note": "Sudah dicek petugas di lapangan."},
    )
    assert changed.status_code == 200, changed.text
    sent = wait_until(
        lambda: [
            r
            for r in lapor.requests_to(FOLLOWUP_ADD)
            if str(r.form.get("complaint_id")) == str(complaint.id)
        ]
    )
    assert any("Sudah dicek petugas di lapangan." in r.form.get("content", "") for r in sent)
