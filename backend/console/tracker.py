"""Reading Rasa's SQL tracker store (the `events` table of `SQLTrackerStore`).

Rasa 3.6 writes one row per event: `id` (ascending in insertion order), `sender_id`,
`type_name`, `timestamp` (epoch seconds), `intent_name`, `action_name` and `data`, the
event as JSON. The table belongs to Rasa, in another database; this module only reads
it, and treats a missing table (Rasa never started) as a table without events.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Integer, String, Text, column, inspect, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

EVENTS = table(
    "events",
    column("id", Integer),
    column("sender_id", String),
    column("type_name", String),
    column("timestamp", Float),
    column("data", Text),
)

#: How many ids go into one `IN (...)` list.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class TrackerEvent:
    """One row of Rasa's `events` table, its JSON already parsed."""

    id: int
    sender_id: str
    type_name: str
    timestamp: float
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def at(self) -> dt.datetime:
        """When the event happened, in UTC."""
        return dt.datetime.fromtimestamp(self.timestamp, dt.timezone.utc)


def has_events_table(engine: Engine) -> bool:
    """Whether Rasa created its `events` table (without creating a SQLite file)."""
    database = engine.url.database
    on_file = engine.dialect.name == "sqlite" and database and database != ":memory:"
    if on_file and not Path(database).is_file():
        return False
    return bool(inspect(engine).has_table("events"))


def read_after(engine: Engine, after_id: int, limit: int) -> list[TrackerEvent]:
    """Up to `limit` events with an id above `after_id`, in id order."""
    query = _columns().where(EVENTS.c.id > after_id).order_by(EVENTS.c.id).limit(limit)
    return _fetch(engine, query)


def read_ids(engine: Engine, ids: Iterable[int]) -> list[TrackerEvent]:
    """The events with these ids that exist (and are committed), in id order."""
    wanted = sorted(set(ids))
    found: list[TrackerEvent] = []
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        found.extend(_fetch(engine, _columns().where(EVENTS.c.id.in_(chunk))))
    return sorted(found, key=lambda event: event.id)


def read_sender(
    engine: Engine,
    sender_id: str,
    from_id: int,
    to_id: int | None = None,
    limit: int | None = None,
) -> list[TrackerEvent]:
    """The events of `sender_id` with `from_id <= id <= to_id`, in id order."""
    query = _columns().where(EVENTS.c.sender_id == sender_id, EVENTS.c.id >= from_id)
    if to_id is not None:
        query = query.where(EVENTS.c.id <= to_id)
    query = query.order_by(EVENTS.c.id)
    if limit is not None:
        query = query.limit(limit)
    return _fetch(engine, query)


def _columns() -> Select:
    return select(
        EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data
    )


def _fetch(engine: Engine, query: Select) -> list[TrackerEvent]:
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [_event(row) for row in rows]


def _event(row: Sequence[Any]) -> TrackerEvent:
    event_id, sender_id, type_name, timestamp, raw = row
    data = parse_data(raw)
    when = timestamp if timestamp is not None else data.get("timestamp")
    return TrackerEvent(
        id=int(event_id),
        sender_id=str(sender_id),
        type_name=str(type_name),
        timestamp=float(when) if isinstance(when, (int, float)) else 0.0,
        data=data,
    )


def parse_data(raw: str | None) -> dict[str, Any]:
    """The event's JSON as a dict; `{}` for anything unreadable."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
