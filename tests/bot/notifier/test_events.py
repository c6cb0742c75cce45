"""`ReportEvent.from_payload`: the fields of a backend event and what they mean."""

from __future__ import annotations

from typing import Any

import pytest

from bot.notifier.events import (
    NOTIFIED_TYPES,
    RECEIPT,
    STATUS_CHANGED,
    MalformedEventError,
    ReportEvent,
)

PAYLOAD: dict[str, Any] = {
    "event_id": "ab12cd34",
    "type": "complaint.status_changed",
    "tracking_id": "TNG-2026-000123",
    "status": "resolved",
    "previous_status": "in_progress",
    "note": "Sudah ditambal",
    "agency": "DPUPR",
    "chat_id": "telegram:4242",
    "notifications_enabled": False,
    "occurred_at": "2026-03-01T08:00:00Z",  # unknown fields are ignored
}


def payload(**changes: Any) -> dict[str, Any]:
    data = dict(PAYLOAD)
    data.update(changes)
    return data


def test_every_field_is_read() -> None:
    event = ReportEvent.from_payload(PAYLOAD)
    assert event == ReportEvent(
        event_id="ab12cd34",
        type="complaint.status_changed",
        tracking_id="TNG-2026-000123",
        status="resolved",
        sender_id="telegram:4242",
        note="Sudah ditambal",
        previous_status="in_progress",
        agency="DPUPR",
        notifications_enabled=False,
    )


def test_the_type_constants_are_the_backend_names() -> None:
    assert STATUS_CHANGED == "complaint.status_changed"
    assert RECEIPT == "complaint.receipt"
    assert {
        STATUS_CHANGED,
        RECEIPT,
        "complaint.question",
        "conversation.takeover",
        "conversation.message",
        "conversation.released",
        "complaint.merged",
    } == NOTIFIED_TYPES


@pytest.mark.parametrize("field", ["event_id", "type", "tracking_id", "status"])
def test_a_missing_required_field_is_malformed(field: str) -> None:
    data = payload()
    del data[field]
    with pytest.raises(MalformedEventError, match=field):
        ReportEvent.from_payload(data)


def test_malformed_is_a_value_error() -> None:
    # The sources catch ValueError when reading raw entries.
    assert issubclass(MalformedEventError, ValueError)
    with pytest.raises(ValueError, match="event_id"):
        ReportEvent.from_payload({})


def test_optional_fields_may_be_missing() -> None:
    event = ReportEvent.from_payload(
        {"event_id": "e1", "type": STATUS_CHANGED, "tracking_id": "TNG-1", "status": "verified"}
    )
    assert event.sender_id is None
    assert event.note is None
    assert event.previous_status is None
    assert event.agency is None
    assert event.notifications_enabled is True


@pytest.mark.parametrize("chat_id", [None, ""])
def test_no_chat_id(chat_id: str | None) -> None:
    event = ReportEvent.from_payload(payload(chat_id=chat_id))
    assert event.sender_id is None
    assert event.channel == ""
    assert event.chat_id == ""
    assert event.concerns_citizen is False


def test_an_empty_note_is_no_note() -> None:
    assert ReportEvent.from_payload(payload(note="")).note is None
    assert ReportEvent.from_payload(payload(note=None)).note is None


def test_notifications_are_enabled_unless_the_payload_says_otherwise() -> None:
    data = payload()
    del data["notifications_enabled"]
    assert ReportEvent.from_payload(data).notifications_enabled is True
    assert ReportEvent.from_payload(payload(notifications_enabled=True)).notifications_enabled
    assert not ReportEvent.from_payload(payload(notifications_enabled=False)).notifications_enabled


def test_numbers_become_strings() -> None:
    event = ReportEvent.from_payload(payload(event_id=17, chat_id=4242))
    assert event.event_id == "17"
    assert event.sender_id == "4242"


@pytest.mark.parametrize(
    ("sender_id", "channel", "chat_id"),
    [
        ("telegram:4242", "telegram", "4242"),
        ("whatsapp:6281234567890", "whatsapp", "6281234567890"),
        ("telegram:-100123", "telegram", "-100123"),
    ],
)
def test_channel_and_chat_id_split(sender_id: str, channel: str, chat_id: str) -> None:
    event = ReportEvent.from_payload(payload(chat_id=sender_id))
    assert event.sender_id == sender_id
    assert event.channel == channel
    assert event.chat_id == chat_id


def test_a_sender_without_a_channel_has_no_chat() -> None:
    event = ReportEvent.from_payload(payload(chat_id="4242"))
    assert event.chat_id == ""
    assert event.concerns_citizen is False


@pytest.mark.parametrize(
    ("event_type", "concerns"),
    [
        ("complaint.status_changed", True),
        ("complaint.receipt", True),
        ("complaint.created", False),
        ("complaint.deleted", False),
    ],
)
def test_concerns_citizen_by_type(event_type: str, concerns: bool) -> None:
    assert ReportEvent.from_payload(payload(type=event_type)).concerns_citizen is concerns
    assert (
        ReportEvent.from_payload(payload(type=event_type, chat_id=None)).concerns_citizen is False
    )


def test_concerns_citizen_even_with_notifications_off() -> None:
    # Turning notifications off is recorded as "skipped", so the event still concerns them.
    event = ReportEvent.from_payload(payload(notifications_enabled=False))
    assert event.concerns_citizen is True
