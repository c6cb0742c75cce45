"""FastAPI dependencies: app state, database sessions and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import anyio
from anyio import to_thread
from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from backend.auth import Principal
from backend.db import closes_without_io
from backend.errors import InvalidInputError
from backend.state import AppState


async def app_state(request: Request) -> AppState:
    """The state built by `create_app`."""
    state: AppState = request.app.state.backend
    return state


async def db_session(
    request: Request, state: AppState = Depends(app_state)
) -> AsyncIterator[Session]:
    """A session for one request; closing it rolls back anything left uncommitted."""
    session: Session = state.sessions()
    try:
        yield session
    finally:
        await _close(session, closing_limiter(request))


async def read_only_session(
    request: Request, state: AppState = Depends(app_state)
) -> AsyncIterator[Session]:
    """A session for a request that only reads; it must not write.

    On PostgreSQL its queries run without a transaction (see
    `backend.db.make_session_factory`): no BEGIN and ROLLBACK round trips. On SQLite
    it reads one snapshot and never takes the write lock.
    """
    session: Session = state.read_sessions()
    try:
        yield session
    finally:
        await _close(session, closing_limiter(request))


#: Threads for closing sessions, apart from the request threads: a session that still
#: holds SQLite's write lock must be able to roll back while every request thread waits
#: for that lock (sharing one pool, the waiters starved the rollback: the backend
#: wedged). Its own limiter, as FastAPI does for the exit of sync dependencies.
CLOSING_THREADS: Final = 16


def closing_limiter(request: Request) -> anyio.CapacityLimiter:
    """The app's limiter for closing sessions."""
    return app_limiter(request, "closing_limiter", CLOSING_THREADS)


def app_limiter(request: Request, name: str, threads: int) -> anyio.CapacityLimiter:
    """A thread limiter of the app's own, `name`d (made on first use, in the event loop)."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, name, None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(threads)
        setattr(request.app.state, name, limiter)
    return limiter


async def _close(session: Session, limiter: anyio.CapacityLimiter) -> None:
    """Close `session`, whatever happens to the request (error, disconnect, cancel).

    Opening a session does no I/O; neither does closing one whose work was committed
    or that only read without a transaction, so those close at once. A rollback runs
    in a thread of its own limiter, shielded from cancellation: a cancelled request
    still returns its connection to the pool with no transaction open.
    """
    if closes_without_io(session):
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await to_thread.run_sync(session.close, limiter=limiter)


async def current_principal(
    authorization: str | None = Header(None, description="`Bearer <token>`"),
    state: AppState = Depends(app_state),
) -> Principal:
    """The authenticated caller, or 401 (pure CPU work: no thread hop needed)."""
    return state.tokens.authenticate(authorization)


async def no_nul_characters(request: Request) -> None:
    """Refuse NUL characters in the path and query: PostgreSQL cannot compare them."""
    params = [*request.path_params.items(), *request.query_params.multi_items()]
    bad = sorted({name for name, value in params if "\x00" in name or "\x00" in str(value)})
    if bad:
        details = [{"field": name, "message": "must not contain NUL characters"} for name in bad]
        raise InvalidInputError(
            f"Please correct the request: {', '.join(bad)} must not contain NUL characters.",
            details,
        )
