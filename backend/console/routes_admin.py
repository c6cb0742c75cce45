"""Administrators' pages: console users and the audit log."""

from __future__ import annotations

from math import ceil
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.auth import Role
from backend.console import audit
from backend.console.accounts import (
    CONSOLE_ROLES,
    AccountError,
    list_users,
    save_user,
    set_active,
    unlock,
)
from backend.console.sessions import end_user_sessions
from backend.console.web import PREFIX, Viewer, admin_only, check_csrf, redirect, render
from backend.errors import NotFoundError
from backend.models import User
from backend.state import AppState
from backend.taxonomy import kecamatan_agency_code

router = APIRouter(prefix=PREFIX, include_in_schema=False)
AUDIT_PER_PAGE = 50


def _users_page(
    request: Request,
    user: Viewer,
    db: Session,
    state: AppState,
    *,
    error: str | None = None,
    saved: bool = False,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "users.html",
        user,
        status_code=422 if error else 200,
        users=list_users(db),
        roles=[r.value for r in CONSOLE_ROLES],
        agencies=_agency_codes(state),
        error=error,
        saved=saved,
        form=form or {},
        timezone=state.policy.timezone,
    )


def _agency_codes(state: AppState) -> list[str]:
    """Agencies an officer can belong to: the category agencies and kecamatan offices."""
    codes = set(state.taxonomy.agencies)
    codes.update(kecamatan_agency_code(k) for k in state.taxonomy.kecamatan)
    return sorted(codes)


@router.get("/users")
def users_page(
    request: Request,
    saved: int = Query(0, ge=0, le=1),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Every console user, with the form to add or change one."""
    return _users_page(request, user, db, state, saved=bool(saved))


@router.post("/users")
def save_user_form(
    request: Request,
    username: str = Form("", max_length=200),
    role: str = Form("", max_length=20),
    agency: str = Form("", max_length=60),
    password: str = Form("", max_length=1000),
    csrf_token: str = Form(""),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Create a user or change one's role, agency or password."""
    check_csrf(user, csrf_token)
    form = {"username": username, "role": role, "agency": agency}
    try:
        chosen = Role(role)
        saved = save_user(
            db,
            username,
            chosen,
            agency,
            password or None,
            known_agencies=set(_agency_codes(state)),
        )
    except ValueError as exc:  # AccountError, or an unknown role
        db.rollback()
        message = str(exc) if isinstance(exc, AccountError) else "Choose a role."
        return _users_page(request, user, db, state, error=message, form=form)
    if password:
        end_user_sessions(db, saved.id)  # a new password logs the user out everywhere
    audit.record(
        db,
        user.actor,
        audit.USER_SAVED,
        "user",
        saved.username,
        {"role": saved.role, "agency": saved.agency, "password_changed": bool(password)},
    )
    db.commit()
    return redirect(f"{PREFIX}/users?saved=1")


def _user(db: Session, user_id: int) -> User:
    found: User | None = db.get(User, user_id)
    if found is None:
        raise NotFoundError("No such user.")
    return found


@router.post("/users/{user_id}/active")
def set_user_active(
    request: Request,
    user_id: int,
    active: int = Form(..., ge=0, le=1),
    csrf_token: str = Form(""),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Disable a user (and end their sessions) or enable them again."""
    check_csrf(user, csrf_token)
    target = _user(db, user_id)
    if target.id == user.user.id and not active:
        return _users_page(request, user, db, state, error="You cannot disable your own account.")
    set_active(db, target, bool(active))
    if not active:
        end_user_sessions(db, target.id)
    action = audit.USER_ENABLED if active else audit.USER_DISABLED
    audit.record(db, user.actor, action, "user", target.username)
    db.commit()
    return redirect(f"{PREFIX}/users?saved=1")


@router.post("/users/{user_id}/unlock")
def unlock_user(
    user_id: int,
    csrf_token: str = Form(""),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
) -> Response:
    """Lift a lockout after too many failed logins."""
    check_csrf(user, csrf_token)
    target = _user(db, user_id)
    unlock(db, target)
    audit.record(db, user.actor, audit.USER_UNLOCKED, "user", target.username)
    db.commit()
    return redirect(f"{PREFIX}/users?saved=1")


@router.get("/audit")
def audit_page(
    request: Request,
    actor: str | None = Query(None, max_length=100),
    action: str | None = Query(None, max_length=40),
    target: str | None = Query(None, max_length=255),
    page: int = Query(1, ge=1, le=100_000),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """The audit log, newest first, filtered by actor, action or target."""
    rows, total = audit.entries(
        db,
        actor=actor or None,
        action=action or None,
        target_id=target or None,
        limit=AUDIT_PER_PAGE,
        offset=(page - 1) * AUDIT_PER_PAGE,
    )
    query = {k: v for k, v in {"actor": actor, "action": action, "target": target}.items() if v}
    return render(
        request,
        "audit.html",
        user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, ceil(total / AUDIT_PER_PAGE)),
        query=query,
        query_string=urlencode(query),
        actions=audit.ACTIONS,
        timezone=state.policy.timezone,
    )
