"""Followers of a report and duplicates merged into another

Revision ID: 0008_followers
Revises: 0007_threads
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db

revision = "0008_followers"
down_revision = "0007_threads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desa", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_before_merge", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("followers_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_foreign_key(
            "fk_reports_duplicate_of_id", "reports", ["duplicate_of_id"], ["id"]
        )
        batch_op.create_index(
            "ix_reports_nearby", ["category", "latitude", "longitude"], unique=False
        )
        batch_op.create_index("ix_reports_desa", ["category", "desa"], unique=False)
        batch_op.create_index("ix_reports_duplicate_of_id", ["duplicate_of_id"], unique=False)
    op.create_table(
        "report_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("merged_from_id", sa.Integer(), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.ForeignKeyConstraint(["merged_from_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "chat_id", name="uq_report_followers_report_chat"),
    )
    with op.batch_alter_table("report_followers", schema=None) as batch_op:
        batch_op.create_index("ix_report_followers_chat_id", ["chat_id"], unique=False)
        batch_op.create_index(
            "ix_report_followers_merged_from_id", ["merged_from_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_followers", schema=None) as batch_op:
        batch_op.drop_index("ix_report_followers_merged_from_id")
        batch_op.drop_index("ix_report_followers_chat_id")
    op.drop_table("report_followers")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_duplicate_of_id")
        batch_op.drop_index("ix_reports_desa")
        batch_op.drop_index("ix_reports_nearby")
        batch_op.drop_constraint("fk_reports_duplicate_of_id", type_="foreignkey")
        batch_op.drop_column("followers_count")
        batch_op.drop_column("status_before_merge")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("desa")
