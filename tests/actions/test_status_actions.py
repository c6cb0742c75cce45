"""`action_check_status` and `action_my_reports` on a fake backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services
from actions.status import ActionCheckStatus, ActionMyReports
from tests.actions.conftest import DOMAIN, SENDER, FakeBackend, make_tracker, responses

pytestmark = pytest.mark.usefixtures("services")


def report(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tracking_id": "TNG-2026-000012",
        "status": "in_progress",
        "category": "sampah",
        "privacy": "public",
        # 20:00 UTC is already the next day in Jakarta.
        "updated_at": "2026-11-28T20:00:00+00:00",
        "history": [
            {"status": "received", "note": None},
            {"status": "verified", "note": "Diteruskan ke DLHK"},
            {"status": "in_progress", "note": None},
        ],
        "reporter": {"chat_id": SENDER, "name": "Siti", "phone": None, "email": None},
    }
    data.update(overrides)
    return data


def status_tracker(sender_id: str = SENDER, **slots: Any) -> Any:
    return make_tracker(
        sender_id=sender_id,
        slots={"tracking_id": "TNG-2026-000012", **slots},
        text="TNG-2026-000012",
        intent="check_status",
    )


async def test_the_reporter_sees_everything(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(200, json=report())
    events = await ActionCheckStatus().run(dispatcher, status_tracker(), DOMAIN)
    assert events == [SlotSet("tracking_id", None)]
    assert responses(dispatcher) == ["utter_status_full"]
    message = dispatcher.messages[0]
    assert {k: message[k] for k in ("tracking_id", "status_label", "category_label")} == {
        "tracking_id": "TNG-2026-000012",
        "status_label": "Sedang ditindaklanjuti instansi",
        "category_label": "Sampah & Kebersihan",
    }
    assert message["updated"] == "Minggu, 29 November 2026"
    assert message["note"] == "Diteruskan ke DLHK"
    [request] = fake_backend.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v1/complaints/TNG-2026-000012"


async def test_status_in_english_without_a_note(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        200, json=report(history=[{"status": "received", "note": None}], status="received")
    )
    await ActionCheckStatus().run(dispatcher, status_tracker(language="en"), DOMAIN)
    message = dispatcher.messages[0]
    assert message["status_label"] == "Received, awaiting verification"
    assert message["category_label"] == "Waste & cleanliness"
    assert message["updated"] == "Sunday, 29 November 2026"
    assert message["note"] == "no officer note yet"


async def test_others_see_only_the_status(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(200, json=report())
    await ActionCheckStatus().run(dispatcher, status_tracker("telegram:99"), DOMAIN)
    assert responses(dispatcher) == ["utter_status_public"]


@pytest.mark.parametrize("reporter", [{"chat_id": SENDER}, None])
async def test_a_confidential_report_is_hidden_from_others(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher, reporter: Any
) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        200, json=report(privacy="confidential", reporter=reporter)
    )
    await ActionCheckStatus().run(dispatcher, status_tracker("telegram:99"), DOMAIN)
    assert responses(dispatcher) == ["utter_status_not_found"]
    assert dispatcher.messages[0]["tracking_id"] == "TNG-2026-000012"
    assert "status_label" not in dispatcher.messages[0]


async def test_unknown_report(fake_backend: FakeBackend, dispatcher: CollectingDispatcher) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        404, json={"error": "not_found", "message": "no such report"}
    )
    events = await ActionCheckStatus().run(dispatcher, status_tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_status_not_found"]
    assert events == [SlotSet("tracking_id", None)]


async def test_status_while_the_backend_is_down(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(503)
    events = await ActionCheckStatus().run(dispatcher, status_tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_backend_down"]
    assert events == [SlotSet("tracking_id", None)]


async def test_status_without_a_tracking_id_asks_for_it(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    await ActionCheckStatus().run(dispatcher, status_tracker(tracking_id=None), DOMAIN)
    assert responses(dispatcher) == ["utter_ask_tracking_id"]
    assert fake_backend.requests == []


async def test_my_reports_lists_the_newest(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    items = [
        report(),
        report(tracking_id="TNG-2026-000007", status="resolved", category="jalan_jembatan"),
    ]
    fake_backend.reply = lambda request: httpx.Response(200, json={"items": items})
    tracker = make_tracker(text="laporan saya", intent="my_reports")
    assert await ActionMyReports().run(dispatcher, tracker, DOMAIN) == []
    assert responses(dispatcher) == ["utter_my_reports"]
    assert dispatcher.messages[0]["report_lines"] == (
        "• TNG-2026-000012 (Sampah & Kebersihan): Sedang ditindaklanjuti instansi\n"
        "• TNG-2026-000007 (Jalan & Jembatan): Selesai ditindaklanjuti"
    )
    [request] = fake_backend.requests
    assert dict(request.url.params) == {"reporter_chat_id": SENDER, "per_page": "5"}


async def test_my_reports_when_there_are_none(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(200, json={"items": []})
    await ActionMyReports().run(dispatcher, make_tracker(intent="my_reports"), DOMAIN)
    assert responses(dispatcher) == ["utter_my_reports_empty"]


@pytest.mark.parametrize("status", [503, 401])
async def test_my_reports_while_the_backend_is_down(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher, status: int
) -> None:
    fake_backend.reply = lambda request: httpx.Response(status, json={"message": "x"})
    await ActionMyReports().run(dispatcher, make_tracker(intent="my_reports"), DOMAIN)
    assert responses(dispatcher) == ["utter_backend_down"]


async def test_unknown_category_code_is_shown_as_is(
    services: Services, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(200, json=report(category="kode_baru"))
    await ActionCheckStatus().run(dispatcher, status_tracker(), DOMAIN)
    assert dispatcher.messages[0]["category_label"] == "kode_baru"


async def test_the_lapor_number_follows_the_status_once_forwarded(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    forwarded = report(lapor={"complaint_id": "9876543", "state": "forwarded"})
    fake_backend.reply = lambda request: httpx.Response(200, json=forwarded)
    await ActionCheckStatus().run(dispatcher, status_tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_status_full", "utter_status_lapor_number"]
    assert dispatcher.messages[1]["lapor_number"] == "9876543"


@pytest.mark.parametrize(
    "lapor",
    [None, {"complaint_id": None, "state": "pending"}, {"state": "disabled"}],
    ids=["no-bridge-field", "pending", "disabled"],
)
async def test_no_lapor_number_before_it_is_forwarded(
    fake_backend: FakeBackend, dispatcher: CollectingDispatcher, lapor: Any
) -> None:
    body = report() if lapor is None else report(lapor=lapor)
    fake_backend.reply = lambda request: httpx.Response(200, json=body)
    await ActionCheckStatus().run(dispatcher, status_tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_status_full"]
