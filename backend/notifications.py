"""Status updates to citizens, seen from the backend.

The notifier (in the gateway) reads the outbox, tells the citizen and reports back how
each notification went; officers see that with the report. Citizens can turn updates
off for their chat (their feedback on a resolution is in `backend.feedback`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.errors import NotFoundError
from backend.models import (
    Notification,
    NotificationPreference,
    OutboxEvent,
    Report,
    ReportFollower,
)
from backend.tracking import normalise_tracking_id

#: Events the citizen is told about.
NOTIFIED_EVENTS = frozenset({"complaint.status_changed", "complaint.receipt"})
#: How the reporter appears in a report's history when they change its status.
REPORTER_ACTOR = "pelapor"
#: Delivery states, in the order they can follow one another.
STATE_ORDER = {"queued": 0, "skipped": 1, "failed": 1, "sent": 2, "delivered": 3, "read": 4}


def notifications_enabled(session: Session, chat_id: str | None) -> bool:
    """Whether the chat still wants status updates (on unless turned off)."""
    if not chat_id:
        return False
    preference = session.get(NotificationPreference, chat_id)
    return preference is None or bool(preference.enabled)


def prepare_event(
    session: Session, event: OutboxEvent, report: Report, notify_citizen: bool = True
) -> None:
    """Complete a new outbox event: the chat's preference, and a `queued` notification.

    Runs in the transaction that writes the event. A change the reporter made
    themselves (reopening, confirming) is recorded as `skipped`: they know already.
    """
    if event.event_type not in NOTIFIED_EVENTS:
        return
    chat_id = report.reporter.chat_id if report.reporter else None
    by_reporter = not notify_citizen
    enabled = notifications_enabled(session, chat_id) and not by_reporter
    event.payload = {**event.payload, "notifications_enabled": enabled}
    if chat_id:
        report.notifications.append(
            Notification(
                event_id=event.id,
                report_id=report.id,
                event_type=event.event_type,
                status=report.status,
                channel=chat_id.partition(":")[0],
                state="skipped" if by_reporter else "queued",
                reason="the reporter's own action" if by_reporter else None,
                created_at=event.created_at,
                updated_at=event.created_at,
            )
        )


#: Events that reach a report's followers too (a question goes to the reporter alone).
FOLLOWER_EVENTS = frozenset({"complaint.status_changed"})


def disabled_chats(session: Session, chat_ids: list[str]) -> set[str]:
    """Those of `chat_ids` that turned status updates off (one query)."""
    if not chat_ids:
        return set()
    rows = session.execute(
        select(NotificationPreference.chat_id).where(
            NotificationPreference.chat_id.in_(chat_ids),
            NotificationPreference.enabled.is_(False),
        )
    ).scalars()
    return set(rows)


def fan_out_to_followers(session: Session, event: OutboxEvent, report: Report) -> None:
    """Copy a status event to each follower of `report`, in the caller's transaction.

    Each follower gets an outbox event of their own (its own `event_id` and `chat_id`,
    their language, their opt-out) and a `queued`
    Notification row, as the reporter's, so the notifier's exactly-once per event covers
    the fan-out.
    """
    if event.event_type not in FOLLOWER_EVENTS:
        return
    followers = session.execute(
        select(ReportFollower.chat_id, ReportFollower.language)
        .where(ReportFollower.report_id == report.id)
        .order_by(ReportFollower.id)
    ).all()
    off = disabled_chats(session, [f.chat_id for f in followers])
    for follower in followers:
        event_id = uuid.uuid4().hex
        enabled = follower.chat_id not in off
        payload = {
            **event.payload,
            "event_id": event_id,
            "chat_id": follower.chat_id,
            "language": follower.language or event.payload.get("language"),
            "notifications_enabled": enabled,
            "follower": True,
        }
        session.add(
            OutboxEvent(
                id=event_id,
                event_type=event.event_type,
                tracking_id=event.tracking_id,
                payload=payload,
                created_at=event.created_at,
                attempts=0,
            )
        )
        report.notifications.append(
            Notification(
                event_id=event_id,
                report_id=report.id,
                event_type=event.event_type,
                status=report.status,
                channel=follower.chat_id.partition(":")[0],
                state="queued",  # the notifier records `skipped` for a chat opted out
                reason=None,
                created_at=event.created_at,
                updated_at=event.created_at,
            )
        )


def set_preference(session: Session, chat_id: str, enabled: bool) -> None:
    """Turn status updates for `chat_id` on or off."""
    preference = session.get(NotificationPreference, chat_id)
    if preference is None:
        session.add(NotificationPreference(chat_id=chat_id, enabled=enabled, updated_at=utcnow()))
    else:
        preference.enabled = enabled
        preference.updated_at = utcnow()
    session.commit()


@dataclass(frozen=True)
class DeliveryUpdate:
    """What the notifier says about one notification."""

    channel: str
    state: str
    message_id: str | None = None
    reason: str | None = None


def record_delivery(
    session: Session, tracking_id: str, event_id: str, delivery: DeliveryUpdate
) -> Notification:
    """Store a notification's delivery state; a late, lesser state never overwrites.

    Raises:
        NotFoundError: no such notification for this report.
    """
    canonical = normalise_tracking_id(tracking_id) or tracking_id
    notification: Notification | None = session.execute(
        select(Notification)
        .join(Report, Report.id == Notification.report_id)
        .where(Notification.event_id == event_id, Report.tracking_id == canonical)
        .with_for_update(of=Notification)
    ).scalar_one_or_none()
    if notification is None:
        raise NotFoundError(f"No notification {event_id!r} for report {tracking_id!r}.")
    if STATE_ORDER[delivery.state] >= STATE_ORDER.get(notification.state, 0):
        notification.state = delivery.state
        notification.channel = delivery.channel or notification.channel
        notification.message_id = delivery.message_id or notification.message_id
        notification.reason = delivery.reason
        notification.updated_at = utcnow()
    session.commit()
    return notification


def pending_events(session: Session, limit: int) -> list[dict[str, Any]]:
    """The oldest outbox events not yet handed on (the embedded default transport)."""
    rows = session.execute(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
        .limit(limit)
    ).scalars()
    return [dict(row.payload) for row in rows]


def acknowledge_event(session: Session, event_id: str) -> None:
    """Mark an outbox event handed on.

    Raises:
        NotFoundError: no such event.
    """
    result = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(published_at=utcnow(), attempts=OutboxEvent.attempts + 1)
    )
    if not result.rowcount:
        session.rollback()
        raise NotFoundError(f"No event {event_id!r}.")
    session.commit()
