"""Listing, filtering and opening the indexed conversations (see `indexer.sync`).

Officers pass their `agency`: they see only conversations linked to a report of
that agency. `agency=None` means no restriction (administrators).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from backend.console.summary import IDLE_AFTER, Outcome, outcome
from backend.db import utcnow
from backend.models import Conversation, ConversationIntent, ConversationReport, Report

DateField = Literal["last_activity", "started"]

_ITEM_COLUMNS = (
    Conversation.id,
    Conversation.sender_id,
    Conversation.channel,
    Conversation.display_name,
    Conversation.started_at,
    Conversation.last_activity_at,
    Conversation.last_event_id,
    Conversation.event_count,
    Conversation.user_messages,
    Conversation.fallbacks,
    Conversation.ended_on_fallback,
    Conversation.form_started,
    Conversation.last_requested_slot,
    Conversation.status_checked,
    Conversation.submission_queued,
)
_NEWEST_FIRST = (Conversation.last_activity_at.desc(), Conversation.id.desc())


@dataclass(frozen=True)
class ConversationQuery:
    """Filters of the conversation list; None means "any".

    `date_from` (inclusive) and `date_to` (exclusive) are timezone-aware moments
    compared with the last activity or, with `date_field="started"`, the start.
    `text` is a case-insensitive substring of what the citizen and the bot wrote.
    """

    channel: str | None = None
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    date_field: DateField = "last_activity"
    intent: str | None = None
    had_fallback: bool | None = None
    linked_report: bool | None = None
    text: str | None = None
    outcome: Outcome | None = None
    sender_id: str | None = None


@dataclass(frozen=True)
class ConversationItem:
    """One conversation as the console lists it (`display_name` is unmasked)."""

    id: int
    sender_id: str
    channel: str
    display_name: str | None
    started_at: dt.datetime
    last_activity_at: dt.datetime
    last_event_id: int
    event_count: int
    user_messages: int
    fallbacks: int
    ended_on_fallback: bool
    form_started: bool
    last_requested_slot: str | None
    status_checked: bool
    submission_queued: bool
    tracking_ids: tuple[str, ...]
    intents: tuple[str, ...]
    outcome: Outcome


def search(
    session: Session,
    query: ConversationQuery,
    *,
    agency: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> tuple[list[ConversationItem], int]:
    """One page of matching conversations, newest activity first, and how many match."""
    moment = now or utcnow()
    where = filter_conditions(query, agency=agency, now=moment)
    total = session.execute(select(func.count(Conversation.id)).where(*where)).scalar_one()
    page = select(*_ITEM_COLUMNS).where(*where).order_by(*_NEWEST_FIRST)
    rows = session.execute(page.limit(max(0, limit)).offset(max(0, offset))).all()
    return _items(session, rows, moment), int(total)


def get(
    session: Session,
    conversation_id: int,
    *,
    agency: str | None = None,
    now: dt.datetime | None = None,
) -> ConversationItem | None:
    """One conversation, or None if it is not indexed (or not visible to `agency`)."""
    moment = now or utcnow()
    where = [Conversation.id == conversation_id, *_agency_conditions(agency)]
    rows = session.execute(select(*_ITEM_COLUMNS).where(*where)).all()
    items = _items(session, rows, moment)
    return items[0] if items else None


def iter_conversations(
    session: Session,
    query: ConversationQuery,
    *,
    agency: str | None = None,
    chunk_size: int = 500,
    now: dt.datetime | None = None,
) -> Iterator[ConversationItem]:
    """Every matching conversation, newest first, read `chunk_size` at a time (for exports).

    The session must stay open while the iterator is consumed.
    """
    moment = now or utcnow()
    where = filter_conditions(query, agency=agency, now=moment)
    after: ConversationItem | None = None
    while True:
        page = select(*_ITEM_COLUMNS).where(*where, *_older_than(after)).order_by(*_NEWEST_FIRST)
        items = _items(session, session.execute(page.limit(chunk_size)).all(), moment)
        yield from items
        if len(items) < chunk_size:
            return
        after = items[-1]


def filter_conditions(
    query: ConversationQuery, *, agency: str | None = None, now: dt.datetime | None = None
) -> list[Any]:
    """SQL conditions on `Conversation` for `query` and the viewer's `agency`."""
    moment = now or utcnow()
    conditions: list[Any] = [*_agency_conditions(agency), *_date_conditions(query)]
    if query.channel:
        conditions.append(Conversation.channel == query.channel)
    if query.sender_id:
        conditions.append(Conversation.sender_id == query.sender_id)
    if query.intent:
        conditions.append(_has_intent(query.intent))
    if query.had_fallback is not None:
        had = Conversation.fallbacks > 0
        conditions.append(had if query.had_fallback else ~had)
    if query.linked_report is not None:
        conditions.append(_has_report() if query.linked_report else ~_has_report())
    if query.text and query.text.strip():
        conditions.append(Conversation.search_text.like(_like_pattern(query.text), escape="\\"))
    if query.outcome is not None:
        conditions.append(outcome_expression(moment) == query.outcome.value)
    return conditions


def outcome_expression(now: dt.datetime) -> Any:
    """`summary.outcome` as SQL, for filtering and counting by outcome."""
    idle = Conversation.last_activity_at < now - IDLE_AFTER
    filed = or_(Conversation.submission_queued.is_(True), _has_report())
    form = Conversation.form_started.is_(True)
    return case(
        (filed, Outcome.REPORT_FILED.value),
        (and_(form, idle), Outcome.ABANDONED.value),
        (form, Outcome.IN_PROGRESS.value),
        (Conversation.status_checked.is_(True), Outcome.STATUS_CHECK.value),
        (~idle, Outcome.IN_PROGRESS.value),
        (Conversation.ended_on_fallback.is_(True), Outcome.FALLBACK.value),
        else_=Outcome.OTHER.value,
    )


def _agency_conditions(agency: str | None) -> list[Any]:
    if agency is None:
        return []
    linked = exists().where(
        ConversationReport.conversation_id == Conversation.id,
        Report.tracking_id == ConversationReport.tracking_id,
        Report.agency == agency,
    )
    return [linked]


def _date_conditions(query: ConversationQuery) -> list[Any]:
    column = (
        Conversation.started_at if query.date_field == "started" else Conversation.last_activity_at
    )
    conditions = []
    if query.date_from is not None:
        conditions.append(column >= query.date_from)
    if query.date_to is not None:
        conditions.append(column < query.date_to)
    return conditions


def _has_intent(intent: str) -> Any:
    return exists().where(
        ConversationIntent.conversation_id == Conversation.id, ConversationIntent.intent == intent
    )


def _has_report() -> Any:
    return exists().where(ConversationReport.conversation_id == Conversation.id)


def _like_pattern(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _older_than(item: ConversationItem | None) -> list[Any]:
    if item is None:
        return []
    moment = item.last_activity_at
    return [
        or_(
            Conversation.last_activity_at < moment,
            and_(Conversation.last_activity_at == moment, Conversation.id < item.id),
        )
    ]


def _items(session: Session, rows: Sequence[Any], now: dt.datetime) -> list[ConversationItem]:
    ids = [row.id for row in rows]
    tracking_ids = _grouped(
        session, ConversationReport.conversation_id, ConversationReport.tracking_id, ids
    )
    intents = _grouped(session, ConversationIntent.conversation_id, ConversationIntent.intent, ids)
    return [_item(row, tracking_ids[row.id], intents[row.id], now) for row in rows]


def _grouped(
    session: Session, owner: Any, column: Any, ids: Iterable[int]
) -> dict[int, tuple[str, ...]]:
    """The values of `column` per conversation id (`owner`), sorted."""
    wanted = list(ids)
    groups: dict[int, list[str]] = defaultdict(list)
    if wanted:
        rows = session.execute(
            select(owner, column).where(owner.in_(wanted)).order_by(owner, column)
        )
        for conversation_id, value in rows:
            groups[conversation_id].append(value)
    return defaultdict(tuple, {key: tuple(values) for key, values in groups.items()})


def _item(
    row: Any, tracking_ids: tuple[str, ...], intents: tuple[str, ...], now: dt.datetime
) -> ConversationItem:
    return ConversationItem(
        id=row.id,
        sender_id=row.sender_id,
        channel=row.channel,
        display_name=row.display_name,
        started_at=row.started_at,
        last_activity_at=row.last_activity_at,
        last_event_id=row.last_event_id,
        event_count=row.event_count,
        user_messages=row.user_messages,
        fallbacks=row.fallbacks,
        ended_on_fallback=bool(row.ended_on_fallback),
        form_started=bool(row.form_started),
        last_requested_slot=row.last_requested_slot,
        status_checked=bool(row.status_checked),
        submission_queued=bool(row.submission_queued),
        tracking_ids=tracking_ids,
        intents=intents,
        outcome=outcome(
            filed=bool(tracking_ids) or bool(row.submission_queued),
            form_started=bool(row.form_started),
            status_checked=bool(row.status_checked),
            ended_on_fallback=bool(row.ended_on_fallback),
            last_activity_at=row.last_activity_at,
            now=now,
        ),
    )
