"""Submitting a finished report: the request body, the idempotency key, the backend's
answers (accepted, refused, unreachable), and sending kept reports later."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.backend_client import BackendClient, make_http_client
from actions.forms.complaint_form import DRAFT_SLOTS
from actions.pending import PendingStore, pending_submissions
from actions.services import Services, use_services
from actions.submission import (
    ActionSubmitComplaint,
    build_complaint_body,
    idempotency_key,
    submit_pending,
)
from tests.actions.conftest import (
    BACKEND_URL,
    DOMAIN,
    SENDER,
    FakeBackend,
    make_settings,
    make_tracker,
    responses,
    slot_events,
)

DESCRIPTION = "Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh minggu ini."
SLOTS: dict[str, Any] = {
    "report_type": "complaint",
    "complaint_description": DESCRIPTION,
    "complaint_category": "jalan_jembatan",
    "complaint_location": "Jl. Raya Serang km 20, Balaraja",
    "complaint_kecamatan": "Balaraja",
    "complaint_latitude": -6.2,
    "complaint_longitude": 106.45,
    "incident_date": "2026-11-20",
    "privacy": "public",
    "attachments": ["0123456789abcdef0123456789abcdef"],
    "report_draft_id": "draft-1",
}
META = {"channel": "telegram", "display_name": "Siti Aminah", "phone": "+6281234567890"}
EXPECTED_BODY = {
    "report_type": "complaint",
    "category": "jalan_jembatan",
    "description": DESCRIPTION,
    "location": {
        "text": "Jl. Raya Serang km 20, Balaraja",
        "kecamatan": "Balaraja",
        "latitude": -6.2,
        "longitude": 106.45,
    },
    "privacy": "public",
    "channel": "telegram",
    "attachments": ["0123456789abcdef0123456789abcdef"],
    "reporter": {"chat_id": SENDER, "name": "Siti Aminah", "phone": "+6281234567890"},
    "incident_date": "2026-11-20",
}
CREATED = {"tracking_id": "TNG-2026-000123", "status": "received"}


# --- the request body (pure) ------------------------------------------------------------


def test_body_from_the_slots_and_metadata() -> None:
    assert build_complaint_body(SLOTS, SENDER, META) == EXPECTED_BODY


@pytest.mark.parametrize(
    ("sender", "meta", "channel"),
    [
        ("telegram:42", {}, "telegram"),
        ("whatsapp:6281234", {}, "whatsapp"),
        ("telegram:42", {"channel": "whatsapp"}, "whatsapp"),
        ("web:abc", {}, "web"),
        ("slack:abc", {}, "api"),
        ("6281234", {}, "api"),
        ("6281234", {"channel": "sms"}, "api"),
    ],
)
def test_channel_from_metadata_or_sender_prefix(
    sender: str, meta: dict[str, Any], channel: str
) -> None:
    assert build_complaint_body(SLOTS, sender, meta)["channel"] == channel


def test_phone_is_dropped_when_anonymous() -> None:
    anonymous = build_complaint_body({**SLOTS, "privacy": "anonymous"}, SENDER, META)
    assert anonymous["reporter"] == {"chat_id": SENDER, "name": "Siti Aminah"}
    assert anonymous["privacy"] == "anonymous"
    confidential = build_complaint_body({**SLOTS, "privacy": "confidential"}, SENDER, META)
    assert confidential["reporter"]["phone"] == "+6281234567890"


def test_coordinates_only_when_both_are_known() -> None:
    body = build_complaint_body({**SLOTS, "complaint_longitude": None}, SENDER, META)
    assert body["location"] == {"text": "Jl. Raya Serang km 20, Balaraja", "kecamatan": "Balaraja"}
    zero = build_complaint_body(
        {**SLOTS, "complaint_latitude": 0.0, "complaint_longitude": 0.0}, SENDER, META
    )
    assert zero["location"]["latitude"] == 0.0


def test_optional_fields_are_left_out() -> None:
    slots = {
        **SLOTS,
        "incident_date": None,
        "complaint_location": None,
        "complaint_kecamatan": None,
        "complaint_latitude": None,
        "complaint_longitude": None,
        "attachments": None,
    }
    body = build_complaint_body(slots, "12345", {})
    assert "incident_date" not in body
    assert body["location"] == {}
    assert body["attachments"] == []
    assert body["reporter"] == {"chat_id": "12345"}
    assert body["channel"] == "api"


def test_long_values_are_cut_to_the_backends_limits() -> None:
    body = build_complaint_body(
        {**SLOTS, "complaint_location": "x" * 600},
        "telegram:" + "9" * 200,
        {"display_name": "N" * 300, "phone": "+62" + "8" * 30},
    )
    assert len(body["location"]["text"]) == 500
    assert len(body["reporter"]["chat_id"]) == 100
    assert len(body["reporter"]["name"]) == 200
    assert len(body["reporter"]["phone"]) == 20


def test_idempotency_key_is_stable_per_sender_and_draft() -> None:
    key = idempotency_key(SENDER, "draft-1")
    assert key == idempotency_key(SENDER, "draft-1")
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert key != idempotency_key(SENDER, "draft-2")
    assert key != idempotency_key("telegram:43", "draft-1")


# --- submitting -------------------------------------------------------------------------


def submit_tracker(**slots: Any) -> Any:
    return make_tracker(slots={**SLOTS, **slots}, text="/affirm", intent="affirm", metadata=META)


def assert_draft_cleared(events: list[dict[str, Any]]) -> None:
    slots = slot_events(events)
    assert set(DRAFT_SLOTS) <= set(slots)
    assert {slots[s] for s in DRAFT_SLOTS if s != "invalid_attempts"} == {None}
    assert slots["invalid_attempts"] == 0


async def test_accepted_report_gets_its_tracking_id(
    services: Services, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(201, json=CREATED)
    events = await ActionSubmitComplaint().run(dispatcher, submit_tracker(), DOMAIN)

    assert responses(dispatcher) == ["utter_submitted"]
    assert dispatcher.messages[0]["tracking_id"] == "TNG-2026-000123"
    assert_draft_cleared(events)
    [request] = fake_backend.requests
    assert request.method == "POST"
    assert str(request.url) == f"{BACKEND_URL}/api/v1/complaints"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Idempotency-Key"] == idempotency_key(SENDER, "draft-1")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == EXPECTED_BODY
    assert await asyncio.to_thread(services.pending.due) == []


async def test_a_retried_confirmation_sends_the_same_key(
    services: Services, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = lambda request: httpx.Response(201, json=CREATED)
    for _ in range(2):
        await ActionSubmitComplaint().run(CollectingDispatcher(), submit_tracker(), DOMAIN)
    keys = {r.headers["Idempotency-Key"] for r in fake_backend.requests}
    assert len(fake_backend.requests) == 2
    assert len(keys) == 1


@pytest.mark.parametrize("missing", ["report_type", "complaint_description", "privacy"])
async def test_nothing_to_submit_without_a_finished_report(
    services: Services,
    fake_backend: FakeBackend,
    dispatcher: CollectingDispatcher,
    missing: str,
) -> None:
    events = await ActionSubmitComplaint().run(
        dispatcher, submit_tracker(**{missing: None}), DOMAIN
    )
    assert events == []
    assert responses(dispatcher) == ["utter_nothing_to_submit"]
    assert fake_backend.requests == []


async def test_refused_report_is_kept_and_explained(
    services: Services, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
) -> None:
    fake_backend.reply = lambda request: httpx.Response(
        422, json={"error": "validation_error", "message": "location.kecamatan: unknown kecamatan"}
    )
    events = await ActionSubmitComplaint().run(dispatcher, submit_tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_submission_rejected"]
    assert dispatcher.messages[0]["reason"] == "location.kecamatan: unknown kecamatan"
    assert events == []  # the draft stays, to be corrected
    assert await asyncio.to_thread(services.pending.due) == []


def raise_connect_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("timed out", request=request)


def raise_connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def raise_read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer", request=request)


@pytest.mark.parametrize(
    "reply",
    [
        raise_connect_timeout,
        raise_connect_error,
        raise_read_timeout,
        lambda request: httpx.Response(503, text="maintenance"),
        lambda request: httpx.Response(401, json={"error": "unauthorized", "message": "bad"}),
        lambda request: httpx.Response(404, text="<html>Not Found</html>"),
    ],
    ids=["connect-timeout", "connect-error", "read-timeout", "503", "401", "404"],
)
async def test_unreachable_backend_keeps_the_report(
    services: Services, fake_backend: FakeBackend, dispatcher: CollectingDispatcher, reply: Any
) -> None:
    fake_backend.reply = reply
    events = await ActionSubmitComplaint().run(dispatcher, submit_tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_submission_queued"]
    assert_draft_cleared(events)
    [kept] = await asyncio.to_thread(services.pending.due)
    assert kept.idempotency_key == idempotency_key(SENDER, "draft-1")
    assert kept.sender_id == SENDER
    assert kept.body == EXPECTED_BODY
    assert kept.attempts == 0


async def test_kept_report_is_sent_later_with_the_same_key(
    services: Services, fake_backend: FakeBackend, tmp_path: Path
) -> None:
    fake_backend.reply = raise_connect_timeout
    await ActionSubmitComplaint().run(CollectingDispatcher(), submit_tracker(), DOMAIN)
    first_key = fake_backend.requests[0].headers["Idempotency-Key"]

    def back_up(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/receipt"):
            return httpx.Response(202, json=CREATED)
        return httpx.Response(201, json=CREATED)

    fake_backend.reply = back_up
    assert await submit_pending(services.pending, services.backend) == 1

    create, receipt = fake_backend.requests[1:]
    assert create.method == "POST"
    assert create.url.path == "/api/v1/complaints"
    assert create.headers["Idempotency-Key"] == first_key
    assert create.headers["Authorization"] == "Bearer tok"
    assert json.loads(create.content) == EXPECTED_BODY
    assert receipt.method == "POST"
    assert str(receipt.url) == f"{BACKEND_URL}/api/v1/complaints/TNG-2026-000123/receipt"
    assert receipt.headers["Authorization"] == "Bearer tok"
    assert await asyncio.to_thread(services.pending.due) == []
    assert stored_row(tmp_path, first_key)["tracking_id"] == "TNG-2026-000123"

    # Nothing is sent twice.
    assert await submit_pending(services.pending, services.backend) == 0
    assert len(fake_backend.requests) == 3


def stored_row(tmp_path: Path, key: str) -> dict[str, Any]:
    engine = create_engine(f"sqlite:///{tmp_path / 'pending.db'}", future=True)
    try:
        with engine.connect() as conn:
            row = (
                conn.execute(
                    select(pending_submissions).where(pending_submissions.c.idempotency_key == key)
                )
                .mappings()
                .one()
            )
            return dict(row)
    finally:
        engine.dispose()


async def test_a_kept_report_refused_on_retry_is_abandoned(
    services: Services, fake_backend: FakeBackend, tmp_path: Path
) -> None:
    services.pending.add("key-refused", SENDER, {"n": 1})
    services.pending.add("key-good", SENDER, {"n": 2})

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/receipt"):
            return httpx.Response(202, json=CREATED)
        if request.headers["Idempotency-Key"] == "key-refused":
            return httpx.Response(422, json={"error": "validation_error", "message": "no"})
        return httpx.Response(201, json=CREATED)

    fake_backend.reply = reply
    assert await submit_pending(services.pending, services.backend) == 1
    assert await asyncio.to_thread(services.pending.due) == []
    refused = stored_row(tmp_path, "key-refused")
    assert refused["tracking_id"] is None
    assert refused["attempts"] == 1
    assert refused["last_error"] == "refused: no"
    # The refused report got no receipt; the good one did.
    receipts = [r for r in fake_backend.requests if r.url.path.endswith("/receipt")]
    assert len(receipts) == 1


@pytest.mark.parametrize(
    "reply",
    [
        raise_connect_error,
        lambda request: httpx.Response(401, json={"error": "unauthorized", "message": "bad"}),
    ],
    ids=["connect-error", "401"],
)
async def test_a_kept_report_stays_due_while_the_backend_is_down(
    services: Services, fake_backend: FakeBackend, reply: Any
) -> None:
    services.pending.add("key-1", SENDER, {"n": 1})
    services.pending.add("key-2", SENDER, {"n": 2})
    fake_backend.reply = reply
    assert await submit_pending(services.pending, services.backend) == 0
    # The round stops at the first failure: the backend is still down.
    assert len(fake_backend.requests) == 1
    due = await asyncio.to_thread(services.pending.due)
    assert [(d.idempotency_key, d.attempts) for d in due] == [("key-1", 1), ("key-2", 0)]

    assert await submit_pending(services.pending, services.backend) == 0
    due = await asyncio.to_thread(services.pending.due)
    assert [(d.idempotency_key, d.attempts) for d in due] == [("key-1", 2), ("key-2", 0)]


async def test_a_failed_receipt_retries_the_whole_submission_idempotently(
    services: Services, fake_backend: FakeBackend
) -> None:
    services.pending.add("key-1", SENDER, {"n": 1})
    fake_backend.reply = lambda request: (
        httpx.Response(503)
        if request.url.path.endswith("/receipt")
        else httpx.Response(201, json=CREATED)
    )
    assert await submit_pending(services.pending, services.backend) == 0
    [due] = await asyncio.to_thread(services.pending.due)
    assert due.attempts == 1

    fake_backend.reply = lambda request: httpx.Response(
        202 if request.url.path.endswith("/receipt") else 201, json=CREATED
    )
    assert await submit_pending(services.pending, services.backend) == 1
    creates = [r for r in fake_backend.requests if r.url.path == "/api/v1/complaints"]
    assert [r.headers["Idempotency-Key"] for r in creates] == ["key-1", "key-1"]
    assert await asyncio.to_thread(services.pending.due) == []


# --- the time budget of a turn ----------------------------------------------------------


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers; yields its base URL."""
    connections: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_hanging_backend_is_answered_within_five_seconds(tmp_path: Path) -> None:
    async with silent_server() as url:
        http = make_http_client()  # the production timeouts
        hanging = Services(
            settings=make_settings(tmp_path, backend_url=url),
            http=http,
            backend=BackendClient(http, url, "tok"),
            pending=PendingStore(f"sqlite:///{tmp_path / 'pending.db'}"),
        )
        use_services(hanging)
        try:
            dispatcher = CollectingDispatcher()
            started = time.monotonic()
            events = await ActionSubmitComplaint().run(dispatcher, submit_tracker(), DOMAIN)
            elapsed = time.monotonic() - started
            kept = await asyncio.to_thread(hanging.pending.due)
        finally:
            use_services(None)
            await hanging.close()
    assert responses(dispatcher) == ["utter_submission_queued"]
    assert elapsed < 5.0
    assert_draft_cleared(events)
    assert [k.body for k in kept] == [EXPECTED_BODY]
