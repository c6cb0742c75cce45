"""Syncing the index from Rasa's table: incremental, idempotent, batched, concurrent."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from backend.console.conversations import ConversationQuery, search
from backend.console.indexer import (
    GAP_WAIT,
    MAX_GAP_RUN,
    SyncResult,
    missing_ids,
    next_gaps,
    reset_index,
    sync,
    sync_status,
)
from backend.models import (
    Conversation,
    ConversationIntent,
    ConversationReport,
    ConversationSyncState,
)
from backend.state import AppState
from tests.backend.console.conftest import Tracker, run_sync, user
from tests.backend.console.scenario import (
    NOW,
    A,
    C,
    filed_road_report,
    status_check,
    unclear_rest_messages,
    write_day,
)

Snapshot = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def snapshot(sessions: sessionmaker) -> Snapshot:
    """Every index row, sorted."""
    with sessions() as session:
        return tuple(  # type: ignore[return-value]
            sorted(tuple(row) for row in session.execute(select(*model.__table__.columns)))
            for model in (Conversation, ConversationIntent, ConversationReport)
        )


def sync_until_caught_up(sessions: sessionmaker, tracker: Tracker, **options: Any) -> int:
    """Sync one batch at a time; returns how many calls it took."""
    calls = 0
    while True:
        calls += 1
        if run_sync(sessions, tracker, max_batches=1, **options).caught_up:
            return calls


def rebuilt(sessions: sessionmaker, tracker: Tracker) -> Snapshot:
    """The index built from scratch in one call."""
    with sessions() as session:
        reset_index(session)
        session.commit()
    run_sync(sessions, tracker)
    return snapshot(sessions)


def test_a_missing_tracker_table_means_no_conversations(
    tracker: Tracker, sessions: sessionmaker
) -> None:
    result = run_sync(sessions, tracker)
    assert result == SyncResult(0, 0, 0, 0, caught_up=True)
    with sessions() as session:
        assert search(session, ConversationQuery()) == ([], 0)
    if tracker.dialect == "sqlite":  # looking did not create Rasa's database file
        assert not Path(str(tracker.reader.url.database)).exists()


def test_an_empty_sqlite_file_without_the_table_means_no_conversations(
    tmp_path: Path, sessions: sessionmaker
) -> None:
    path = tmp_path / "empty.db"
    blank = create_engine(f"sqlite:///{path}", future=True)
    with blank.begin() as connection:
        connection.execute(text("CREATE TABLE other (id INTEGER)"))
    try:
        assert sync(sessions, blank).events_read == 0
    finally:
        blank.dispose()


def test_new_events_update_the_open_session_without_duplicates(
    tracker: Tracker, sessions: sessionmaker
) -> None:
    events = filed_road_report("TNG-2026-000777")
    tracker.write(A, events[:10])
    first = run_sync(sessions, tracker)
    assert (first.events_read, first.conversations_written) == (10, 1)
    with sessions() as session:
        [opened], _ = search(session, ConversationQuery(), now=NOW)
    assert (opened.user_messages, opened.tracking_ids, opened.event_count) == (2, (), 10)

    tracker.write(A, events[10:])
    run_sync(sessions, tracker)
    with sessions() as session:
        [finished], _ = search(session, ConversationQuery(), now=NOW)
    assert finished.id == opened.id
    assert (finished.user_messages, finished.event_count) == (4, len(events))
    assert finished.tracking_ids == ("TNG-2026-000777",)
    assert finished.last_event_id == opened.id + len(events) - 1

    tracker.write(A, status_check("TNG-2026-000777"))
    run_sync(sessions, tracker)
    conversations, intents, links = snapshot(sessions)
    assert len(conversations) == 2
    assert len(intents) == 5  # greet, inform, share_location, start_report | check_status
    assert links == [(opened.id, "TNG-2026-000777")]
    assert snapshot(sessions) == rebuilt(sessions, tracker)


def test_syncing_again_changes_nothing(
    tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    write_day(tracker, sessions, state)
    first = run_sync(sessions, tracker)
    assert first.conversations_written == 7
    assert first.caught_up
    before = snapshot(sessions)
    again = run_sync(sessions, tracker)
    assert (again.events_read, again.conversations_written) == (0, 0)
    assert again.last_event_id == first.last_event_id
    assert snapshot(sessions) == before
    # Re-reading every event (a cursor moved back) rewrites the same rows.
    with sessions() as session:
        session.execute(update(ConversationSyncState).values(last_event_id=0))
        session.commit()
    assert run_sync(sessions, tracker).events_read == first.events_read
    assert snapshot(sessions) == before


@pytest.mark.parametrize("batch_size", [1, 4, 9])
def test_small_batches_build_the_same_index(
    tracker: Tracker, sessions: sessionmaker, state: AppState, batch_size: int
) -> None:
    write_day(tracker, sessions, state)
    calls = sync_until_caught_up(sessions, tracker, batch_size=batch_size)
    with sessions() as session:
        status = sync_status(session)
    assert status is not None
    assert calls == status.last_event_id // batch_size + 1
    assert snapshot(sessions) == rebuilt(sessions, tracker)


def test_a_sync_call_stops_after_max_batches(
    tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    write_day(tracker, sessions, state)
    partial = run_sync(sessions, tracker, batch_size=10, max_batches=2)
    assert (partial.events_read, partial.last_event_id, partial.caught_up) == (20, 20, False)
    assert run_sync(sessions, tracker).caught_up


def test_two_syncs_at_once_give_the_same_index_as_one(
    tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    write_day(tracker, sessions, state)
    start = threading.Barrier(2)
    results: list[SyncResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            results.append(run_sync(sessions, tracker, batch_size=5, max_batches=1000))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == 2
    total_events = max(r.last_event_id for r in results)
    assert sum(r.events_read for r in results) == total_events  # each event read once
    concurrent = snapshot(sessions)
    assert len(concurrent[0]) == 7
    assert concurrent == rebuilt(sessions, tracker)


@pytest.mark.postgres
@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
def test_an_event_committed_after_a_higher_id_is_not_lost(
    tracker: Tracker, sessions: sessionmaker, engine: Engine
) -> None:
    tracker.write(A, filed_road_report("TNG-2026-000001")[:4])  # creates the table
    late_message = user("halo, masih ada orang?", "greet", 50)
    writer = create_engine(tracker.url, future=True)
    try:
        connection = writer.connect()
        in_flight = connection.begin()
        late_id = connection.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, data)"
                " VALUES ('telegram:late', 'user', :ts, 'greet', :data) RETURNING id"
            ),
            {"ts": late_message.timestamp, "data": json.dumps(late_message.as_dict())},
        ).scalar_one()
        tracker.write(C, unclear_rest_messages())  # higher ids, committed first
        first = run_sync(sessions, tracker)
        assert first.pending_gaps == 1
        assert first.last_event_id > late_id
        assert [i.sender_id for i in _all(sessions)] == [C, A]
        in_flight.commit()
        connection.close()
    finally:
        writer.dispose()
    second = run_sync(sessions, tracker)
    assert (second.events_read, second.pending_gaps) == (1, 0)
    assert [i.sender_id for i in _all(sessions)] == [C, "telegram:late", A]


@pytest.mark.postgres
@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
def test_an_id_rolled_back_is_given_up_after_the_gap_wait(
    tracker: Tracker, sessions: sessionmaker, engine: Engine
) -> None:
    tracker.write(A, filed_road_report("TNG-2026-000001")[:4])
    writer = create_engine(tracker.url, future=True)
    try:
        with writer.connect() as connection:
            connection.begin()
            connection.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data)"
                    " VALUES ('telegram:lost', 'user', 0, '{}')"
                )
            )
            connection.rollback()
    finally:
        writer.dispose()
    tracker.write(C, unclear_rest_messages())
    moment = dt.datetime.now(dt.timezone.utc)
    assert run_sync(sessions, tracker, now=moment).pending_gaps == 1
    assert run_sync(sessions, tracker, now=moment + GAP_WAIT / 2).pending_gaps == 1
    assert run_sync(sessions, tracker, now=moment + GAP_WAIT).pending_gaps == 0


def _all(sessions: sessionmaker) -> list[Any]:
    with sessions() as session:
        items, _ = search(session, ConversationQuery(), now=NOW)
    return items


def test_missing_ids_are_the_holes_above_the_cursor() -> None:
    assert missing_ids(0, [1, 2, 3]) == []
    assert missing_ids(10, [12, 13, 16]) == [11, 14, 15]
    assert missing_ids(5, []) == []
    # A run longer than MAX_GAP_RUN is deleted history, not a transaction in flight.
    assert missing_ids(0, [MAX_GAP_RUN + 2, MAX_GAP_RUN + 4]) == [MAX_GAP_RUN + 3]
    assert missing_ids(0, [MAX_GAP_RUN + 1]) == list(range(1, MAX_GAP_RUN + 1))


def test_next_gaps_keeps_unfound_ids_until_they_expire() -> None:
    pending = [(11, 100.0), (14, 100.0), (15, 160.0)]
    kept = next_gaps(pending, found={14}, fresh_ids=[22, 24], cursor=20, now=170.0, wait=60.0)
    assert kept == [(15, 160.0), (21, 170.0), (23, 170.0)]


def test_sync_status_reports_the_cursor(tracker: Tracker, sessions: sessionmaker) -> None:
    with sessions() as session:
        assert sync_status(session) is None
    tracker.write(C, unclear_rest_messages())
    run_sync(sessions, tracker)
    with sessions() as session:
        status = sync_status(session)
    assert status is not None
    assert (status.last_event_id, status.pending_gaps) == (len(unclear_rest_messages()), 0)
    assert status.synced_at is not None
    assert status.synced_at.tzinfo is not None
