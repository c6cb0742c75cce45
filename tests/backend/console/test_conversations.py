"""The conversation index: sessions, outcomes, filters and the officer's restriction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import sessionmaker

from backend.console.conversations import ConversationItem, ConversationQuery, get, search
from backend.console.summary import Outcome, queued_report_key
from backend.state import AppState
from tests.backend.console.conftest import T0, Tracker, file_report, run_sync
from tests.backend.console.scenario import NOW, QUEUED_DRAFT, A, B, C, D, Day, E, F, write_day


@pytest.fixture
def day(tracker: Tracker, sessions: sessionmaker, state: AppState) -> Day:
    """The day's conversations, written and indexed."""
    written = write_day(tracker, sessions, state)
    run_sync(sessions, tracker)
    return written


def find(
    sessions: sessionmaker, query: ConversationQuery | None = None, agency: str | None = None
) -> list[ConversationItem]:
    """Every match (newest first), checking that the total agrees."""
    with sessions() as session:
        items, total = search(session, query or ConversationQuery(), agency=agency, now=NOW)
    assert total == len(items)
    return items


def senders(items: list[ConversationItem]) -> list[str]:
    return [item.sender_id for item in items]


def test_sessions_are_split_at_session_starts_and_listed_newest_first(
    day: Day, sessions: sessionmaker
) -> None:
    items = find(sessions)
    assert senders(items) == [E, F, A, D, C, B, A]
    first, second = (item for item in reversed(items) if item.sender_id == A)
    assert first.id < second.id
    assert (first.user_messages, second.user_messages) == (4, 1)
    assert first.started_at == T0
    assert first.last_activity_at == T0 + dt.timedelta(minutes=4.5)
    assert second.started_at == T0 + dt.timedelta(minutes=600)


def test_each_conversation_gets_its_outcome(day: Day, sessions: sessionmaker) -> None:
    outcomes = [(item.sender_id, item.outcome) for item in find(sessions)]
    assert outcomes == [
        (E, Outcome.IN_PROGRESS),
        (F, Outcome.REPORT_FILED),
        (A, Outcome.STATUS_CHECK),
        (D, Outcome.REPORT_FILED),
        (C, Outcome.FALLBACK),
        (B, Outcome.ABANDONED),
        (A, Outcome.REPORT_FILED),
    ]


def test_the_summary_fields(day: Day, sessions: sessionmaker) -> None:
    in_progress, waste, status, queued, rest, whatsapp, road = find(sessions)
    assert road.tracking_ids == (day.road_report,)
    assert road.display_name == "Siti Aminah"
    assert road.channel == "telegram"
    assert road.form_started and not road.status_checked
    assert road.intents == ("greet", "inform", "share_location", "start_report")
    assert status.display_name == "Siti A."  # the name as of that session
    assert status.status_checked and not status.form_started
    assert status.tracking_ids == ()
    assert waste.tracking_ids == (day.waste_report,)
    assert whatsapp.channel == "whatsapp"
    assert whatsapp.display_name == "Budi"
    assert whatsapp.form_started
    assert whatsapp.last_requested_slot == "complaint_location"
    assert whatsapp.intents == ("inform", "report_problem")
    assert rest.channel == "rest"
    assert rest.display_name is None
    assert (rest.user_messages, rest.fallbacks, rest.ended_on_fallback) == (2, 2, True)
    assert road.fallbacks == 0 and not road.ended_on_fallback
    assert queued.submission_queued and queued.tracking_ids == ()
    assert in_progress.last_requested_slot == "complaint_description"


def test_the_outcome_filter_agrees_with_each_items_outcome(
    day: Day, sessions: sessionmaker
) -> None:
    everything = find(sessions)
    for wanted in Outcome:
        matching = find(sessions, ConversationQuery(outcome=wanted))
        assert [i.id for i in matching] == [i.id for i in everything if i.outcome is wanted]
    assert len(find(sessions, ConversationQuery(outcome=Outcome.REPORT_FILED))) == 3


def test_filter_by_channel(day: Day, sessions: sessionmaker) -> None:
    assert senders(find(sessions, ConversationQuery(channel="whatsapp"))) == [B]
    assert senders(find(sessions, ConversationQuery(channel="rest"))) == [C]
    assert senders(find(sessions, ConversationQuery(channel="telegram"))) == [E, F, A, D, A]


def test_filter_by_last_activity_or_start(day: Day, sessions: sessionmaker) -> None:
    window = ConversationQuery(
        date_from=T0 + dt.timedelta(minutes=500), date_to=T0 + dt.timedelta(minutes=800)
    )
    assert senders(find(sessions, window)) == [F, A]
    started = ConversationQuery(
        date_from=T0, date_to=T0 + dt.timedelta(minutes=100), date_field="started"
    )
    assert senders(find(sessions, started)) == [A]  # B started at exactly 100: excluded
    ends_at_b = ConversationQuery(
        date_to=T0 + dt.timedelta(minutes=102), date_field="last_activity"
    )
    assert senders(find(sessions, ends_at_b)) == [A]


def test_filter_by_intent_fallback_and_linked_report(day: Day, sessions: sessionmaker) -> None:
    assert senders(find(sessions, ConversationQuery(intent="check_status"))) == [A]
    assert senders(find(sessions, ConversationQuery(intent="report_problem"))) == [F, B]
    assert senders(find(sessions, ConversationQuery(had_fallback=True))) == [C]
    assert len(find(sessions, ConversationQuery(had_fallback=False))) == 6
    linked = find(sessions, ConversationQuery(linked_report=True))
    assert [item.tracking_ids for item in linked] == [(day.waste_report,), (day.road_report,)]
    assert senders(find(sessions, ConversationQuery(linked_report=False))) == [E, A, D, C, B]


def test_filters_combine(day: Day, sessions: sessionmaker) -> None:
    query = ConversationQuery(channel="telegram", intent="start_report", linked_report=False)
    assert senders(find(sessions, query)) == [E, D]


def test_full_text_search_is_a_case_insensitive_substring(day: Day, sessions: sessionmaker) -> None:
    assert senders(find(sessions, ConversationQuery(text="BALARAJA"))) == [A]
    assert senders(find(sessions, ConversationQuery(text="sampah"))) == [F, B]
    # Bot messages are searched too, and button titles stand for their payloads.
    assert senders(find(sessions, ConversationQuery(text="sedang sibuk"))) == [D]
    assert senders(find(sessions, ConversationQuery(text="sampah & kebersihan"))) == [B]
    # LIKE wildcards are plain characters.
    assert find(sessions, ConversationQuery(text="%")) == []
    assert find(sessions, ConversationQuery(text="jalan_berlubang")) == []
    assert len(find(sessions, ConversationQuery(text="   "))) == 7


def test_an_officer_sees_only_conversations_linked_to_their_agencys_reports(
    day: Day, sessions: sessionmaker
) -> None:
    assert [i.tracking_ids for i in find(sessions, agency="DBMSDA")] == [(day.road_report,)]
    assert [i.tracking_ids for i in find(sessions, agency="DLHK")] == [(day.waste_report,)]
    assert find(sessions, agency="DINKES") == []
    assert find(sessions, ConversationQuery(text="balaraja"), agency="DLHK") == []
    everything = find(sessions)
    with sessions() as session:
        road = next(i for i in everything if i.tracking_ids == (day.road_report,))
        waste = next(i for i in everything if i.tracking_ids == (day.waste_report,))
        assert get(session, road.id, agency="DBMSDA", now=NOW) == road
        assert get(session, waste.id, agency="DBMSDA", now=NOW) is None
        assert get(session, waste.id, now=NOW) == waste
        assert get(session, 10**9, now=NOW) is None


def test_paging_with_limit_and_offset(day: Day, sessions: sessionmaker) -> None:
    everything = find(sessions)
    with sessions() as session:
        page, total = search(session, ConversationQuery(), limit=3, offset=2, now=NOW)
        assert total == 7
        assert page == everything[2:5]
        tail, _ = search(session, ConversationQuery(), limit=3, offset=6, now=NOW)
        assert tail == everything[6:]


def test_a_queued_report_is_linked_once_the_queue_files_it(
    day: Day, tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    assert find(sessions, agency="DISHUB") == []
    with sessions() as session:
        tracking_id = file_report(
            session,
            state.taxonomy,
            state.policy,
            category="pju",
            chat_id=D,
            kecamatan="Cikupa",
            idempotency_key=queued_report_key(D, QUEUED_DRAFT),
        )
    run_sync(sessions, tracker)
    linked = find(sessions, agency="DISHUB")
    assert [(i.sender_id, i.tracking_ids) for i in linked] == [(D, (tracking_id,))]
    run_sync(sessions, tracker)
    assert [i.tracking_ids for i in find(sessions, agency="DISHUB")] == [(tracking_id,)]


def test_the_queued_report_key_is_the_action_servers_idempotency_key() -> None:
    from actions.submission import idempotency_key

    assert queued_report_key("telegram:300", "draft-1") == idempotency_key(
        "telegram:300", "draft-1"
    )
