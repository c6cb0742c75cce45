"""Reports waiting for the backend: kept durably and submitted when it is back.

The store is a table in a small SQL database (SQLite by default, PostgreSQL when
configured), so a restart of the action server loses nothing. Methods are blocking;
async code calls them through `asyncio.to_thread`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from lapor_common.sqlite import is_sqlite_url, reading, sqlite_engine

metadata = MetaData()

pending_submissions = Table(
    "pending_submissions",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),
    Column("sender_id", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("tracking_id", String(32), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class PendingSubmission:
    """A report that still has to reach the backend."""

    idempotency_key: str
    sender_id: str
    body: dict[str, Any]
    attempts: int


class PendingStore:
    """The durable queue of submissions waiting for the backend."""

    def __init__(self, url: str) -> None:
        # SQLite (the embedded default) in WAL mode with a busy timeout; see lapor_common.
        self._engine: Engine = (
            sqlite_engine(url) if is_sqlite_url(url) else create_engine(url, future=True)
        )
        self._reader = reading(self._engine)  # look-ups take no write lock on SQLite
        metadata.create_all(self._engine)

    def add(self, idempotency_key: str, sender_id: str, body: dict[str, Any]) -> None:
        """Keep a submission; adding the same key twice keeps the first."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    pending_submissions.insert().values(
                        idempotency_key=idempotency_key,
                        sender_id=sender_id,
                        body=json.dumps(body),
                        created_at=dt.datetime.now(dt.timezone.utc),
                        attempts=0,
                    )
                )
        except IntegrityError:
            return

    def due(self, limit: int = 20) -> list[PendingSubmission]:
        """Submissions not yet accepted by the backend, oldest first."""
        with self._reader.connect() as conn:
            rows = conn.execute(
                select(pending_submissions)
                .where(pending_submissions.c.submitted_at.is_(None))
                .order_by(pending_submissions.c.created_at)
                .limit(limit)
            ).mappings()
            return [
                PendingSubmission(
                    idempotency_key=row["idempotency_key"],
                    sender_id=row["sender_id"],
                    body=json.loads(row["body"]),
                    attempts=row["attempts"],
                )
                for row in rows
            ]

    def waiting(self) -> int:
        """How many submissions the backend has not accepted yet."""
        with self._reader.connect() as conn:
            count = conn.execute(
                select(func.count()).where(pending_submissions.c.submitted_at.is_(None))
            ).scalar_one()
        return int(count)

    def mark_submitted(self, idempotency_key: str, tracking_id: str) -> None:
        """Record that the backend accepted the submission."""
        with self._engine.begin() as conn:
            conn.execute(
                update(pending_submissions)
                .where(pending_submissions.c.idempotency_key == idempotency_key)
                .values(tracking_id=tracking_id, submitted_at=dt.datetime.now(dt.timezone.utc))
            )

    def mark_failed(self, idempotency_key: str, error: str) -> None:
        """Record a failed attempt; the submission stays due."""
        with self._engine.begin() as conn:
            conn.execute(
                update(pending_submissions)
                .where(pending_submissions.c.idempotency_key == idempotency_key)
                .values(attempts=pending_submissions.c.attempts + 1, last_error=error[:2000])
            )

    def mark_abandoned(self, idempotency_key: str, error: str) -> None:
        """Stop retrying a submission the backend refused (kept, with the reason)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(pending_submissions)
                .where(pending_submissions.c.idempotency_key == idempotency_key)
                .values(
                    attempts=pending_submissions.c.attempts + 1,
                    last_error=f"refused: {error}"[:2000],
                    submitted_at=dt.datetime.now(dt.timezone.utc),
                )
            )

    def close(self) -> None:
        """Close the database connections."""
        self._engine.dispose()
