"""Scheduled delivery: digest schedules, alert preferences, sent messages, the sender lease (#25).

Revision ID: 0005
Revises: 0004
Created: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
