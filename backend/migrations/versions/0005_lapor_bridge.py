"""SP4N-LAPOR! bridge: one row per report to forward, with its state and sync position

Revision ID: 0005_lapor
Revises: 0004
Create Date: 2026-12-07 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0005_lapor"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lapor_forwards",
        sa.Column("report_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("complaint_id", sa.String(length=64), nullable=True),
        sa.Column("uploaded", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sending_since", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lapor_status", sa.String(length=40), nullable=True),
        sa.Column("followups_seen", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("conflict", sa.Text(), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("report_id"),
        sa.UniqueConstraint("complaint_id"),
    )
    with op.batch_alter_table("lapor_forwards", schema=None) as batch_op:
        batch_op.create_index("ix_lapor_forwards_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_lapor_forwards_poll", ["next_poll_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lapor_forwards", schema=None) as batch_op:
        batch_op.drop_index("ix_lapor_forwards_poll")
        batch_op.drop_index("ix_lapor_forwards_due")
    op.drop_table("lapor_forwards")
