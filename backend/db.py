"""Database engine and session factory (SQLAlchemy 1.4, 2.0-style API)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lapor_common.sqlite import DEFAULT_BUSY_TIMEOUT, is_sqlite_url, reading, sqlite_engine
from lapor_common.timestamps import UTCDateTime

__all__ = ["UTCDateTime", "make_engine", "make_session_factory", "session_scope", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)


EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC (a naive one is taken as UTC).

    A moment within hours of the ends of the calendar (e.g. 0001-01-01 00:00 +07:00)
    has no UTC equivalent: it becomes the earliest or latest moment there is.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    try:
        return moment.astimezone(dt.timezone.utc)
    except OverflowError:
        return EARLIEST if moment.year == dt.MINYEAR else LATEST


#: `Session.info` key marking a session that only reads (see `make_session_factory`).
READ_ONLY = "read_only"


def make_engine(
    url: str, pool_size: int = 10, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, **kwargs: Any
) -> Engine:
    """Create an engine with the right options for SQLite or PostgreSQL.

    On SQLite (`lapor_common.sqlite`) a writer waits at most `busy_timeout` seconds for
    the lock; sessions from `make_session_factory(..., read_only=True)` take none.
    """
    if is_sqlite_url(url):
        return sqlite_engine(
            url, busy_timeout=busy_timeout, pool_size=pool_size, foreign_keys=True, **kwargs
        )
    if "poolclass" not in kwargs:
        # No pre-ping (a round trip per request): connections are recycled after
        # 5 minutes, and a connection found dead invalidates the pool so that the next
        # request reconnects. A request waits at most `busy_timeout` for a connection.
        kwargs.update(
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=300,
            pool_timeout=busy_timeout,
        )
    engine = create_engine(url, future=True, **kwargs)
    event.listen(engine, "checkin", _leave_autocommit)
    return engine


def make_reader_engine(url: str, pool_size: int = 2) -> Engine:
    """An engine for a database another program writes (Rasa's tracker store).

    On SQLite it takes no write lock (no `BEGIN IMMEDIATE`) and changes no pragma, so
    reading never blocks the writer.
    """
    if is_sqlite_url(url):
        return create_engine(
            url, future=True, connect_args={"check_same_thread": False, "timeout": 30}
        )
    return create_engine(
        url, future=True, pool_size=pool_size, max_overflow=pool_size, pool_recycle=300
    )


def _leave_autocommit(dbapi_connection: Any, _record: Any) -> None:
    # Every connection goes back to the pool in transaction mode, whatever ran on it.
    if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def make_session_factory(engine: Engine, read_only: bool = False) -> sessionmaker:
    """A session factory bound to `engine` that keeps objects usable after commit.

    With `read_only` its sessions are marked `READ_ONLY` and, on SQLite, begin their
    transactions DEFERRED: they read a consistent snapshot and never take the write
    lock, so they cannot hold up writers. They must not write.
    """
    bind = reading(engine) if read_only else engine
    info = {READ_ONLY: True} if read_only else {}
    factory = sessionmaker(bind=bind, future=True, expire_on_commit=False, info=info)
    event.listen(factory, "after_begin", _read_only_without_transaction)
    return factory


def _read_only_without_transaction(session: Session, _transaction: Any, connection: Any) -> None:
    # A read-only session's queries run in autocommit mode on PostgreSQL: under READ
    # COMMITTED each statement takes its own snapshot anyway, so BEGIN and ROLLBACK
    # would be two round trips for nothing. psycopg2 sends BEGIN with the first query,
    # so none was sent yet and the mode can still change.
    if session.info.get(READ_ONLY) and connection.dialect.name == "postgresql":
        connection.connection.dbapi_connection.autocommit = True


def closes_without_io(session: Session) -> bool:
    """Whether closing `session` sends nothing to the database (no rollback to send)."""
    if not session.in_transaction():
        return True
    return bool(session.info.get(READ_ONLY)) and session.get_bind().dialect.name == "postgresql"


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """Open a session and roll back on error; the caller commits explicitly."""
    session: Session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
