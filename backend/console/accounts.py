"""Console accounts: checking a login with lockout, and managing users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth import (
    Role,
    hash_password,
    password_needs_rehash,
    spend_password_check_time,
    verify_password,
)
from backend.db import utcnow
from backend.models import User
from backend.settings import BackendSettings

MIN_PASSWORD_LENGTH = 10
CONSOLE_ROLES = (Role.ADMIN, Role.OFFICER, Role.VIEWER)


@dataclass(frozen=True)
class LockoutPolicy:
    """How many wrong passwords lock an account, and for how long."""

    attempts: int = 5
    minutes: int = 15

    @classmethod
    def from_settings(cls, settings: BackendSettings) -> LockoutPolicy:
        """The policy configured for this deployment (console and API logins alike)."""
        return cls(settings.console_lockout_attempts, settings.console_lockout_minutes)


class LoginOutcome(str, Enum):
    """Why a login succeeded or failed (the page shows one message for all failures)."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt and, when it succeeded, the user."""

    outcome: LoginOutcome
    user: User | None = None
    locked_until: dt.datetime | None = None


class AccountError(ValueError):
    """A user-management request that cannot be carried out (message for the page)."""


def find_user(session: Session, username: str) -> User | None:
    """The user called `username` (exact match), or None."""
    user: User | None = session.execute(
        select(User).where(User.username == username.strip())
    ).scalar_one_or_none()
    return user


def check_login(
    session: Session,
    username: str,
    password: str,
    policy: LockoutPolicy,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a username and password, counting failures and locking after too many.

    The row is locked while counting, so parallel guesses cannot exceed the limit.
    Commits the session.
    """
    now = now or utcnow()
    user = session.execute(
        select(User).where(User.username == username.strip()).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        spend_password_check_time(password)
        session.rollback()
        return LoginResult(LoginOutcome.WRONG)
    if user.locked_until is not None and user.locked_until > now:
        session.rollback()
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    if not verify_password(password, user.password_hash):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= policy.attempts:
            user.locked_until = now + dt.timedelta(minutes=policy.minutes)
            user.failed_logins = 0
            session.commit()
            return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
        session.commit()
        return LoginResult(LoginOutcome.WRONG)
    if not user.active:
        session.rollback()
        return LoginResult(LoginOutcome.INACTIVE)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.commit()
    return LoginResult(LoginOutcome.OK, user=user)


def check_new_password(password: str) -> None:
    """Raise AccountError unless `password` is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")


def save_user(
    session: Session,
    username: str,
    role: Role,
    agency: str | None,
    password: str | None,
    known_agencies: set[str] | None = None,
) -> User:
    """Create `username` or update its role, agency and (when given) password. Commits.

    Officers need an agency; other roles have none. A new user needs a password.
    """
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise AccountError("A username is 1-100 characters without spaces.")
    if role not in CONSOLE_ROLES:
        raise AccountError("Choose the role admin, officer or viewer.")
    agency = (agency or "").strip() or None
    if role is Role.OFFICER and not agency:
        raise AccountError("An officer needs an agency.")
    if role is Role.OFFICER and known_agencies is not None and agency not in known_agencies:
        raise AccountError(f"Unknown agency {agency!r}.")
    user = find_user(session, username)
    if user is None:
        if password is None:
            raise AccountError("A new user needs a password.")
        user = User(username=username, active=1, failed_logins=0)
        session.add(user)
    if password is not None:
        check_new_password(password)
        user.password_hash = hash_password(password)
    user.role = role.value
    user.agency = agency if role is Role.OFFICER else None
    session.commit()
    return user


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable `user`. Commits."""
    user.active = 1 if active else 0
    session.commit()


def unlock(session: Session, user: User) -> None:
    """Lift a lockout and reset the failure count. Commits."""
    user.locked_until = None
    user.failed_logins = 0
    session.commit()


def list_users(session: Session) -> list[User]:
    """Every console user, by username."""
    return list(session.execute(select(User).order_by(User.username)).scalars())
