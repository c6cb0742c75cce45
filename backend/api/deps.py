"""FastAPI dependencies: app state, database sessions and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.auth import Principal
from backend.db import READ_ONLY, closes_without_io
from backend.errors import InvalidInputError
from backend.state import AppState


async def app_state(request: Request) -> AppState:
    """The state built by `create_app`."""
    state: AppState = request.app.state.backend
    return state


async def db_session(state: AppState = Depends(app_state)) -> AsyncIterator[Session]:
    """A session for one request; closing it rolls back anything left uncommitted."""
    session: Session = state.sessions()
    try:
        yield session
    finally:
        await _close(session)


async def read_only_session(state: AppState = Depends(app_state)) -> AsyncIterator[Session]:
    """A session for a request that only reads; it must not write.

    On PostgreSQL its queries run without a transaction (see
    `backend.db.make_session_factory`): no BEGIN and ROLLBACK round trips.
    """
    session: Session = state.sessions(info={READ_ONLY: True})
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: Session) -> None:
    """Close `session`: in the thread pool when that rolls back a transaction (I/O).

    Opening a session does no I/O; neither does closing one whose work was committed
    or that only read without a transaction, so those close at once.
    """
    if closes_without_io(session):
        session.close()
    else:
        await run_in_threadpool(session.close)


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
