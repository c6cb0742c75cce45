"""Keeping personal data no longer than needed (UU 27/2022 on personal data protection).

Two limits, both settings:

- **Conversations** (`CONVERSATION_RETENTION_DAYS`): a conversation (one Rasa session)
  whose last activity is older is removed from Rasa's tracker store (its events, by the
  id range the conversation index knows), from the index, and with the messages of a
  person's takeover of that chat from the same time.
- **Attachments of closed reports** (`ATTACHMENT_RETENTION_DAYS`): the files of a report
  that was resolved, closed, rejected or archived before the limit are deleted from the
  attachment storage, with their rows. The report itself (the public record of the
  complaint and what was done) stays.

`purge` writes one audit entry with what it removed (ids and counts, no personal data);
`python -m backend purge` runs it, and `deploy/systemd/lapor-purge.timer` daily.
Conversations the index has not read yet are not touched: they are younger than any
sensible limit, and the next run takes them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from backend.attachments import AttachmentStore
from backend.console import audit
from backend.console.tracker import EVENTS, has_events_table
from backend.db import utcnow
from backend.models import (
    Attachment,
    Conversation,
    ConversationIntent,
    ConversationReport,
    Report,
    TakeoverMessage,
)

logger = logging.getLogger(__name__)

#: Statuses after which a report's files are no longer needed once the limit passed.
FINISHED = ("resolved", "closed", "rejected", "archived")
#: How the purge appears in the audit log.
ACTOR = audit.Actor(name="retention", role="system")
#: Conversations removed per transaction.
BATCH = 200


@dataclass(frozen=True)
class RetentionPolicy:
    """How long conversations and the files of finished reports are kept."""

    conversation_days: int
    attachment_days: int


@dataclass
class PurgeResult:
    """What one run removed (or, with `dry_run`, would remove)."""

    conversations: list[int] = field(default_factory=list)
    tracker_events: int = 0
    takeover_messages: int = 0
    attachments: list[str] = field(default_factory=list)
    attachment_bytes: int = 0
    reports: set[str] = field(default_factory=set)

    def detail(self, policy: RetentionPolicy, dry_run: bool) -> dict[str, object]:
        """The audit entry's detail."""
        return {
            "dry_run": dry_run,
            "conversation_days": policy.conversation_days,
            "attachment_days": policy.attachment_days,
            "conversations": self.conversations,
            "tracker_events": self.tracker_events,
            "takeover_messages": self.takeover_messages,
            "attachments": self.attachments,
            "attachment_bytes": self.attachment_bytes,
            "reports": sorted(self.reports),
        }

    def line(self) -> str:
        """One printable summary."""
        return (
            f"{len(self.conversations)} conversation(s) ({self.tracker_events} tracker events, "
            f"{self.takeover_messages} takeover messages), {len(self.attachments)} "
            f"attachment(s) of {len(self.reports)} finished report(s), "
            f"{self.attachment_bytes} bytes"
        )


def purge(
    sessions: Callable[[], Session],
    tracker_engine: Engine,
    store: AttachmentStore,
    policy: RetentionPolicy,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Remove what is older than `policy` allows; returns what went (audited)."""
    now = now or utcnow()
    result = PurgeResult()
    _purge_conversations(
        sessions, tracker_engine, now - dt.timedelta(days=policy.conversation_days), result, dry_run
    )
    _purge_attachments(
        sessions, store, now - dt.timedelta(days=policy.attachment_days), result, dry_run
    )
    with sessions() as session:
        audit.record(session, ACTOR, "retention.purge", detail=result.detail(policy, dry_run))
        session.commit()
    logger.info("retention %s: %s", "dry run" if dry_run else "purge", result.line())
    return result


def _purge_conversations(
    sessions: Callable[[], Session],
    tracker_engine: Engine,
    cutoff: dt.datetime,
    result: PurgeResult,
    dry_run: bool,
) -> None:
    events_exist = has_events_table(tracker_engine)
    last_id = -1
    while True:
        with sessions() as session:
            batch = (
                session.execute(
                    select(Conversation)
                    .where(Conversation.last_activity_at < cutoff, Conversation.id > last_id)
                    .order_by(Conversation.id)
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            if not batch:
                return
            last_id = batch[-1].id
            ids = [c.id for c in batch]
            result.conversations.extend(ids)
            with tracker_engine.begin() as tracker:
                for conversation in batch:
                    if events_exist:
                        result.tracker_events += _drop_events(tracker, conversation, dry_run)
            for conversation in batch:
                result.takeover_messages += _drop_takeover_messages(
                    session, conversation.sender_id, cutoff, dry_run
                )
            if not dry_run:
                for model in (ConversationIntent, ConversationReport):
                    session.execute(delete(model).where(model.conversation_id.in_(ids)))
                session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
                session.commit()


def _drop_events(tracker: Connection, conversation: Conversation, dry_run: bool) -> int:
    """The session's events in Rasa's store: its sender, from its first to its last id."""
    where = (
        EVENTS.c.sender_id == conversation.sender_id,
        EVENTS.c.id >= conversation.id,
        EVENTS.c.id <= conversation.last_event_id,
    )
    if dry_run:
        count = tracker.execute(select(func.count()).select_from(EVENTS).where(*where))
        return int(count.scalar_one())
    removed = tracker.execute(delete(EVENTS).where(*where))
    return int(removed.rowcount or 0)


def _drop_takeover_messages(
    session: Session, sender_id: str, cutoff: dt.datetime, dry_run: bool
) -> int:
    where = (TakeoverMessage.conversation_id == sender_id, TakeoverMessage.created_at < cutoff)
    rows = session.execute(select(TakeoverMessage.id).where(*where)).scalars().all()
    if rows and not dry_run:
        session.execute(delete(TakeoverMessage).where(TakeoverMessage.id.in_(rows)))
    return len(rows)


def _purge_attachments(
    sessions: Callable[[], Session],
    store: AttachmentStore,
    cutoff: dt.datetime,
    result: PurgeResult,
    dry_run: bool,
) -> None:
    with sessions() as session:
        rows = session.execute(
            select(Attachment, Report.tracking_id)
            .join(Report, Report.id == Attachment.report_id)
            .where(Report.status.in_(FINISHED), Report.updated_at < cutoff)
            .order_by(Attachment.created_at)
        ).all()
        files = []
        for attachment, tracking_id in rows:
            result.attachments.append(attachment.id)
            result.attachment_bytes += attachment.size
            result.reports.add(tracking_id)
            files.append(store.path_of(attachment.storage_name))
            if not dry_run:
                session.delete(attachment)
        if dry_run:
            return
        session.commit()
    # After the commit: a failed commit leaves rows whose files are all still there.
    for path in files:
        path.unlink(missing_ok=True)
