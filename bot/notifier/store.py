"""What the notifier did with each event, kept durably so that nothing is sent twice.

A row is written before a message goes out (`sending`) and updated after (`sent`,
`failed`, `skipped`, or `retry` for a failure worth another try). A redelivered event
whose row says anything but `retry` is not sent again. SQLite by default, PostgreSQL
in production; the calls run in a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.exc import IntegrityError

from lapor_common.sqlite import is_sqlite_url, reading, sqlite_engine

metadata = MetaData()

deliveries = Table(
    "notifier_deliveries",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("sender_id", String(120), nullable=False),
    Column("tracking_id", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("message_id", String(120), index=True),
    Column("failure", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
RETRY = "retry"


@dataclass(frozen=True)
class DeliveryRecord:
    """One event's delivery."""

    event_id: str
    state: str
    message_id: str | None
    failure: str | None
    updated_at: dt.datetime

    def interrupted(self, after_seconds: float = 60.0) -> bool:
        """Left `sending` for longer than a send can take: the sender crashed."""
        updated = self.updated_at
        if updated.tzinfo is None:  # SQLite returns naive UTC
            updated = updated.replace(tzinfo=dt.timezone.utc)
        age = (_now() - updated).total_seconds()
        return self.state == SENDING and age > after_seconds


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class DeliveryStore:
    """Delivery records in a SQL database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reading(engine)  # look-ups take no write lock on SQLite

    @classmethod
    def from_url(cls, url: str) -> DeliveryStore:
        """Open (and create the table in) the database at `url`."""
        engine = (
            sqlite_engine(url)
            if is_sqlite_url(url)
            else create_engine(url, future=True, pool_pre_ping=True)
        )
        metadata.create_all(engine)
        return cls(engine)

    def close(self) -> None:
        """Release connections."""
        self._engine.dispose()

    def _claim(self, event_id: str, sender_id: str, tracking_id: str) -> bool:
        row = {
            "event_id": event_id,
            "sender_id": sender_id,
            "tracking_id": tracking_id,
            "state": SENDING,
            "updated_at": _now(),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(deliveries).values(**row))
            return True
        except IntegrityError:
            with self._engine.begin() as conn:
                retried = conn.execute(
                    update(deliveries)
                    .where(deliveries.c.event_id == event_id, deliveries.c.state == RETRY)
                    .values(state=SENDING, updated_at=_now())
                )
            return bool(retried.rowcount)

    async def claim(self, event_id: str, sender_id: str, tracking_id: str) -> bool:
        """Record that `event_id` is being sent; False when it was handled before."""
        return await asyncio.to_thread(self._claim, event_id, sender_id, tracking_id)

    def _finish(
        self, event_id: str, state: str, message_id: str | None, failure: str | None
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.event_id == event_id)
                .values(state=state, message_id=message_id, failure=failure, updated_at=_now())
            )

    async def finish(
        self, event_id: str, state: str, message_id: str | None = None, failure: str | None = None
    ) -> None:
        """Record the outcome of sending `event_id`."""
        await asyncio.to_thread(self._finish, event_id, state, message_id, failure)

    def _get(self, event_id: str) -> DeliveryRecord | None:
        with self._reader.connect() as conn:
            row = conn.execute(
                select(deliveries).where(deliveries.c.event_id == event_id)
            ).one_or_none()
        if row is None:
            return None
        return DeliveryRecord(row.event_id, row.state, row.message_id, row.failure, row.updated_at)

    async def get(self, event_id: str) -> DeliveryRecord | None:
        """The record of `event_id`, if any."""
        return await asyncio.to_thread(self._get, event_id)

    def _find_by_message(self, message_id: str) -> tuple[str, str, str] | None:
        with self._reader.connect() as conn:
            row = conn.execute(
                select(
                    deliveries.c.event_id, deliveries.c.sender_id, deliveries.c.tracking_id
                ).where(deliveries.c.message_id == message_id)
            ).first()
        return None if row is None else (row.event_id, row.sender_id, row.tracking_id)

    async def find_by_message(self, message_id: str) -> tuple[str, str, str] | None:
        """(event_id, sender_id, tracking_id) of the notification sent as `message_id`."""
        return await asyncio.to_thread(self._find_by_message, message_id)
