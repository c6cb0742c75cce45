"""The audit log: every view of personal data and every change made in the console."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.models import AuditEntry

# What was done (the `action` column).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
VIEW_PERSONAL_DATA = "view_personal_data"
VIEW_CONVERSATION = "view_conversation"
EXPORT_CONVERSATIONS = "export_conversations"
STATUS_CHANGE = "status_change"
USER_SAVED = "user_saved"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
USER_UNLOCKED = "user_unlocked"
LAPOR_RESOLVE = "lapor_resolve"
THREAD_QUESTION = "thread_question"
THREAD_READ = "thread_read"
TAKEOVER = "takeover"
TAKEOVER_MESSAGE = "takeover_message"
TAKEOVER_RELEASE = "takeover_release"
MERGE = "merge"
UNMERGE = "unmerge"

ACTIONS = (
    MERGE,
    UNMERGE,
    LOGIN,
    LOGIN_FAILED,
    LOGOUT,
    VIEW_PERSONAL_DATA,
    VIEW_CONVERSATION,
    EXPORT_CONVERSATIONS,
    STATUS_CHANGE,
    USER_SAVED,
    USER_DISABLED,
    USER_ENABLED,
    USER_UNLOCKED,
    LAPOR_RESOLVE,
    THREAD_QUESTION,
    THREAD_READ,
    TAKEOVER,
    TAKEOVER_MESSAGE,
    TAKEOVER_RELEASE,
)


@dataclass(frozen=True)
class Actor:
    """Who did it, from where."""

    name: str
    role: str
    ip: str | None = None


def record(
    db: Session,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Add an entry to the audit log (the caller commits, with the change it records)."""
    db.add(
        AuditEntry(
            at=now or utcnow(),
            actor=actor.name[:100],
            role=actor.role,
            action=action,
            target_type=target_type,
            target_id=(target_id or "")[:255] or None,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
            ip=(actor.ip or "")[:64] or None,
        )
    )


def entries(
    db: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """One page of audit entries, newest first, and the total matching."""
    conditions = []
    if actor:
        conditions.append(AuditEntry.actor == actor)
    if action:
        conditions.append(AuditEntry.action == action)
    if target_id:
        conditions.append(AuditEntry.target_id == target_id)
    total = db.execute(select(func.count(AuditEntry.id)).where(*conditions)).scalar_one()
    rows = db.execute(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(total)
