"""Keeping the conversation index (in the backend database) in step with Rasa's events.

`sync` reads the events added since the last run, in bounded batches, and rewrites
the index rows of every session those events touch, from the session's first event:
re-reading an event only rewrites the same rows, so a run is idempotent. One cursor
row, locked with `SELECT ... FOR UPDATE` (SQLite: the backend's `BEGIN IMMEDIATE`),
serialises concurrent runs.

On PostgreSQL an event id can commit after a higher one (ids are taken when a
transaction inserts, rows appear when it commits). Ids missing below the newest one
read are kept as pending gaps and looked up again on each run for `gap_wait`, after
which they are taken to be rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.console.rasa_events import split_sessions
from backend.console.summary import ConversationSummary, summarise
from backend.console.tracker import (
    TrackerEvent,
    has_events_table,
    read_after,
    read_ids,
    read_sender,
)
from backend.db import utcnow
from backend.models import (
    Conversation,
    ConversationIntent,
    ConversationReport,
    ConversationSyncState,
    IdempotencyKey,
    Report,
)

CURSOR_NAME = "rasa_events"
#: How long a missing event id is looked for before it is taken to be rolled back.
GAP_WAIT = dt.timedelta(minutes=5)
#: A longer run of missing ids is deleted history, not transactions in flight.
MAX_GAP_RUN = 1000
MAX_PENDING_GAPS = 10_000

_CONVERSATIONS = Conversation.__table__
_INTENTS = ConversationIntent.__table__
_LINKS = ConversationReport.__table__
_STATE = ConversationSyncState.__table__
_KEYS = IdempotencyKey.__table__
_REPORTS = Report.__table__

Gap = tuple[int, float]  # event id, epoch seconds when first missed


@dataclass(frozen=True)
class SyncResult:
    """What one `sync` call did."""

    events_read: int
    conversations_written: int
    last_event_id: int
    pending_gaps: int
    caught_up: bool


@dataclass(frozen=True)
class SyncStatus:
    """How far the index has read."""

    last_event_id: int
    pending_gaps: int
    synced_at: dt.datetime | None


@dataclass(frozen=True)
class _Cursor:
    last_event_id: int
    gaps: list[Gap]


def sync(
    sessions: Callable[[], Session],
    tracker_engine: Engine,
    *,
    batch_size: int = 1000,
    max_batches: int = 20,
    gap_wait: dt.timedelta = GAP_WAIT,
    now: dt.datetime | None = None,
) -> SyncResult:
    """Index the events added to Rasa's table since the last run.

    Each batch of at most `batch_size` events is one transaction; the call stops
    after `max_batches` (`caught_up` False: call again). `sessions` opens sessions
    on the backend database (e.g. `AppState.sessions`).
    """
    moment = (now or utcnow()).timestamp()
    if not has_events_table(tracker_engine):
        return _nothing_to_read(sessions)
    total = SyncResult(0, 0, 0, 0, caught_up=False)
    for _ in range(max(1, max_batches)):
        with sessions() as session, session.begin():
            batch = _sync_batch(session, tracker_engine, batch_size, gap_wait, moment)
        total = SyncResult(
            total.events_read + batch.events_read,
            total.conversations_written + batch.conversations_written,
            batch.last_event_id,
            batch.pending_gaps,
            batch.caught_up,
        )
        if batch.caught_up:
            break
    return total


def sync_status(session: Session) -> SyncStatus | None:
    """How far the index has read, or None before the first `sync`."""
    row = session.execute(
        select(_STATE.c.last_event_id, _STATE.c.pending_gaps, _STATE.c.synced_at).where(
            _STATE.c.name == CURSOR_NAME
        )
    ).one_or_none()
    if row is None:
        return None
    return SyncStatus(int(row[0]), len(row[1] or []), row[2])


def reset_index(session: Session) -> None:
    """Forget the whole index (e.g. after Rasa's table was replaced); the caller commits."""
    for table in (_LINKS, _INTENTS, _CONVERSATIONS, _STATE):
        session.execute(delete(table))


def _nothing_to_read(sessions: Callable[[], Session]) -> SyncResult:
    with sessions() as session:
        status = sync_status(session)
    last, gaps = (status.last_event_id, status.pending_gaps) if status else (0, 0)
    return SyncResult(0, 0, last, gaps, caught_up=True)


def _sync_batch(
    session: Session, tracker_engine: Engine, batch_size: int, gap_wait: dt.timedelta, now: float
) -> SyncResult:
    cursor = _lock_cursor(session)
    fresh = read_after(tracker_engine, cursor.last_event_id, batch_size)
    late = read_ids(tracker_engine, [gap_id for gap_id, _ in cursor.gaps]) if cursor.gaps else []
    upper = max([cursor.last_event_id, *(event.id for event in fresh)])
    written = _reindex(session, tracker_engine, [*late, *fresh], cursor.last_event_id, upper)
    _link_queued_reports(session)
    gaps = next_gaps(
        cursor.gaps,
        found={event.id for event in late},
        fresh_ids=[event.id for event in fresh],
        cursor=cursor.last_event_id,
        now=now,
        wait=gap_wait.total_seconds(),
    )
    _save_cursor(session, upper, gaps)
    caught_up = len(fresh) < batch_size
    return SyncResult(len(fresh) + len(late), written, upper, len(gaps), caught_up)


def next_gaps(
    pending: Sequence[Gap],
    *,
    found: set[int],
    fresh_ids: Sequence[int],
    cursor: int,
    now: float,
    wait: float,
) -> list[Gap]:
    """The ids still worth looking for after a batch: old ones not yet found nor expired,
    and those missing between the previous cursor and the newest id read."""
    kept = [(gap_id, seen) for gap_id, seen in pending if gap_id not in found and now - seen < wait]
    new = [(gap_id, now) for gap_id in missing_ids(cursor, fresh_ids)]
    return (kept + new)[-MAX_PENDING_GAPS:]


def missing_ids(cursor: int, ids: Iterable[int]) -> list[int]:
    """Ids above `cursor` skipped by the ascending `ids` (runs longer than MAX_GAP_RUN
    are left out: deleted history, not transactions in flight)."""
    missing: list[int] = []
    previous = cursor
    for event_id in sorted(ids):
        if 0 < event_id - previous - 1 <= MAX_GAP_RUN:
            missing.extend(range(previous + 1, event_id))
        previous = event_id
    return missing


def _lock_cursor(session: Session) -> _Cursor:
    query = (
        select(_STATE.c.last_event_id, _STATE.c.pending_gaps)
        .where(_STATE.c.name == CURSOR_NAME)
        .with_for_update()
    )
    row = session.execute(query).one_or_none()
    if row is None:
        _create_cursor(session)
        row = session.execute(query).one()
    gaps = [(int(gap_id), float(seen)) for gap_id, seen in row[1] or []]
    return _Cursor(int(row[0]), gaps)


def _create_cursor(session: Session) -> None:
    """Insert the cursor row unless a concurrent run just did."""
    values = {"name": CURSOR_NAME, "last_event_id": 0, "pending_gaps": []}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql_insert(_STATE).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(_STATE).values(values).on_conflict_do_nothing())
    else:
        session.execute(insert(_STATE).values(values))


def _save_cursor(session: Session, last_event_id: int, gaps: list[Gap]) -> None:
    session.execute(
        update(_STATE)
        .where(_STATE.c.name == CURSOR_NAME)
        .values(
            last_event_id=last_event_id,
            pending_gaps=[[gap_id, seen] for gap_id, seen in gaps],
            synced_at=utcnow(),
        )
    )


def _reindex(
    session: Session,
    tracker_engine: Engine,
    events: Sequence[TrackerEvent],
    cursor: int,
    upper: int,
) -> int:
    """Rewrite the sessions `events` belong to; returns how many were written."""
    first_new: dict[str, int] = {}
    for event in events:
        first_new[event.sender_id] = min(event.id, first_new.get(event.sender_id, event.id))
    written = 0
    for sender_id, first_id in first_new.items():
        start = _session_start(session, sender_id, first_id)
        if start > cursor:  # every event of the sender from `start` on is in this batch
            own = sorted(
                (e for e in events if e.sender_id == sender_id and e.id >= start),
                key=lambda e: e.id,
            )
        else:
            own = read_sender(tracker_engine, sender_id, start, upper)
        summaries = [summarise(part) for part in split_sessions(own)]
        _replace_sessions(session, sender_id, start, summaries)
        written += len(summaries)
    return written


def _session_start(session: Session, sender_id: str, event_id: int) -> int:
    """The first event of the indexed session holding `event_id` (or `event_id`)."""
    found = session.execute(
        select(func.max(_CONVERSATIONS.c.id)).where(
            _CONVERSATIONS.c.sender_id == sender_id, _CONVERSATIONS.c.id <= event_id
        )
    ).scalar()
    return int(found) if found is not None else event_id


def _replace_sessions(
    session: Session, sender_id: str, start: int, summaries: Sequence[ConversationSummary]
) -> None:
    """Replace the sender's index rows from session `start` on with `summaries`."""
    doomed = select(_CONVERSATIONS.c.id).where(
        _CONVERSATIONS.c.sender_id == sender_id, _CONVERSATIONS.c.id >= start
    )
    session.execute(delete(_INTENTS).where(_INTENTS.c.conversation_id.in_(doomed)))
    session.execute(delete(_LINKS).where(_LINKS.c.conversation_id.in_(doomed)))
    session.execute(
        delete(_CONVERSATIONS).where(
            _CONVERSATIONS.c.sender_id == sender_id, _CONVERSATIONS.c.id >= start
        )
    )
    if not summaries:
        return
    session.execute(insert(_CONVERSATIONS), [_conversation_row(s) for s in summaries])
    intents = [{"conversation_id": s.id, "intent": i} for s in summaries for i in s.intents]
    if intents:
        session.execute(insert(_INTENTS), intents)
    links = [{"conversation_id": s.id, "tracking_id": t} for s in summaries for t in s.tracking_ids]
    if links:
        session.execute(insert(_LINKS), links)


def _conversation_row(summary: ConversationSummary) -> dict[str, object]:
    return {
        "id": summary.id,
        "sender_id": summary.sender_id,
        "channel": summary.channel,
        "display_name": summary.display_name,
        "started_at": summary.started_at,
        "last_activity_at": summary.last_activity_at,
        "last_event_id": summary.last_event_id,
        "event_count": summary.event_count,
        "user_messages": summary.user_messages,
        "fallbacks": summary.fallbacks,
        "ended_on_fallback": summary.ended_on_fallback,
        "form_started": summary.form_started,
        "last_requested_slot": summary.last_requested_slot,
        "status_checked": summary.status_checked,
        "submission_queued": summary.submission_queued,
        "queued_key": summary.queued_key,
        "search_text": summary.search_text,
    }


def _link_queued_reports(session: Session) -> None:
    """Link reports filed later from the action server's queue to their conversation.

    A queued draft is filed with the `Idempotency-Key` its conversation recorded
    (`queued_key`); the backend keeps that key with the report it created.
    """
    already = exists().where(
        _LINKS.c.conversation_id == _CONVERSATIONS.c.id,
        _LINKS.c.tracking_id == _REPORTS.c.tracking_id,
    )
    pending = (
        select(_CONVERSATIONS.c.id, _REPORTS.c.tracking_id)
        .select_from(
            _CONVERSATIONS.join(_KEYS, _KEYS.c.key == _CONVERSATIONS.c.queued_key).join(
                _REPORTS, _REPORTS.c.id == _KEYS.c.report_id
            )
        )
        .where(_CONVERSATIONS.c.queued_key.is_not(None), ~already)
    )
    session.execute(insert(_LINKS).from_select(["conversation_id", "tracking_id"], pending))
