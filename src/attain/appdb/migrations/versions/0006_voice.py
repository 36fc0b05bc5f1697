"""The team's voice: pulse surveys, upward feedback, peer pairings (#25).

Revision ID: 0006
Revises: 0005
Created: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
