"""Hands outbox events to the notifier's Redis stream (when `REDIS_URL` is set).

The outbox row is written in the same transaction as the change it describes; this
loop then adds it to the stream `lapor:events` and marks it published. A crash between
the two adds it again later: the notifier is idempotent on the event ID. On PostgreSQL
several backend processes share the work (`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import json
import logging
import threading

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.db import utcnow
from backend.models import OutboxEvent

logger = logging.getLogger(__name__)

STREAM = "lapor:events"
#: The stream keeps about this many entries (acknowledged ones are history only).
STREAM_MAX_LENGTH = 100_000


class OutboxPublisher:
    """Moves unpublished outbox events to the Redis stream, oldest first."""

    def __init__(
        self,
        sessions: sessionmaker,
        client: redis.Redis[bytes],
        stream: str = STREAM,
        batch_size: int = 200,
        interval_seconds: float = 0.2,
    ) -> None:
        self._sessions = sessions
        self._redis = client
        self._stream = stream
        self._batch_size = batch_size
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish_once(self) -> int:
        """Publish one batch; returns how many events went out."""
        session: Session = self._sessions()
        try:
            query = (
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.created_at, OutboxEvent.id)
                .limit(self._batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            events = list(session.execute(query).scalars())
            if not events:
                session.rollback()
                return 0
            pipe = self._redis.pipeline(transaction=False)
            for event in events:
                pipe.xadd(
                    self._stream,
                    {"event": json.dumps(event.payload)},
                    maxlen=STREAM_MAX_LENGTH,
                    approximate=True,
                )
            pipe.execute()
            now = utcnow()
            for event in events:
                event.published_at = now
                event.attempts = (event.attempts or 0) + 1
            session.commit()
            return len(events)
        finally:
            session.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                published = self.publish_once()
            except Exception:  # keep publishing after Redis or database trouble
                logger.exception("publishing outbox events failed; retrying")
                published = 0
            if published < self._batch_size:
                self._stop.wait(self._interval)

    def start(self) -> None:
        """Publish in a background thread."""
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after its current batch)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._redis.close()
