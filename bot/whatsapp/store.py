"""The gateway's durable WhatsApp records (SQLAlchemy Core; SQLite or PostgreSQL).

* `whatsapp_contacts`: when each citizen last wrote (the 24-hour window opens there).
* `whatsapp_outgoing_messages`: each message the gateway sent, by `wamid`: to whom,
  what for, its current delivery status and why it failed; for a status update also
  the template parameters to fall back on if WhatsApp refuses it as outside the window.
* `whatsapp_status_events`: the status history (sent, delivered, read, failed) as
  Meta reported it, each status once per message.

Tables are created on start. The blocking database calls run in worker threads
(`asyncio.to_thread`) so they never hold up the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.whatsapp.envelope import StatusUpdate
from bot.whatsapp.window import Clock, utcnow
from lapor_common.sqlite import is_sqlite_url, reading, sqlite_engine
from lapor_common.timestamps import UTCDateTime

metadata = MetaData()

contacts = Table(
    "whatsapp_contacts",
    metadata,
    Column("wa_id", String(64), primary_key=True),
    Column("last_inbound_at", UTCDateTime, nullable=False),
)

outgoing_messages = Table(
    "whatsapp_outgoing_messages",
    metadata,
    Column("wamid", String(255), primary_key=True),
    Column("wa_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure_code", Integer, nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("template_params", Text, nullable=True),
    Column("fallback_sent_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

status_events = Table(
    "whatsapp_status_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wamid", String(255), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("error_code", Integer, nullable=True),
    Column("error_text", Text, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("wamid", "status", name="uq_whatsapp_status_events_wamid_status"),
)

#: How far along a message is. Statuses arrive out of order (read before delivered,
#: delivered after failed on a second device): the furthest one stands.
STATUS_RANK = {"accepted": 0, "sent": 1, "failed": 2, "delivered": 3, "read": 4}
ACCEPTED = "accepted"


@dataclass(frozen=True)
class OutgoingMessage:
    """A sent message and what became of it."""

    wamid: str
    wa_id: str
    kind: str
    status: str
    failure_code: int | None
    failure_reason: str | None
    template_params: tuple[str, ...] | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class StatusEvent:
    """One status Meta reported for a message."""

    status: str
    at: dt.datetime
    error_code: int | None
    error_text: str | None


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite as `lapor_common.sqlite` opens it, or a pooled server."""
    if is_sqlite_url(url):
        return sqlite_engine(url)
    return create_engine(url, future=True, pool_size=5, max_overflow=10, pool_recycle=300)


def _message(row: Any) -> OutgoingMessage:
    params = row["template_params"]
    return OutgoingMessage(
        wamid=row["wamid"],
        wa_id=row["wa_id"],
        kind=row["kind"],
        status=row["status"],
        failure_code=row["failure_code"],
        failure_reason=row["failure_reason"],
        template_params=None if params is None else tuple(json.loads(params)),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class WhatsAppStore:
    """Last inbound times and outgoing messages, shared by every gateway process."""

    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._reader = reading(engine)  # look-ups take no write lock on SQLite
        self._now = clock

    @classmethod
    def from_url(cls, url: str, clock: Clock = utcnow) -> WhatsAppStore:
        """A store on the database at `url`."""
        return cls(make_engine(url), clock)

    # --- lifecycle -----------------------------------------------------------------
    async def create_tables(self) -> None:
        """Create the tables that do not exist yet."""
        await asyncio.to_thread(metadata.create_all, self._engine)

    async def close(self) -> None:
        """Close the connection pool."""
        await asyncio.to_thread(self._engine.dispose)

    # --- the 24-hour window --------------------------------------------------------
    async def touch_inbound(self, wa_id: str, at: dt.datetime) -> None:
        """Record that `wa_id` wrote at `at` (a later time only ever moves it forward)."""
        await asyncio.to_thread(self._touch_inbound, wa_id, min(at, self._now()))

    def _touch_inbound(self, wa_id: str, at: dt.datetime) -> None:
        # One atomic upsert that keeps the later time, whoever else writes at once.
        dialect_insert = (
            postgresql_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        )
        statement = dialect_insert(contacts).values(wa_id=wa_id, last_inbound_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[contacts.c.wa_id],
            set_={"last_inbound_at": at},
            where=contacts.c.last_inbound_at < statement.excluded.last_inbound_at,
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    async def last_inbound(self, wa_id: str) -> dt.datetime | None:
        """When `wa_id` last wrote, or None when they never did."""
        return await asyncio.to_thread(self._last_inbound, wa_id)

    def _last_inbound(self, wa_id: str) -> dt.datetime | None:
        with self._reader.connect() as conn:
            query = select(contacts.c.last_inbound_at).where(contacts.c.wa_id == wa_id)
            value: dt.datetime | None = conn.execute(query).scalar()
            return value

    # --- outgoing messages ---------------------------------------------------------
    async def record_sent(
        self,
        wamid: str,
        wa_id: str,
        kind: str,
        template_params: Sequence[str] | None = None,
    ) -> None:
        """Record a message WhatsApp accepted (a status may have arrived before)."""
        params = None if template_params is None else json.dumps(list(template_params))
        await asyncio.to_thread(self._record_sent, wamid, wa_id, kind, params)

    def _record_sent(self, wamid: str, wa_id: str, kind: str, params: str | None) -> None:
        now = self._now()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(outgoing_messages).values(
                        wamid=wamid,
                        wa_id=wa_id,
                        kind=kind,
                        status=ACCEPTED,
                        template_params=params,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:  # its first status came in before this record
            with self._engine.begin() as conn:
                conn.execute(
                    update(outgoing_messages)
                    .where(outgoing_messages.c.wamid == wamid)
                    .values(wa_id=wa_id, kind=kind, template_params=params, updated_at=now)
                )

    async def record_status(self, status: StatusUpdate) -> bool:
        """Record a delivery status; False when this status was already recorded."""
        return await asyncio.to_thread(self._record_status, status)

    def _record_status(self, status: StatusUpdate) -> bool:
        now = self._now()
        error = status.errors[0] if status.errors else None
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(status_events).values(
                        wamid=status.message_id,
                        status=status.status,
                        at=status.timestamp,
                        error_code=error.code if error else None,
                        error_text=error.describe() if error else None,
                        recorded_at=now,
                    )
                )
        except IntegrityError:
            return False
        if status.status not in STATUS_RANK:
            return True
        for _ in range(3):
            with self._engine.begin() as conn:
                if self._advance(conn, status, now):
                    return True
            try:
                with self._engine.begin() as conn:
                    conn.execute(self._unknown_message(status, now))
                return True
            except IntegrityError:
                continue
        return True

    @staticmethod
    def _advance(conn: Connection, status: StatusUpdate, now: dt.datetime) -> bool:
        """Move the message's status forward (and keep the failure); False if unknown."""
        table = outgoing_messages
        values: dict[str, Any] = {"updated_at": now}
        if status.status == "failed" and status.errors:
            values["failure_code"] = status.errors[0].code
            values["failure_reason"] = status.errors[0].describe()
        elif status.status == "failed":
            values["failure_reason"] = "failed"
        rank = case(STATUS_RANK, value=table.c.status, else_=0)
        new_status = case((rank < STATUS_RANK[status.status], status.status), else_=table.c.status)
        result = conn.execute(
            update(table)
            .where(table.c.wamid == status.message_id)
            .values(status=new_status, **values)
        )
        return bool(result.rowcount)

    @staticmethod
    def _unknown_message(status: StatusUpdate, now: dt.datetime) -> Any:
        """A row for a message whose status came before its send was recorded."""
        error = status.errors[0] if status.errors else None
        return insert(outgoing_messages).values(
            wamid=status.message_id,
            wa_id=status.recipient_id,
            kind="unknown",
            status=status.status,
            failure_code=error.code if error else None,
            failure_reason=error.describe() if error else None,
            created_at=now,
            updated_at=now,
        )

    async def take_fallback(self, wamid: str) -> tuple[str, ...] | None:
        """The template parameters to resend `wamid` with, once; None if none or taken."""
        return await asyncio.to_thread(self._take_fallback, wamid)

    def _take_fallback(self, wamid: str) -> tuple[str, ...] | None:
        table = outgoing_messages
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(table)
                .where(
                    table.c.wamid == wamid,
                    table.c.template_params.is_not(None),
                    table.c.fallback_sent_at.is_(None),
                )
                .values(fallback_sent_at=self._now())
            ).rowcount
            if not claimed:
                return None
            params = conn.execute(
                select(table.c.template_params).where(table.c.wamid == wamid)
            ).scalar()
        return tuple(json.loads(params or "[]"))

    async def outgoing(self, wamid: str) -> OutgoingMessage | None:
        """The record of a sent message."""
        return await asyncio.to_thread(self._outgoing, wamid)

    def _outgoing(self, wamid: str) -> OutgoingMessage | None:
        with self._reader.connect() as conn:
            row = (
                conn.execute(select(outgoing_messages).where(outgoing_messages.c.wamid == wamid))
                .mappings()
                .first()
            )
        return None if row is None else _message(row)

    async def history(self, wamid: str) -> list[StatusEvent]:
        """The statuses reported for a message, in the order they were recorded."""
        return await asyncio.to_thread(self._history, wamid)

    def _history(self, wamid: str) -> list[StatusEvent]:
        with self._reader.connect() as conn:
            rows = conn.execute(
                select(status_events)
                .where(status_events.c.wamid == wamid)
                .order_by(status_events.c.id)
            ).mappings()
            return [
                StatusEvent(r["status"], r["at"], r["error_code"], r["error_text"]) for r in rows
            ]
