"""Report threads (questions to the reporter, their answers) and chat takeovers

Revision ID: 0007_threads
Revises: 0006_lapor
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0007_threads"
down_revision = "0006_lapor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "waiting_for_reporter", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("reporter_due", sa.Date(), nullable=True))
    op.create_table(
        "thread_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=True),
        sa.Column("chat_id", sa.String(length=100), nullable=True),
        sa.Column("event_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("thread_entries", schema=None) as batch_op:
        batch_op.create_index("ix_thread_entries_report_id", ["report_id"], unique=False)
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_entry_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_attachments_thread_entry_id", ["thread_entry_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_attachments_thread_entry_id", "thread_entries", ["thread_entry_id"], ["id"]
        )
    op.create_table(
        "takeovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("active_key", sa.String(length=255), nullable=True),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("holder_role", sa.String(length=20), nullable=False),
        sa.Column("tracking_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_key"),
    )
    with op.batch_alter_table("takeovers", schema=None) as batch_op:
        batch_op.create_index("ix_takeovers_conversation_id", ["conversation_id"], unique=False)
    op.create_table(
        "takeover_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("takeover_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("author", sa.String(length=10), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=120), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["takeover_id"], ["takeovers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("takeover_messages", schema=None) as batch_op:
        batch_op.create_index("ix_takeover_messages_takeover_id", ["takeover_id"], unique=False)
        batch_op.create_index(
            "ix_takeover_messages_conversation", ["conversation_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("takeover_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_takeover_messages_conversation")
        batch_op.drop_index("ix_takeover_messages_takeover_id")
    op.drop_table("takeover_messages")
    with op.batch_alter_table("takeovers", schema=None) as batch_op:
        batch_op.drop_index("ix_takeovers_conversation_id")
    op.drop_table("takeovers")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_attachments_thread_entry_id", type_="foreignkey")
        batch_op.drop_index("ix_attachments_thread_entry_id")
        batch_op.drop_column("thread_entry_id")
    with op.batch_alter_table("thread_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_entries_report_id")
    op.drop_table("thread_entries")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("reporter_due")
        batch_op.drop_column("waiting_for_reporter")
