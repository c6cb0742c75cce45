"""Merging a duplicate report into its original, and undoing a mistaken merge.

The duplicate's reporter and followers become followers of the original (source
"merge"); each is told once, by a `complaint.merged` outbox event of their own (with
its Notification row, so the notifier sends it exactly once). The duplicate closes
with a history note naming the original and no status message of its own. Undoing
(administrators) reopens the duplicate with its previous status and removes the
followers the merge added to the original.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.auth import Principal, Role
from backend.complaints import EVENT_STATUS_CHANGED, _outbox_event
from backend.db import utcnow
from backend.errors import ConflictError, ForbiddenError
from backend.followers import MERGE, follower_chats, lock_report
from backend.lapor.outgoing import queue_followup
from backend.models import Notification, OutboxEvent, Report, ReportFollower, StatusChange
from backend.notifications import disabled_chats, fan_out_to_followers, prepare_event
from backend.workflow import Status, TransitionError, check_merge

EVENT_MERGED: Final = "complaint.merged"
MERGE_NOTE: Final = "Laporan yang sama dengan {original}: digabung ke laporan tersebut."
UNMERGE_NOTE: Final = "Penggabungan dengan {original} dibatalkan: laporan ini ditangani lagi."


@dataclass(frozen=True)
class Recipient:
    """A citizen of the duplicate who is told about the merge."""

    chat_id: str
    name: str | None
    language: str | None


def merge(
    session: Session,
    tracking_id: str,
    original_id: str,
    actor: Principal,
    now: dt.datetime | None = None,
    *,
    commit: bool = True,
) -> Report:
    """Merge report `tracking_id` into `original_id`; return the duplicate. Commits
    unless `commit=False` (the console adds its audit entry to the transaction).

    Raises:
        ForbiddenError: not an officer of both reports' agency or an administrator.
        NotFoundError: either report does not exist.
        ConflictError: the same report, a chain (either side merged already, or the
            duplicate is the original of others), or a final status.
    """
    actor.require(Role.OFFICER, Role.ADMIN)
    now = now or utcnow()
    first, second = sorted([tracking_id, original_id])  # one lock order: no deadlock
    locked = {key: lock_report(session, key) for key in (first, second)}
    duplicate, original = locked[tracking_id], locked[original_id]
    if duplicate.id == original.id:
        raise ConflictError("A report cannot be a duplicate of itself.")
    in_agency = bool(actor.agency) and duplicate.agency == actor.agency == original.agency
    if actor.role is Role.OFFICER and not in_agency:
        raise ForbiddenError("Both reports must belong to your agency to merge them.")
    _check_mergeable(session, duplicate, original)
    recipients = _recipients(session, duplicate)
    _add_merge_followers(session, original, duplicate, recipients, now)
    previous = Status(duplicate.status)
    duplicate.status_before_merge = previous.value
    duplicate.status = Status.CLOSED.value
    duplicate.duplicate_of_id = original.id
    session.expire(duplicate, ["duplicate_of"])  # loaded again from the new id
    session.expire(original, ["followers"])
    duplicate.updated_at = now
    note = MERGE_NOTE.format(original=original.tracking_id)
    duplicate.history.append(
        StatusChange(status=Status.CLOSED.value, note=note, actor=actor.name, at=now)
    )
    _tell_merged(session, duplicate, original, recipients, now)
    if duplicate.lapor_forward is not None:
        queue_followup(session, duplicate, Status.CLOSED, note, now)
    if commit:
        session.commit()
    return duplicate


def _check_mergeable(session: Session, duplicate: Report, original: Report) -> None:
    if duplicate.duplicate_of_id is not None:
        raise ConflictError(f"Report {duplicate.tracking_id} is already merged into another.")
    if original.duplicate_of_id is not None:
        raise ConflictError(
            f"Report {original.tracking_id} is itself a merged duplicate: merge into its "
            "original instead."
        )
    has_duplicates = session.execute(
        select(Report.id).where(Report.duplicate_of_id == duplicate.id).limit(1)
    ).first()
    if has_duplicates is not None:
        raise ConflictError(
            f"Other reports were merged into {duplicate.tracking_id}: it cannot become a "
            "duplicate itself (no chains)."
        )
    try:
        check_merge(Status(duplicate.status), Status(original.status))
    except TransitionError as exc:
        raise ConflictError(str(exc)) from exc


def _recipients(session: Session, duplicate: Report) -> list[Recipient]:
    """The duplicate's reporter (if reachable in a chat) and its followers, once each."""
    found: dict[str, Recipient] = {}
    reporter = duplicate.reporter
    if reporter is not None and reporter.chat_id:
        found[reporter.chat_id] = Recipient(reporter.chat_id, reporter.name, reporter.language)
    for follower in follower_chats(session, [duplicate.id]):
        found.setdefault(
            follower.chat_id, Recipient(follower.chat_id, follower.name, follower.language)
        )
    return list(found.values())


def _add_merge_followers(
    session: Session,
    original: Report,
    duplicate: Report,
    recipients: list[Recipient],
    now: dt.datetime,
) -> None:
    """Make each recipient a follower of the original, unless they are already there."""
    known = {f.chat_id for f in follower_chats(session, [original.id])}
    if original.reporter is not None and original.reporter.chat_id:
        known.add(original.reporter.chat_id)
    added = 0
    for recipient in recipients:
        if recipient.chat_id in known:
            continue
        session.add(
            ReportFollower(
                report_id=original.id,
                chat_id=recipient.chat_id,
                name=recipient.name,
                language=recipient.language,
                source=MERGE,
                merged_from_id=duplicate.id,
                created_at=now,
            )
        )
        added += 1
    original.followers_count = (original.followers_count or 0) + added


def _tell_merged(
    session: Session,
    duplicate: Report,
    original: Report,
    recipients: list[Recipient],
    now: dt.datetime,
) -> None:
    """One `complaint.merged` event and Notification row per recipient."""
    off = disabled_chats(session, [r.chat_id for r in recipients])
    for recipient in recipients:
        event_id = uuid.uuid4().hex
        payload: dict[str, Any] = {
            "event_id": event_id,
            "type": EVENT_MERGED,
            "tracking_id": duplicate.tracking_id,
            "status": duplicate.status,
            "chat_id": recipient.chat_id,
            "language": recipient.language,
            "notifications_enabled": recipient.chat_id not in off,
            "original_tracking_id": original.tracking_id,
            "category": duplicate.category,
            "agency": duplicate.agency,
            "at": now.isoformat(),
        }
        session.add(
            OutboxEvent(
                id=event_id,
                event_type=EVENT_MERGED,
                tracking_id=duplicate.tracking_id,
                payload=payload,
                created_at=now,
                attempts=0,
            )
        )
        duplicate.notifications.append(
            Notification(
                event_id=event_id,
                report_id=duplicate.id,
                event_type=EVENT_MERGED,
                status=duplicate.status,
                channel=recipient.chat_id.partition(":")[0],
                state="queued",
                created_at=now,
                updated_at=now,
            )
        )


def unmerge(
    session: Session,
    tracking_id: str,
    actor: Principal,
    now: dt.datetime | None = None,
    *,
    commit: bool = True,
) -> Report:
    """Undo the merge of duplicate `tracking_id` (administrators); return it. Commits
    unless `commit=False`.

    The duplicate gets its status before the merge back (its reporter and followers
    are told, as of any status change) and the followers the merge added to the
    original are removed.

    Raises:
        ForbiddenError: not an administrator.
        NotFoundError: no such report.
        ConflictError: the report is not a merged duplicate.
    """
    actor.require(Role.ADMIN)
    now = now or utcnow()
    duplicate = lock_report(session, tracking_id)
    if duplicate.duplicate_of_id is None:
        raise ConflictError(f"Report {duplicate.tracking_id} is not merged into another.")
    original: Report = duplicate.duplicate_of
    removed = session.execute(
        delete(ReportFollower).where(
            ReportFollower.report_id == original.id,
            ReportFollower.merged_from_id == duplicate.id,
        )
    ).rowcount
    original.followers_count = max(0, (original.followers_count or 0) - int(removed or 0))
    restored = Status(duplicate.status_before_merge or Status.RECEIVED.value)
    duplicate.status = restored.value
    duplicate.duplicate_of_id = None
    session.expire(duplicate, ["duplicate_of"])
    session.expire(original, ["followers"])
    duplicate.status_before_merge = None
    duplicate.updated_at = now
    note = UNMERGE_NOTE.format(original=original.tracking_id)
    duplicate.history.append(
        StatusChange(status=restored.value, note=note, actor=actor.name, at=now)
    )
    event = _outbox_event(EVENT_STATUS_CHANGED, duplicate, Status.CLOSED, note, now)
    prepare_event(session, event, duplicate)
    session.add(event)
    fan_out_to_followers(session, event, duplicate)
    if duplicate.lapor_forward is not None:
        queue_followup(session, duplicate, restored, note, now)
    if commit:
        session.commit()
    return duplicate


def merged_duplicates(session: Session, original: Report) -> list[Report]:
    """The reports merged into `original`, oldest first."""
    rows = (
        session.execute(
            select(Report).where(Report.duplicate_of_id == original.id).order_by(Report.id)
        )
        .unique()
        .scalars()
    )
    return list(rows)
