"""FastAPI dependencies: app state, database sessions and the caller."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from backend.auth import Principal
from backend.db import session_scope
from backend.state import AppState


def app_state(request: Request) -> AppState:
    """The state built by `create_app`."""
    state: AppState = request.app.state.backend
    return state


def db_session(state: AppState = Depends(app_state)) -> Iterator[Session]:
    """A session for one request, rolled back on error and always closed."""
    with session_scope(state.sessions) as session:
        yield session


def current_principal(
    authorization: str | None = Header(None, description="`Bearer <token>`"),
    state: AppState = Depends(app_state),
) -> Principal:
    """The authenticated caller, or 401."""
    return state.tokens.authenticate(authorization)
