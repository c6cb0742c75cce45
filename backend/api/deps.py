"""FastAPI dependencies: app state, database sessions and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.auth import Principal
from backend.state import AppState


async def app_state(request: Request) -> AppState:
    """The state built by `create_app`."""
    state: AppState = request.app.state.backend
    return state


async def db_session(state: AppState = Depends(app_state)) -> AsyncIterator[Session]:
    """A session for one request; closing it rolls back anything left uncommitted.

    Opening a session does no I/O; closing may, so it runs in the thread pool.
    """
    session: Session = state.sessions()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


async def current_principal(
    authorization: str | None = Header(None, description="`Bearer <token>`"),
    state: AppState = Depends(app_state),
) -> Principal:
    """The authenticated caller, or 401 (pure CPU work: no thread hop needed)."""
    return state.tokens.authenticate(authorization)
