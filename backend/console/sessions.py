"""Server-side console sessions and their CSRF tokens.

The browser holds a random token in an HttpOnly cookie; the database keeps only its
SHA-256, so a leaked database does not let anyone log in. A session ends after
`idle` without requests or `lifetime` after login, whichever comes first, and at
logout. Every form carries the session's CSRF token (synchroniser token pattern).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.models import ConsoleSession, User

#: Refresh `last_seen_at` at most this often (one write per minute, not per request).
_TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    """How long console sessions last."""

    lifetime: dt.timedelta = dt.timedelta(hours=8)
    idle: dt.timedelta = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class ActiveSession:
    """A valid session and its user."""

    session_id: str
    csrf_token: str
    user: User


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    db: Session,
    user: User,
    policy: SessionPolicy,
    ip: str | None,
    user_agent: str | None,
    now: dt.datetime | None = None,
) -> str:
    """Open a session for `user` and return the cookie token (shown only once). Commits.

    Sessions that can no longer be used are deleted here too, so the table holds only
    live ones even when browsers never come back.
    """
    now = now or utcnow()
    purge_expired(db, policy, now)
    token = secrets.token_urlsafe(32)
    db.add(
        ConsoleSession(
            id=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
            ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    db.commit()
    return token


def load_session(
    db: Session, token: str | None, policy: SessionPolicy, now: dt.datetime | None = None
) -> ActiveSession | None:
    """The live session behind a cookie token, or None (expired, idle, unknown, disabled)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = db.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.id == _digest(token))
    ).one_or_none()
    if row is None:
        db.rollback()
        return None
    stored, user = row
    if stored.expires_at <= now or stored.last_seen_at + policy.idle <= now or not user.active:
        db.delete(stored)
        db.commit()
        return None
    if now - stored.last_seen_at >= _TOUCH_EVERY:
        stored.last_seen_at = now
    # End the transaction either way: on SQLite it holds the write lock, which other
    # work in this request (indexing the conversation log) needs.
    db.commit()
    return ActiveSession(session_id=stored.id, csrf_token=stored.csrf_token, user=user)


def end_session(db: Session, token: str | None) -> None:
    """Log out: forget the session behind `token`. Commits."""
    if token:
        db.execute(delete(ConsoleSession).where(ConsoleSession.id == _digest(token)))
        db.commit()


def end_user_sessions(db: Session, user_id: int) -> None:
    """Log a user out everywhere (disabled account, new password). Commits."""
    db.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    db.commit()


def purge_expired(db: Session, policy: SessionPolicy, now: dt.datetime | None = None) -> int:
    """Delete sessions that can no longer be used; returns how many. Commits."""
    now = now or utcnow()
    result = db.execute(
        delete(ConsoleSession).where(
            (ConsoleSession.expires_at <= now) | (ConsoleSession.last_seen_at <= now - policy.idle)
        )
    )
    db.commit()
    return int(result.rowcount or 0)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
