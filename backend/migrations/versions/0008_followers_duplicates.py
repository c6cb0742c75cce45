"""Followers of a report and duplicates merged into another

Revision ID: 0008_followers
Revises: 0007_threads
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

revision = "0008_followers"
down_revision = "0007_threads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
