"""Transcripts: a conversation's events as typed entries, read live from Rasa's table."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import sessionmaker

from backend.console.conversations import ConversationItem, ConversationQuery, search
from backend.console.rasa_events import Button
from backend.console.tracker import TrackerEvent
from backend.console.transcript import (
    EntryKind,
    Location,
    TranscriptEntry,
    entries,
    transcript,
)
from backend.state import AppState
from tests.backend.console.conftest import T0, Tracker, run_sync
from tests.backend.console.scenario import NOW, A, B, C, Day, write_day

K = EntryKind


@dataclass(frozen=True)
class Ref:
    """A conversation reference that is not indexed."""

    id: int
    sender_id: str


@pytest.fixture
def day(tracker: Tracker, sessions: sessionmaker, state: AppState) -> Day:
    written = write_day(tracker, sessions, state)
    run_sync(sessions, tracker)
    return written


@pytest.fixture
def listed(day: Day, sessions: sessionmaker) -> list[ConversationItem]:
    with sessions() as session:
        items, _ = search(session, ConversationQuery(), now=NOW)
    return items


def brief(entry: TranscriptEntry) -> tuple[str, str | None]:
    """The kind and the main thing an entry shows."""
    main = {
        K.USER: entry.text,
        K.BUTTON: entry.text,
        K.BOT: entry.response,
        K.SLOT: entry.slot,
        K.ACTION: entry.name,
        K.FORM_START: entry.name,
        K.FORM_STOP: entry.name,
        K.SESSION_START: None,
        K.EVENT: entry.name,
    }[entry.kind]
    return entry.kind.value, main


def test_a_filed_report_reads_step_by_step(
    listed: list[ConversationItem], tracker: Tracker, day: Day
) -> None:
    road = listed[-1]
    steps = transcript(tracker.reader, road)
    assert [brief(entry) for entry in steps] == [
        ("slot", "session_started_metadata"),
        ("action", "action_session_start"),
        ("session_start", None),
        ("action", "action_listen"),
        ("user", "halo"),
        ("action", "utter_greet"),
        ("bot", "utter_greet"),
        ("action", "action_listen"),
        ("button", "Buat laporan"),
        ("action", "action_start_report"),
        ("slot", "report_draft_id"),
        ("action", "complaint_form"),
        ("form_start", "complaint_form"),
        ("slot", "requested_slot"),
        ("bot", "utter_ask_complaint_description"),
        ("action", "action_listen"),
        ("user", "Jalan berlubang di Balaraja dekat pasar"),
        ("action", "complaint_form"),
        ("slot", "complaint_description"),
        ("slot", "requested_slot"),
        ("bot", "utter_ask_complaint_location"),
        ("action", "action_listen"),
        ("user", "/share_location"),
        ("action", "complaint_form"),
        ("slot", "complaint_location"),
        ("form_stop", "complaint_form"),
        ("slot", "requested_slot"),
        ("action", "action_submit_complaint"),
        ("bot", "utter_submitted"),
        ("slot", "report_draft_id"),
        ("action", "action_listen"),
    ]
    assert [entry.event_id for entry in steps] == list(range(road.id, road.last_event_id + 1))
    assert steps[0].at == T0


def test_entry_details(listed: list[ConversationItem], tracker: Tracker, day: Day) -> None:
    steps = transcript(tracker.reader, listed[-1])
    hello, greeting, tap, pin, filed = steps[4], steps[6], steps[8], steps[22], steps[28]
    assert (hello.intent, hello.confidence) == ("greet", 0.93)
    assert greeting.text == "Halo! Ada yang bisa dibantu?"
    assert greeting.buttons == (
        Button("Buat laporan", "/start_report"),
        Button("Cek status", "/check_status"),
    )
    assert (tap.payload, tap.intent, tap.confidence) == ("/start_report", "start_report", 1.0)
    assert pin.location == Location(-6.2, 106.45, "Pasar Balaraja", None)
    assert pin.intent == "share_location"
    assert filed.text is not None and day.road_report in filed.text
    assert (steps[10].slot, steps[10].value) == ("report_draft_id", "draft-100")
    assert steps[0].value["display_name"] == "Siti Aminah"
    submit = steps[27]
    assert (submit.policy, submit.confidence) == ("RulePolicy", 1.0)


def test_the_transcript_stops_at_the_senders_next_session(
    listed: list[ConversationItem], tracker: Tracker, day: Day
) -> None:
    status = listed[2]
    assert status.sender_id == A
    steps = transcript(tracker.reader, status)
    assert steps[0].event_id == status.id
    assert len(steps) == status.event_count
    question = next(entry for entry in steps if entry.kind is K.USER)
    assert [(e.entity, e.value) for e in question.entities] == [("tracking_id", day.road_report)]
    assert len(transcript(tracker.reader, listed[-1])) == listed[-1].event_count


def test_a_button_title_sent_by_the_gateway_is_shown(
    listed: list[ConversationItem], tracker: Tracker
) -> None:
    whatsapp = next(item for item in listed if item.sender_id == B)
    tap = next(e for e in transcript(tracker.reader, whatsapp) if e.kind is K.BUTTON)
    assert tap.text == "Sampah & Kebersihan"
    assert tap.payload == '/inform{"complaint_category":"sampah"}'


def test_a_sender_without_session_markers(listed: list[ConversationItem], tracker: Tracker) -> None:
    rest = next(item for item in listed if item.sender_id == C)
    steps = transcript(tracker.reader, rest)
    assert [e.kind for e in steps] == [K.USER, K.ACTION, K.BOT, K.ACTION] * 2
    assert steps[0].intent == "nlu_fallback"
    assert steps[5].name == "action_default_fallback"


def test_no_transcript_without_the_table_or_the_event(
    tracker: Tracker, listed: list[ConversationItem]
) -> None:
    assert transcript(tracker.reader, Ref(id=10**9, sender_id=listed[0].sender_id)) == []
    assert transcript(tracker.reader, Ref(id=listed[0].id, sender_id="someone else")) == []


def test_no_transcript_before_rasa_created_its_table(tracker: Tracker) -> None:
    assert transcript(tracker.reader, Ref(id=1, sender_id="telegram:1")) == []


def event(event_id: int, type_name: str, **data: object) -> TrackerEvent:
    return TrackerEvent(event_id, "s", type_name, 1_700_000_000.0 + event_id, {**data})


def test_odd_and_bookkeeping_events() -> None:
    found = entries(
        [
            event(1, "user"),  # no text, no parse data
            event(2, "user_featurization", use_text_for_featurization=False),
            event(3, "restart"),
            event(4, "action_execution_rejected", name="complaint_form"),
            event(5, "bot", text="hi", data={"buttons": "not a list", "image": "https://x/y.png"}),
            event(6, "active_loop", name=None),
            event(7, "form", name="complaint_form"),
            event(8, "user", text="/inform", metadata={"attachments": ["a1"]}),
            event(9, "loop_interrupted", is_interrupted=True),
        ]
    )
    assert [(e.kind, e.event_id) for e in found] == [
        (K.USER, 1),
        (K.EVENT, 3),
        (K.EVENT, 4),
        (K.BOT, 5),
        (K.FORM_STOP, 6),
        (K.FORM_START, 7),
        (K.USER, 8),
    ]
    assert found[0].text is None and found[0].intent is None
    assert (found[2].name, found[2].text) == ("action_execution_rejected", "complaint_form")
    assert (found[3].buttons, found[3].image) == ((), "https://x/y.png")
    assert found[4].name is None
    assert found[6].attachments == ("a1",)
    assert found[6].payload is None
