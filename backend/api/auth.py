"""`/api/v1/auth/token`: console users exchange a password for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.auth import Role
from backend.console.accounts import LockoutPolicy, LoginOutcome, check_login
from backend.errors import UnauthorizedError
from backend.schemas import ErrorOut, TokenOut, TokenRequest
from backend.state import AppState

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, responses={401: {"model": ErrorOut}})
def login(
    body: TokenRequest,
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> TokenOut:
    """Log in as an administrator or agency officer."""
    policy = LockoutPolicy.from_settings(state.settings)
    result = check_login(session, body.username, body.password, policy)
    if result.outcome is LoginOutcome.LOCKED:
        raise UnauthorizedError(
            "Too many failed attempts: the account is locked for a while. Try again later."
        )
    user = result.user
    if result.outcome is not LoginOutcome.OK or user is None:
        raise UnauthorizedError("Wrong username or password.")
    role = Role(user.role)
    return TokenOut(
        access_token=state.tokens.issue(user.username, role, user.agency),
        expires_in=state.tokens.ttl_seconds,
        role=role.value,
        agency=user.agency,
    )
