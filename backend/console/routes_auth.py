"""Login, logout and the language switch."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.auth import Role
from backend.console import audit
from backend.console.accounts import LockoutPolicy, LoginOutcome, check_login
from backend.console.i18n import LANGUAGES, translator
from backend.console.sessions import csrf_matches, end_session, start_session
from backend.console.web import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    Viewer,
    browser_session,
    check_csrf,
    client_ip,
    language_of,
    redirect,
    render,
    safe_next,
    session_policy,
    viewer,
)
from backend.state import AppState

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("")
def home(
    request: Request,
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """The console's start page for the user's role (or the login page)."""
    active = browser_session(request, db, state)
    if active is None:
        return redirect(f"{PREFIX}/login")
    if active.user.role == Role.VIEWER.value:
        return redirect(f"{PREFIX}/dashboard")
    return redirect(f"{PREFIX}/reports")


@router.get("/login")
def login_page(request: Request, next: str | None = None, done: str | None = None) -> Response:
    """The login form, with a fresh token against login CSRF."""
    return _login_form(request, next, notice="logged_out" if done == "logout" else None)


@router.post("/login")
def login(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
    csrf_token: str = Form(""),
    next: str = Form(""),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Check the password; on success start a session and go where the user wanted."""
    t = translator(language_of(request))
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_form(request, next, error=t("csrf_failed"), status_code=403)
    settings = state.settings
    result = check_login(db, username, password, LockoutPolicy.from_settings(settings))
    ip = client_ip(request)
    if result.outcome is not LoginOutcome.OK or result.user is None:
        actor = audit.Actor(name=username.strip()[:100] or "?", role="unknown", ip=ip)
        audit.record(db, actor, audit.LOGIN_FAILED, detail={"reason": result.outcome.value})
        db.commit()
        if result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
            until = result.locked_until.astimezone(state.policy.timezone).strftime("%H:%M")
            error = t("login_locked", until=until)
        elif result.outcome is LoginOutcome.INACTIVE:
            error = t("login_inactive")
        else:
            error = t("login_failed")
        return _login_form(request, next, error=error, status_code=401, username=username)
    user = result.user
    token = start_session(db, user, session_policy(settings), ip, request.headers.get("user-agent"))
    audit.record(db, audit.Actor(user.username, user.role, ip), audit.LOGIN)
    db.commit()
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.console_session_hours * 3600,
        path=PREFIX,
        secure=settings.console_cookie_secure,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(
    request: Request,
    csrf_token: str = Form(""),
    user: Viewer = Depends(viewer),
    db: Session = Depends(db_session),
) -> Response:
    """End the session on the server and in the browser."""
    check_csrf(user, csrf_token)
    end_session(db, request.cookies.get(SESSION_COOKIE))
    audit.record(db, user.actor, audit.LOGOUT)
    db.commit()
    response = redirect(f"{PREFIX}/login?done=logout")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/lang/{language}")
def switch_language(language: str, next: str | None = None) -> Response:
    """Remember the chosen interface language and go back."""
    response = redirect(safe_next(next))
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, path=PREFIX, samesite="lax"
        )
    return response


def _login_form(
    request: Request,
    next_url: str | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    username: str = "",
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        csrf_token=token,
        next=safe_next(next_url),
        error=error,
        notice=notice,
        username=username[:100],
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path=PREFIX,
        secure=request.app.state.backend.settings.console_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response
