"""conversation index: conversations of Rasa's tracker store, their intents and reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("started_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("ended_on_fallback", sa.Boolean(), nullable=False),
        sa.Column("form_started", sa.Boolean(), nullable=False),
        sa.Column("last_requested_slot", sa.String(length=100), nullable=True),
        sa.Column("status_checked", sa.Boolean(), nullable=False),
        sa.Column("submission_queued", sa.Boolean(), nullable=False),
        sa.Column("queued_key", sa.String(length=64), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_sender_id", ["sender_id", "id"], unique=False)
        batch_op.create_index(
            "ix_conversations_last_activity_at", ["last_activity_at"], unique=False
        )
        batch_op.create_index("ix_conversations_started_at", ["started_at"], unique=False)
        batch_op.create_index("ix_conversations_channel", ["channel"], unique=False)
        batch_op.create_index("ix_conversations_queued_key", ["queued_key"], unique=False)
    op.create_table(
        "conversation_intents",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id", "intent"),
    )
    with op.batch_alter_table("conversation_intents", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_intents_intent", ["intent"], unique=False)
    op.create_table(
        "conversation_reports",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("tracking_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id", "tracking_id"),
    )
    with op.batch_alter_table("conversation_reports", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_reports_tracking_id", ["tracking_id"], unique=False)
    op.create_table(
        "conversation_sync_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("pending_gaps", sa.JSON(), nullable=False),
        sa.Column("synced_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("conversation_sync_state")
    with op.batch_alter_table("conversation_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_reports_tracking_id")
    op.drop_table("conversation_reports")
    with op.batch_alter_table("conversation_intents", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_intents_intent")
    op.drop_table("conversation_intents")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_queued_key")
        batch_op.drop_index("ix_conversations_channel")
        batch_op.drop_index("ix_conversations_started_at")
        batch_op.drop_index("ix_conversations_last_activity_at")
        batch_op.drop_index("ix_conversations_sender_id")
    op.drop_table("conversations")
