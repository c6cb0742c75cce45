"""SQLite as the embedded default of every process: one way to open it safely.

Every SQLite file of the stack (the backend's reports, the gateway's delivery records
and WhatsApp messages, the action server's pending submissions) is opened here, so they
all behave alike under concurrent use:

- WAL journal: readers never block the writer and the writer never blocks readers.
- Writers serialise at the start of their transaction (`BEGIN IMMEDIATE`), so a
  transaction never fails half-way when a reader upgrades to a writer.
- Transactions that only read begin `DEFERRED` (execution option `READ_ONLY_OPTIONS`,
  or an engine from `reading`): they take no write lock, so a page that reads for a
  while never holds up the writers.
- A writer waits at most `busy_timeout` seconds for the lock, then fails with
  `sqlite3.OperationalError: database is locked`; `is_busy` recognises that error (and
  its PostgreSQL and pool equivalents) so callers can answer "busy, retry later".
- Connections are pooled (SQLAlchemy 1.4 would open a new file handle per checkout,
  and the last one closed checkpoints the WAL each time); the pool's reset on return
  rolls back whatever a careless caller left open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import QueuePool, StaticPool

#: Execution option naming how a SQLite transaction begins.
BEGIN_OPTION: Final = "sqlite_begin"
#: Execution options of a connection or session that only reads.
READ_ONLY_OPTIONS: Final = {BEGIN_OPTION: "DEFERRED"}
#: How long a writer waits for SQLite's lock by default (seconds).
DEFAULT_BUSY_TIMEOUT: Final = 5.0
_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE"})
#: SQLSTATEs of PostgreSQL meaning "busy now, try again": lock not available, statement
#: or lock timeout, too many connections, serialisation failure, deadlock.
_BUSY_SQLSTATES: Final = frozenset({"55P03", "57014", "53300", "40001", "40P01"})


def is_sqlite_url(url: str) -> bool:
    """Whether `url` names a SQLite database."""
    return url.startswith("sqlite")


def sqlite_engine(
    url: str,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    pool_size: int = 5,
    foreign_keys: bool = False,
    **kwargs: Any,
) -> Engine:
    """An engine on the SQLite database `url`, configured as the module describes.

    The file's directory is created. An in-memory database keeps one connection (every
    connection would otherwise see an empty database of its own).
    """
    path = database_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": busy_timeout}
    if path is None:
        kwargs.setdefault("poolclass", StaticPool)
    elif kwargs.setdefault("poolclass", QueuePool) is QueuePool:
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", pool_size)
        kwargs.setdefault("pool_timeout", busy_timeout)
    engine = create_engine(url, future=True, connect_args=connect_args, **kwargs)
    configure(engine, busy_timeout=busy_timeout, foreign_keys=foreign_keys)
    return engine


def configure(engine: Engine, *, busy_timeout: float, foreign_keys: bool = False) -> None:
    """Add the pragmas and the begin mode to an existing SQLite `engine`."""
    timeout_ms = int(busy_timeout * 1000)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the driver, decides when a transaction begins (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        if foreign_keys:
            cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", begin_transaction)


def begin_transaction(connection: Connection) -> None:
    """Begin a SQLite transaction: IMMEDIATE unless the connection only reads."""
    mode = str(connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")).upper()
    if mode not in _BEGIN_MODES:
        raise ValueError(f"{BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}, not {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def reading(engine: Engine) -> Engine:
    """`engine` for transactions that only read (same pool; no write lock on SQLite)."""
    return engine.execution_options(**READ_ONLY_OPTIONS)


def database_path(url: str) -> Path | None:
    """The file of a SQLite `url`, or None for an in-memory database."""
    _, _, rest = url.partition(":///")
    path = rest.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def is_busy(error: BaseException) -> bool:
    """Whether `error` means the database is busy now and a retry later may succeed.

    SQLite's "database is locked" after its busy timeout, PostgreSQL's lock and
    statement timeouts, and a connection pool that had no connection free in time.
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, OperationalError):
        message = str(error.orig).lower()
        if "database is locked" in message or "database table is locked" in message:
            return True
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "pgcode", None) in _BUSY_SQLSTATES
    return False
