"""SP4N-LAPOR! sync: the source of a history entry, and follow-ups to post to LAPOR!

Revision ID: 0006_lapor
Revises: 0005_lapor
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0006_lapor"
down_revision = "0005_lapor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=True))
    op.create_table(
        "lapor_outgoing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("is_secret", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lapor_outgoing", schema=None) as batch_op:
        batch_op.create_index("ix_lapor_outgoing_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_lapor_outgoing_report_id", ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lapor_outgoing", schema=None) as batch_op:
        batch_op.drop_index("ix_lapor_outgoing_report_id")
        batch_op.drop_index("ix_lapor_outgoing_due")
    op.drop_table("lapor_outgoing")
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.drop_column("source")
