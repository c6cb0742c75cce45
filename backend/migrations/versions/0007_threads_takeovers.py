"""Report threads (questions to the reporter, their answers) and chat takeovers

Revision ID: 0007_threads
Revises: 0006_lapor
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

revision = "0007_threads"
down_revision = "0006_lapor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
