"""Pure rules: where sessions begin, what a session amounts to, how it ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.console.rasa_events import is_payload, split_sessions
from backend.console.summary import IDLE_AFTER, Outcome, channel_of, outcome, summarise
from backend.console.tracker import TrackerEvent

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone.utc)


def event(event_id: int, type_name: str, **data: Any) -> TrackerEvent:
    return TrackerEvent(event_id, "telegram:1", type_name, 1_763_000_000.0 + event_id, data)


def act(event_id: int, name: str) -> TrackerEvent:
    return event(event_id, "action", name=name)


def said(event_id: int, text: str, intent: str, **metadata: Any) -> TrackerEvent:
    parse_data = {"intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return event(event_id, "user", text=text, parse_data=parse_data, metadata=metadata)


def ids(parts: list[list[TrackerEvent]]) -> list[list[int]]:
    return [[e.id for e in part] for part in parts]


def test_a_session_begins_at_the_metadata_slot_before_action_session_start() -> None:
    events = [
        said(1, "halo", "greet"),
        event(2, "slot", name="session_started_metadata", value={"channel": "telegram"}),
        act(3, "action_session_start"),
        event(4, "bot", text="Laporan Anda masih tersimpan"),  # a custom session start speaks
        event(5, "session_started"),
        act(6, "action_listen"),
        said(7, "lanjut", "resume_report"),
    ]
    assert ids(list(split_sessions(events))) == [[1], [2, 3, 4, 5, 6, 7]]


def test_a_session_begins_at_action_session_start_without_metadata() -> None:
    events = [said(1, "a", "greet"), act(2, "action_session_start"), event(3, "session_started")]
    assert ids(list(split_sessions(events))) == [[1], [2, 3]]


def test_a_bare_session_started_begins_a_session() -> None:
    events = [said(1, "a", "greet"), event(2, "session_started"), said(3, "b", "greet")]
    assert ids(list(split_sessions(events))) == [[1], [2, 3]]


def test_session_started_after_a_user_message_is_a_new_session() -> None:
    events = [act(1, "action_session_start"), said(2, "a", "greet"), event(3, "session_started")]
    assert ids(list(split_sessions(events))) == [[1, 2], [3]]


def test_no_markers_is_one_session_and_no_events_none() -> None:
    events = [said(1, "a", "greet"), act(2, "utter_greet"), said(3, "b", "bye")]
    assert ids(list(split_sessions(events))) == [[1, 2, 3]]
    assert list(split_sessions([])) == []


@pytest.mark.parametrize(
    ("facts", "idle_minutes", "expected"),
    [
        ({"filed": True, "form_started": True}, 5, Outcome.REPORT_FILED),
        ({"form_started": True}, 31, Outcome.ABANDONED),
        ({"form_started": True}, 30, Outcome.IN_PROGRESS),
        ({"form_started": True, "status_checked": True}, 45, Outcome.ABANDONED),
        ({"status_checked": True}, 5, Outcome.STATUS_CHECK),
        ({"status_checked": True, "ended_on_fallback": True}, 60, Outcome.STATUS_CHECK),
        ({"ended_on_fallback": True}, 5, Outcome.IN_PROGRESS),
        ({"ended_on_fallback": True}, 60, Outcome.FALLBACK),
        ({}, 60, Outcome.OTHER),
        ({}, 1, Outcome.IN_PROGRESS),
    ],
)
def test_outcome(facts: dict[str, bool], idle_minutes: int, expected: Outcome) -> None:
    found = outcome(
        filed=facts.get("filed", False),
        form_started=facts.get("form_started", False),
        status_checked=facts.get("status_checked", False),
        ended_on_fallback=facts.get("ended_on_fallback", False),
        last_activity_at=NOW - dt.timedelta(minutes=idle_minutes),
        now=NOW,
    )
    assert found is expected


def test_conversations_idle_for_half_an_hour_are_over() -> None:
    assert dt.timedelta(minutes=30) == IDLE_AFTER


def test_channel_from_metadata_then_input_channel_then_sender_prefix() -> None:
    assert channel_of("telegram:1", "WhatsApp", "rest") == "whatsapp"
    assert channel_of("telegram:1", None, "rest") == "rest"
    assert channel_of("telegram:1", None, None) == "telegram"
    assert channel_of("tester", None, None) == "unknown"


def test_a_fallback_turn_counts_once_and_a_later_good_turn_ends_it() -> None:
    events = [
        said(1, "xx", "nlu_fallback"),
        act(2, "action_default_fallback"),
        said(3, "yy", "greet"),
        act(4, "action_default_fallback"),
        said(5, "halo", "greet"),
    ]
    summary = summarise(events)
    assert (summary.user_messages, summary.fallbacks, summary.ended_on_fallback) == (3, 2, False)
    assert summarise(events[:4]).ended_on_fallback


def test_the_last_question_counts_only_while_the_complaint_form_runs() -> None:
    events = [
        event(1, "active_loop", name="status_form"),
        event(2, "slot", name="requested_slot", value="tracking_id"),
        event(3, "active_loop", name=None),
        event(4, "active_loop", name="complaint_form"),
        event(5, "slot", name="requested_slot", value="privacy"),
        event(6, "slot", name="requested_slot", value=None),
    ]
    summary = summarise(events)
    assert summary.last_requested_slot == "privacy"
    assert summary.form_started and summary.status_checked
    assert summarise(events[:3]).last_requested_slot is None


def test_tracking_ids_come_only_from_the_submitted_response() -> None:
    submitted = {"utter_action": "utter_submitted"}
    events = [
        event(1, "bot", text="Nomor laporan: TNG-2026-000123", metadata=submitted),
        event(
            2, "bot", text="Status TNG-2026-000999", metadata={"utter_action": "utter_status_full"}
        ),
        event(3, "bot", text="lagi: TNG-2026-000123", metadata=submitted),
    ]
    assert summarise(events).tracking_ids == ("TNG-2026-000123",)


def test_the_display_name_is_the_latest_and_text_is_lowercased() -> None:
    summary = summarise(
        [
            said(1, "Halo BOT", "greet", display_name="Siti"),
            said(2, "/inform", "inform", display_name="Siti Aminah", button_title="Ya, Benar"),
        ]
    )
    assert summary.display_name == "Siti Aminah"
    assert summary.search_text == "halo bot\nya, benar"


def test_payloads_are_told_apart_from_typed_text() -> None:
    assert is_payload("/start_report")
    assert is_payload('/inform{"complaint_category":"sampah"}')
    assert not is_payload("/ saya mau lapor")
    assert not is_payload("halo")
    assert not is_payload(None)


def test_summarise_needs_an_event() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        summarise([])
