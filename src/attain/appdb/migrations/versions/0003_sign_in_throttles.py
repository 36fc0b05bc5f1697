"""Sign-in throttling: wrong passwords per account and client address.

Revision ID: 0003
Revises: 0002
Created: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email", "client", name=op.f("pk_sign_in_throttles")),
    )
    op.create_index(
        op.f("ix_sign_in_throttles_next_allowed_at"), "sign_in_throttles", ["next_allowed_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_throttles_next_allowed_at"), table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
