"""`/api/v1/auth/token`: console users exchange a password for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.auth import Role, verify_password
from backend.errors import UnauthorizedError
from backend.models import User
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
    user = session.execute(select(User).where(User.username == body.username)).scalar_one_or_none()
    if user is None or not user.active or not verify_password(body.password, user.password_hash):
        raise UnauthorizedError("Wrong username or password.")
    role = Role(user.role)
    return TokenOut(
        access_token=state.tokens.issue(user.username, role, user.agency),
        expires_in=state.tokens.ttl_seconds,
        role=role.value,
        agency=user.agency,
    )
