"""ORM models of the complaint backend.

The reporter is stored apart from the report, so an anonymous report can be shown
without any identity, and status changes are written with an outbox event in the
same transaction (see `backend.services.complaints`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.sql import false

from backend.db import UTCDateTime, utcnow

if TYPE_CHECKING:  # SQLAlchemy 1.4 has no type hints: give mypy a plain base class.

    class Base:
        """Declarative base (typing view)."""

        metadata: Any
        __table__: Any

        def __init__(self, **kwargs: Any) -> None: ...

else:
    Base = declarative_base()


class Reporter(Base):
    """Who filed a report and where to reach them (never shown for anonymous reports)."""

    __tablename__ = "reporters"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=True)
    phone = Column(String(32), nullable=True)
    email = Column(String(254), nullable=True)
    chat_id = Column(String(100), nullable=True, index=True)
    language = Column(String(5), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Report(Base):
    """A complaint, aspiration or information request."""

    __tablename__ = "reports"

    id = Column(Integer, primary_key=True)
    tracking_id = Column(String(32), nullable=False, unique=True)
    report_type = Column(String(20), nullable=False)
    category = Column(String(50), nullable=False)
    agency = Column(String(60), nullable=False)
    description = Column(Text, nullable=False)
    location_text = Column(String(500), nullable=True)
    kecamatan = Column(String(60), nullable=True)
    #: The desa/kelurahan, as the assistant matched it (nearby search without a pin).
    desa = Column(String(100), nullable=True)
    latitude = Column(Float, nullable=True)
    longitude = Column(Float, nullable=True)
    incident_date = Column(Date, nullable=True)
    privacy = Column(String(20), nullable=False)
    channel = Column(String(20), nullable=False)
    status = Column(String(20), nullable=False)
    reporter_id = Column(Integer, ForeignKey("reporters.id"), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
    verify_due = Column(Date, nullable=False)
    followup_due = Column(Date, nullable=True)
    satisfaction_rating = Column(Integer, nullable=True)
    rated_at = Column(UTCDateTime, nullable=True)
    #: An officer asked the reporter something and no answer has come yet (issue 17).
    waiting_for_reporter = Column(Boolean, nullable=False, server_default=false())
    #: The working-day deadline of the open question (closed unanswered after it).
    reporter_due = Column(Date, nullable=True)
    #: The original this report was merged into as a duplicate (`backend.merging`).
    duplicate_of_id = Column(Integer, ForeignKey("reports.id"), nullable=True)
    #: The status it had before the merge closed it (restored by undoing the merge).
    status_before_merge = Column(String(20), nullable=True)
    #: How many citizens follow it (kept with `report_followers`, for the ranking).
    followers_count = Column(Integer, nullable=False, default=0, server_default="0")

    reporter = relationship(Reporter, lazy="joined")
    history = relationship(
        "StatusChange",
        order_by="StatusChange.id",
        lazy="selectin",
        back_populates="report",
    )
    attachments = relationship(
        "Attachment", order_by="Attachment.created_at", lazy="selectin", back_populates="report"
    )
    #: Questions to the reporter, their answers and added information, oldest first.
    thread = relationship(
        "ThreadEntry", order_by="ThreadEntry.id", lazy="selectin", back_populates="report"
    )
    notifications = relationship(
        "Notification", order_by="Notification.created_at", lazy="selectin"
    )
    #: The SP4N-LAPOR! bridge's record of this report (None: never to be forwarded).
    lapor_forward = relationship("LaporForward", uselist=False, lazy="joined", viewonly=True)
    #: The original of a merged duplicate (loaded only for a merged report).
    duplicate_of = relationship("Report", remote_side=[id], lazy="select", viewonly=True)
    followers = relationship(
        "ReportFollower",
        primaryjoin="Report.id == ReportFollower.report_id",
        order_by="ReportFollower.id",
        lazy="select",
        viewonly=True,
    )

    __table_args__ = (
        Index("ix_reports_status", "status"),
        Index("ix_reports_category", "category"),
        Index("ix_reports_agency", "agency"),
        Index("ix_reports_kecamatan", "kecamatan"),
        Index("ix_reports_channel", "channel"),
        Index("ix_reports_created_at", "created_at"),
        # Nearby search (`backend.nearby`): a bounding box on the coordinates, by category.
        Index("ix_reports_nearby", "category", "latitude", "longitude"),
        Index("ix_reports_desa", "category", "desa"),
        Index("ix_reports_duplicate_of_id", "duplicate_of_id"),
    )


class ReportFollower(Base):
    """A citizen who follows a report ("me too", or moved here by a merge)."""

    __tablename__ = "report_followers"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=False)
    chat_id = Column(String(100), nullable=False)
    name = Column(String(200), nullable=True)
    language = Column(String(5), nullable=True)
    #: "follow" (chose this report in the chat) or "merge" (came with a duplicate).
    source = Column(String(10), nullable=False)
    #: The duplicate a "merge" follower came from (undoing the merge removes the row).
    merged_from_id = Column(Integer, ForeignKey("reports.id"), nullable=True, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("report_id", "chat_id", name="uq_report_followers_report_chat"),
        Index("ix_report_followers_chat_id", "chat_id"),
    )


class StatusChange(Base):
    """One entry of a report's status history."""

    __tablename__ = "status_history"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    note = Column(Text, nullable=True)
    actor = Column(String(100), nullable=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    #: Where the entry came from: None (this backend) or "lapor" (SP4N-LAPOR!'s side).
    source = Column(String(20), nullable=True)

    report = relationship(Report, back_populates="history")


class Attachment(Base):
    """An uploaded file (photo, document, audio, video) stored on disk."""

    __tablename__ = "attachments"

    id = Column(String(32), primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=True, index=True)
    filename = Column(String(255), nullable=True)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    storage_name = Column(String(100), nullable=False)
    uploaded_by = Column(String(100), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    #: The thread entry (a citizen's answer) this file came with, if any.
    thread_entry_id = Column(Integer, ForeignKey("thread_entries.id"), nullable=True, index=True)

    report = relationship(Report, back_populates="attachments")
    thread_entry = relationship("ThreadEntry", back_populates="attachments")


class ThreadEntry(Base):
    """One message of a report's thread: an officer's question, the citizen's answer or info.

    `chat_id` (citizen entries) is never shown to officers of an anonymous report.
    `read_at` is when an officer first saw a citizen entry (None: unread).
    """

    __tablename__ = "thread_entries"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=False, index=True)
    author = Column(String(10), nullable=False)
    kind = Column(String(12), nullable=False)
    text = Column(Text, nullable=False)
    officer = Column(String(100), nullable=True)
    chat_id = Column(String(100), nullable=True)
    #: The outbox event that carries a question to the citizen (its Notification).
    event_id = Column(String(32), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = Column(UTCDateTime, nullable=True)

    report = relationship(Report, back_populates="thread")
    attachments = relationship(
        Attachment, order_by="Attachment.created_at", lazy="selectin", back_populates="thread_entry"
    )


class IdempotencyKey(Base):
    """Remembers which report a client's `Idempotency-Key` created."""

    __tablename__ = "idempotency_keys"

    key = Column(String(255), primary_key=True)
    request_hash = Column(String(64), nullable=False)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    report = relationship(Report)


class OutboxEvent(Base):
    """An event written in the same transaction as the change it describes."""

    __tablename__ = "outbox_events"

    id = Column(String(32), primary_key=True)
    event_type = Column(String(60), nullable=False)
    tracking_id = Column(String(32), nullable=False, index=True)
    payload = Column(JSON, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    published_at = Column(UTCDateTime, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)

    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "created_at"),)


class TrackingCounter(Base):
    """The last sequence number used for a tracking-ID prefix and year."""

    __tablename__ = "tracking_counters"

    prefix = Column(String(10), primary_key=True)
    year = Column(Integer, primary_key=True)
    last_value = Column(Integer, nullable=False)


class User(Base):
    """A console user: an administrator or an agency officer."""

    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    username = Column(String(100), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(20), nullable=False)
    agency = Column(String(60), nullable=True)
    active = Column(Integer, nullable=False, default=1)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime, nullable=True)
    last_login_at = Column(UTCDateTime, nullable=True)


class ConsoleSession(Base):
    """A logged-in console browser; the cookie holds a token whose hash is the id."""

    __tablename__ = "console_sessions"

    id = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)
    ip = Column(String(64), nullable=True)
    user_agent = Column(String(200), nullable=True)


class AuditEntry(Base):
    """Who saw personal data or changed something in the console, and when."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(100), nullable=False)
    role = Column(String(20), nullable=False)
    action = Column(String(40), nullable=False, index=True)
    target_type = Column(String(30), nullable=True)
    target_id = Column(String(255), nullable=True)
    detail = Column(Text, nullable=True)
    ip = Column(String(64), nullable=True)


class Notification(Base):
    """One status update to a citizen and how its delivery went (queued ... read, failed)."""

    __tablename__ = "notifications"

    event_id = Column(String(32), primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=False, index=True)
    event_type = Column(String(60), nullable=False)
    status = Column(String(20), nullable=False)
    channel = Column(String(20), nullable=False)
    state = Column(String(16), nullable=False)
    message_id = Column(String(120), nullable=True)
    reason = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


class NotificationPreference(Base):
    """A chat that turned status updates off (or back on)."""

    __tablename__ = "notification_preferences"

    chat_id = Column(String(100), primary_key=True)
    enabled = Column(Boolean, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Conversation(Base):
    """One Rasa session of one sender, summarised from the tracker store for the console.

    The id is the id of the session's first event in Rasa's `events` table, so it stays
    the same when the index is rebuilt. Kept up to date by `backend.console.indexer`.
    """

    __tablename__ = "conversations"

    id = Column(Integer, primary_key=True, autoincrement=False)
    sender_id = Column(String(255), nullable=False)
    channel = Column(String(20), nullable=False)
    display_name = Column(String(200), nullable=True)
    started_at = Column(UTCDateTime, nullable=False)
    last_activity_at = Column(UTCDateTime, nullable=False)
    last_event_id = Column(Integer, nullable=False)
    event_count = Column(Integer, nullable=False)
    user_messages = Column(Integer, nullable=False)
    fallbacks = Column(Integer, nullable=False)
    ended_on_fallback = Column(Boolean, nullable=False)
    form_started = Column(Boolean, nullable=False)
    last_requested_slot = Column(String(100), nullable=True)
    status_checked = Column(Boolean, nullable=False)
    submission_queued = Column(Boolean, nullable=False)
    queued_key = Column(String(64), nullable=True)
    search_text = Column(Text, nullable=False)

    __table_args__ = (
        Index("ix_conversations_sender_id", "sender_id", "id"),
        Index("ix_conversations_last_activity_at", "last_activity_at"),
        Index("ix_conversations_started_at", "started_at"),
        Index("ix_conversations_channel", "channel"),
        Index("ix_conversations_queued_key", "queued_key"),
    )


class ConversationIntent(Base):
    """An intent the citizen's messages had in a conversation (for the intent filter)."""

    __tablename__ = "conversation_intents"

    conversation_id = Column(Integer, ForeignKey("conversations.id"), primary_key=True)
    intent = Column(String(255), primary_key=True)

    __table_args__ = (Index("ix_conversation_intents_intent", "intent"),)


class ConversationReport(Base):
    """A report filed in a conversation, by its tracking ID."""

    __tablename__ = "conversation_reports"

    conversation_id = Column(Integer, ForeignKey("conversations.id"), primary_key=True)
    tracking_id = Column(String(32), primary_key=True)

    __table_args__ = (Index("ix_conversation_reports_tracking_id", "tracking_id"),)


class ConversationSyncState(Base):
    """How far the conversation index has read Rasa's `events` table.

    `pending_gaps` lists event ids skipped while their transaction may still commit
    (PostgreSQL commits ids out of order), as `[id, first_seen_epoch_seconds]`.
    """

    __tablename__ = "conversation_sync_state"

    name = Column(String(40), primary_key=True)
    last_event_id = Column(Integer, nullable=False)
    pending_gaps = Column(JSON, nullable=False)
    synced_at = Column(UTCDateTime, nullable=True)


class LaporForward(Base):
    """Where a report stands with SP4N-LAPOR! (`backend.lapor`, docs/lapor_bridge.md).

    Written `pending` in the same transaction as the report when the bridge is on.
    `sending` is recorded (and committed) just before the create call; a row found in
    `sending` by a later worker was interrupted mid-call and is parked in `review`.
    """

    __tablename__ = "lapor_forwards"

    report_id = Column(Integer, ForeignKey("reports.id"), primary_key=True, autoincrement=False)
    state = Column(String(16), nullable=False)
    complaint_id = Column(String(64), nullable=True, unique=True)
    #: LAPOR! ids of the attachments already uploaded (kept across retries).
    uploaded = Column(JSON, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=True)
    sending_since = Column(UTCDateTime, nullable=True)
    last_sync_at = Column(UTCDateTime, nullable=True)
    error = Column(Text, nullable=True)
    #: Sync back: LAPOR!'s last status name, follow-ups already brought back, next poll.
    lapor_status = Column(String(40), nullable=True)
    followups_seen = Column(Integer, nullable=False, default=0)
    next_poll_at = Column(UTCDateTime, nullable=True)
    conflict = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_lapor_forwards_due", "state", "next_attempt_at"),
        Index("ix_lapor_forwards_poll", "next_poll_at"),
    )


class LaporOutgoing(Base):
    """An officer's status change or note, to be posted to LAPOR! as a follow-up.

    Written in the transaction of the change (`backend.complaints.change_status`);
    sent once the report has its LAPOR! complaint id (`backend.lapor.outgoing`).
    """

    __tablename__ = "lapor_outgoing"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id"), nullable=False, index=True)
    content = Column(Text, nullable=False)
    is_secret = Column(Boolean, nullable=False, default=False)
    state = Column(String(16), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=True)
    error = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_lapor_outgoing_due", "state", "next_attempt_at"),)


class Takeover(Base):
    """A person answering a chat instead of the bot (`backend.takeovers`).

    `active_key` is the conversation id while the takeover is active and NULL once
    released: a unique column, so one chat has at most one active takeover.
    """

    __tablename__ = "takeovers"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    active_key = Column(String(255), nullable=True, unique=True)
    holder = Column(String(100), nullable=False)
    holder_role = Column(String(20), nullable=False)
    tracking_id = Column(String(32), nullable=False, default="")
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_activity_at = Column(UTCDateTime, nullable=False, default=utcnow)
    released_at = Column(UTCDateTime, nullable=True)
    release_reason = Column(String(20), nullable=True)


class TakeoverMessage(Base):
    """A message of a takeover: an officer's (with its delivery state) or the citizen's."""

    __tablename__ = "takeover_messages"

    id = Column(Integer, primary_key=True)
    takeover_id = Column(Integer, ForeignKey("takeovers.id"), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False)
    author = Column(String(10), nullable=False)
    officer = Column(String(100), nullable=True)
    text = Column(Text, nullable=False)
    attachments = Column(JSON, nullable=False, default=list)
    event_id = Column(String(32), nullable=True, unique=True)
    state = Column(String(16), nullable=False)
    reason = Column(Text, nullable=True)
    message_id = Column(String(120), nullable=True)
    channel = Column(String(20), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_takeover_messages_conversation", "conversation_id", "id"),)
