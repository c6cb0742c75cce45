"""The actions against the real backend app (in-process, SQLite): what the bot files is
what the backend stores, and status look-ups respect the reporter's privacy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendClient
from actions.pending import PendingStore
from actions.services import Services, use_services
from actions.status import ActionCheckStatus, ActionMyReports
from actions.submission import (
    ActionSubmitComplaint,
    build_complaint_body,
    idempotency_key,
    submit_pending,
)
from backend.app import create_app
from backend.db import make_engine
from backend.migrate import upgrade
from backend.state import AppState
from tests.actions.conftest import DOMAIN, make_settings, make_tracker, responses
from tests.backend.conftest import SERVICE_TOKEN
from tests.backend.conftest import make_settings as make_backend_settings

SENDER = "telegram:4242"
OTHER = "whatsapp:6281111111"
DESCRIPTION = "Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh minggu ini."
SLOTS: dict[str, Any] = {
    "report_type": "complaint",
    "complaint_description": DESCRIPTION,
    "complaint_category": "jalan_jembatan",
    "complaint_location": "Jl. Raya Serang km 20",
    "complaint_kecamatan": "Balaraja",
    "complaint_desa": "Talagasari",
    "complaint_latitude": -6.2,
    "complaint_longitude": 106.45,
    "incident_date": "2026-11-20",
    "privacy": "public",
    "attachments": [],
    "report_draft_id": "draft-1",
}
META = {"channel": "telegram", "display_name": "Siti Aminah", "phone": "+6281234567890"}


@pytest.fixture
async def real_backend(tmp_path: Path) -> AsyncIterator[Services]:
    """Services whose backend client talks to the backend app in-process."""
    url = f"sqlite:///{tmp_path / 'backend.db'}"
    engine = make_engine(url)
    upgrade(url)
    state = AppState.from_settings(make_backend_settings(tmp_path), engine=engine)
    app = create_app(state=state)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend.test")
    services = Services(
        settings=make_settings(tmp_path),
        http=http,
        backend=BackendClient(http, "http://backend.test", SERVICE_TOKEN),
        pending=PendingStore(f"sqlite:///{tmp_path / 'pending.db'}"),
    )
    use_services(services)
    try:
        yield services
    finally:
        use_services(None)
        await services.close()
        engine.dispose()


async def run(action: Any, sender: str, **tracker_args: Any) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, make_tracker(sender_id=sender, **tracker_args), DOMAIN)
    return dispatcher


async def test_a_report_filed_by_the_bot_reaches_the_backend_intact(
    real_backend: Services,
) -> None:
    backend = real_backend.backend

    # File a public report.
    filed = await run(ActionSubmitComplaint(), SENDER, slots=SLOTS, intent="affirm", metadata=META)
    assert responses(filed) == ["utter_submitted"]
    tracking_id = filed.messages[0]["tracking_id"]
    assert tracking_id.startswith("TNG-")

    stored = await backend.get_complaint(tracking_id)
    assert stored["report_type"] == "complaint"
    assert stored["category"] == "jalan_jembatan"
    assert stored["description"] == DESCRIPTION
    assert stored["location"] == {
        "text": "Jl. Raya Serang km 20",
        "kecamatan": "Balaraja",
        "desa": "Talagasari",  # the matched desa, for the nearby search without a pin
        "latitude": -6.2,
        "longitude": 106.45,
    }
    assert stored["incident_date"] == "2026-11-20"
    assert stored["privacy"] == "public"
    assert stored["channel"] == "telegram"
    assert stored["attachments"] == []
    assert stored["status"] == "received"
    assert stored["updated_at"].endswith(("Z", "+00:00"))
    assert stored["reporter"]["chat_id"] == SENDER
    assert stored["reporter"]["name"] == "Siti Aminah"
    assert stored["reporter"]["phone"] == "+6281234567890"

    # Its reporter sees everything; another chat only the status.
    mine = await run(ActionCheckStatus(), SENDER, slots={"tracking_id": tracking_id})
    assert responses(mine) == ["utter_status_full"]
    assert mine.messages[0]["tracking_id"] == tracking_id
    assert mine.messages[0]["category_label"] == "Jalan & Jembatan"
    assert mine.messages[0]["status_label"] == "Diterima, menunggu verifikasi"
    theirs = await run(ActionCheckStatus(), OTHER, slots={"tracking_id": tracking_id})
    assert responses(theirs) == ["utter_status_public"]

    # A confidential report is invisible to other chats.
    confidential = {**SLOTS, "privacy": "confidential", "report_draft_id": "draft-2"}
    filed = await run(ActionSubmitComplaint(), SENDER, slots=confidential, metadata=META)
    secret_id = filed.messages[0]["tracking_id"]
    assert secret_id != tracking_id
    hidden = await run(ActionCheckStatus(), OTHER, slots={"tracking_id": secret_id})
    assert responses(hidden) == ["utter_status_not_found"]
    shown = await run(ActionCheckStatus(), SENDER, slots={"tracking_id": secret_id})
    assert responses(shown) == ["utter_status_full"]
    unknown = await run(ActionCheckStatus(), SENDER, slots={"tracking_id": "TNG-2026-999999"})
    assert responses(unknown) == ["utter_status_not_found"]

    # My reports: the chat's own, newest first; none for another chat.
    listed = await run(ActionMyReports(), SENDER)
    assert responses(listed) == ["utter_my_reports"]
    lines = listed.messages[0]["report_lines"].split("\n")
    assert [line.split()[1] for line in lines] == [secret_id, tracking_id]
    assert responses(await run(ActionMyReports(), OTHER)) == ["utter_my_reports_empty"]

    # A kept copy of the first report, sent later with its key, files nothing new and
    # gets a receipt.
    pending = real_backend.pending
    body = build_complaint_body(SLOTS, SENDER, META)
    await asyncio.to_thread(pending.add, idempotency_key(SENDER, "draft-1"), SENDER, body)
    assert await submit_pending(pending, backend) == 1
    assert await asyncio.to_thread(pending.due) == []
    assert [r["tracking_id"] for r in await backend.list_reports_of_chat(SENDER)] == [
        secret_id,
        tracking_id,
    ]
