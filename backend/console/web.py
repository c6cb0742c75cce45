"""What every console page shares: the logged-in user, CSRF, language and rendering."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.deps import app_state, db_session
from backend.auth import Principal, Role
from backend.console import i18n
from backend.console.audit import Actor
from backend.console.sessions import ActiveSession, SessionPolicy, csrf_matches, load_session
from backend.errors import BUSY_RETRY_AFTER_SECONDS, ApiError
from backend.models import User
from backend.settings import BackendSettings
from backend.state import AppState
from lapor_common.sqlite import is_busy

PREFIX = "/admin"
SESSION_COOKIE = "lapor_console"
LANGUAGE_COOKIE = "lapor_console_lang"
LOGIN_CSRF_COOKIE = "lapor_console_login"
_HERE = Path(__file__).resolve().parent

#: Sent with every console page: nothing from other origins, no framing, no caching.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequiredError(Exception):
    """No valid session: the browser is sent to the login page."""


class ForbiddenPageError(Exception):
    """The user's role may not do this."""


class CsrfError(Exception):
    """A form came without the session's CSRF token."""


@dataclass(frozen=True)
class Viewer:
    """The logged-in console user for one request."""

    user: User
    role: Role
    csrf_token: str
    language: str
    ip: str | None

    @property
    def name(self) -> str:
        """The username."""
        return str(self.user.username)

    @property
    def agency(self) -> str | None:
        """An officer's agency; None for the others."""
        return self.user.agency if self.role is Role.OFFICER else None

    @property
    def principal(self) -> Principal:
        """The same user as the JSON API's services see it."""
        return Principal(role=self.role, name=self.name, agency=self.agency)

    @property
    def actor(self) -> Actor:
        """The user as the audit log records them."""
        return Actor(name=self.name, role=self.role.value, ip=self.ip)

    @property
    def masks_personal_data(self) -> bool:
        """Officers see personal data masked unless they ask (and it is audited)."""
        return self.role is not Role.ADMIN

    def sees_personal_data(self, reveal: bool) -> bool:
        """Whether personal data is shown unmasked: always to admins, on request to others."""
        return reveal or not self.masks_personal_data

    def may(self, *roles: Role) -> bool:
        """True when the user has one of `roles`."""
        return self.role in roles


def session_policy(settings: BackendSettings) -> SessionPolicy:
    """How long console sessions last, from the settings."""
    return SessionPolicy(
        lifetime=dt.timedelta(hours=settings.console_session_hours),
        idle=dt.timedelta(minutes=settings.console_idle_minutes),
    )


def parse_day(value: str | None) -> dt.date | None:
    """An ISO date from a filter form; an unreadable one means "no filter"."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def start_of_day(day: dt.date | None, zone: dt.tzinfo, days_later: int = 0) -> dt.datetime | None:
    """Local midnight of `day` (plus `days_later` days) in `zone`, or None."""
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=days_later), dt.time.min, zone)


def language_of(request: Request) -> str:
    """The interface language for this request."""
    return i18n.pick_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def client_ip(request: Request) -> str | None:
    """The caller's address as the server sees it."""
    return request.client.host if request.client else None


def browser_session(request: Request, db: Session, state: AppState) -> ActiveSession | None:
    """The live session behind this browser's cookie, if any."""
    return load_session(db, request.cookies.get(SESSION_COOKIE), session_policy(state.settings))


def current_session(
    request: Request,
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> ActiveSession:
    """The live session of this browser, or LoginRequiredError."""
    active = browser_session(request, db, state)
    if active is None:
        raise LoginRequiredError
    return active


def viewer(request: Request, active: ActiveSession = Depends(current_session)) -> Viewer:
    """The logged-in user of this request."""
    return Viewer(
        user=active.user,
        role=Role(active.user.role),
        csrf_token=active.csrf_token,
        language=language_of(request),
        ip=client_ip(request),
    )


def requires(*roles: Role) -> Callable[..., Viewer]:
    """A dependency: the logged-in user, who must have one of `roles`."""

    def dependency(user: Viewer = Depends(viewer)) -> Viewer:
        if not user.may(*roles):
            raise ForbiddenPageError
        return user

    return dependency


#: Dependencies for the three kinds of page.
case_worker = requires(Role.ADMIN, Role.OFFICER)
admin_only = requires(Role.ADMIN)
any_user = viewer


def check_csrf(user: Viewer, submitted: str | None) -> None:
    """Raise CsrfError unless `submitted` is the session's token."""
    if not csrf_matches(user.csrf_token, submitted):
        raise CsrfError


@cache
def templates() -> Jinja2Templates:
    """The console's Jinja2 templates (autoescaped), loaded once."""
    engine = Jinja2Templates(directory=str(_HERE / "templates"))
    engine.env.globals["static"] = lambda name: f"{PREFIX}/static/{name}"
    engine.env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    return engine


def render(
    request: Request,
    template: str,
    user: Viewer | None,
    status_code: int = 200,
    **values: Any,
) -> Response:
    """A console page with the shared context and security headers."""
    language = user.language if user else language_of(request)
    context = {
        "request": request,
        "user": user,
        "t": i18n.translator(language),
        "lang": language,
        "csrf_token": user.csrf_token if user else values.pop("csrf_token", ""),
        "Role": Role,
        **values,
    }
    response: Response = templates().TemplateResponse(template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def redirect(url: str) -> RedirectResponse:
    """A 303 redirect (after a form, the browser GETs the result)."""
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    return response


def safe_next(url: str | None) -> str:
    """`url` when it stays inside the console, else the console's home (no open redirect)."""
    if url and url.startswith(PREFIX) and not url.startswith("//") and "\\" not in url:
        return url
    return PREFIX


def install_console_errors(app: FastAPI) -> None:
    """Console errors become pages (the JSON API keeps its JSON errors)."""
    api_error = app.exception_handlers[ApiError]
    http_error = app.exception_handlers[StarletteHTTPException]
    database_error = app.exception_handlers[SQLAlchemyError]

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, _exc: LoginRequiredError) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = PREFIX
        return redirect(f"{PREFIX}/login?next={quote(target, safe='')}")

    @app.exception_handler(ForbiddenPageError)
    async def _forbidden(request: Request, _exc: ForbiddenPageError) -> Response:
        return _error_page(request, 403, "forbidden")

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _exc: CsrfError) -> Response:
        return _error_page(request, 403, "csrf_failed")

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if _is_console(request):
            return _error_page(request, exc.status_code, message=exc.message)
        return await _call(api_error, request, exc)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> Response:
        if _is_console(request) and is_busy(exc):
            page = _error_page(request, 503, "database_busy")
            page.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
            return page
        return await _call(database_error, request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_console(request):
            key = "not_found" if exc.status_code == 404 else "error_title"
            return _error_page(request, exc.status_code, key)
        return await _call(http_error, request, exc)


async def _call(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    response: Response = await result if inspect.isawaitable(result) else result
    return response


def _is_console(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def _error_page(
    request: Request, status_code: int, key: str = "error_title", message: str | None = None
) -> Response:
    t = i18n.translator(language_of(request))
    return render(request, "error.html", None, status_code=status_code, message=message or t(key))
