"""The team's voice: pulse surveys, upward feedback, peer pairings (#25).

Pulse surveys and their anonymous answers (kept apart from the record of who answered),
anonymous feedback on coaching sessions, peer pairings, each user's calendar-feed secret, and
`pairing` as a coaching kind.

Revision ID: 0006
Revises: 0005
Created: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CRM_ID = 64
KINDS = ("one_on_one", "shadowing", "training", "program_check_in")


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _coaching_kinds(*kinds: str) -> None:
    """Let coaching_sessions.kind take exactly `kinds` (SQLite rebuilds the table)."""
    with op.batch_alter_table("coaching_sessions") as batch:
        batch.drop_constraint(op.f("ck_coaching_sessions_coaching_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_coaching_sessions_coaching_kind"),
            sa.column("kind").in_(kinds),
        )


def _user_fk(table: str, column: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def _surveys() -> None:
    op.create_table(
        "pulse_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(CRM_ID), nullable=False),
        sa.Column(
            "template",
            _choice("survey_template", "needs", "workload", "goal_clarity", "coaching", "tools"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _user_fk("pulse_surveys", "created_by", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_surveys")),
    )
    op.create_index(op.f("ix_pulse_surveys_team_id"), "pulse_surveys", ["team_id"])
    op.create_index(op.f("ix_pulse_surveys_created_by"), "pulse_surveys", ["created_by"])
    survey_fk = sa.ForeignKeyConstraint(
        ["survey_id"],
        ["pulse_surveys.id"],
        name=op.f("fk_survey_answers_survey_id_pulse_surveys"),
        ondelete="CASCADE",
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("words", sa.String(200), nullable=False),
        sa.CheckConstraint("score >= 1 AND score <= 5", name=op.f("ck_survey_answers_score_range")),
        survey_fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_survey_answers_survey_id"), "survey_answers", ["survey_id"])
    op.create_table(
        "survey_respondents",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_survey_respondents_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        _user_fk("survey_respondents", "user_id"),
        sa.PrimaryKeyConstraint("survey_id", "user_id", name=op.f("pk_survey_respondents")),
        sqlite_with_rowid=False,
    )


def _feedback() -> None:
    op.create_table(
        "coaching_feedback",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("coach_user_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("word", sa.String(40), nullable=False),
        _user_fk("coaching_feedback", "coach_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_feedback")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_coaching_feedback_coach_user_id"), "coaching_feedback", ["coach_user_id"]
    )
    op.create_table(
        "feedback_given",
        sa.Column("coaching_session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coaching_session_id"],
            ["coaching_sessions.id"],
            name=op.f("fk_feedback_given_coaching_session_id_coaching_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("coaching_session_id", name=op.f("pk_feedback_given")),
    )


def _pairings() -> None:
    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_rep_id", sa.String(CRM_ID), nullable=False),
        sa.Column("peer_rep_id", sa.String(CRM_ID), nullable=False),
        sa.Column("gap_kind", sa.String(16), nullable=False),
        sa.Column("gap", sa.String(200), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column(
            "status", _choice("pairing_status", "proposed", "met", "dropped"), nullable=False
        ),
        sa.Column("coaching_session_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weeks > 0", name=op.f("ck_pairings_positive_weeks")),
        sa.ForeignKeyConstraint(
            ["coaching_session_id"],
            ["coaching_sessions.id"],
            name=op.f("fk_pairings_coaching_session_id_coaching_sessions"),
            ondelete="SET NULL",
        ),
        _user_fk("pairings", "created_by", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
    )
    for column in ("learner_rep_id", "peer_rep_id", "created_by"):
        op.create_index(op.f(f"ix_pairings_{column}"), "pairings", [column])
    op.create_table(
        "calendar_feeds",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("calendar_feeds", "user_id"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )


def upgrade() -> None:
    _coaching_kinds(*KINDS, "pairing")
    _surveys()
    _feedback()
    _pairings()


def downgrade() -> None:
    for table in (
        "calendar_feeds",
        "pairings",
        "feedback_given",
        "coaching_feedback",
        "survey_respondents",
        "survey_answers",
        "pulse_surveys",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM coaching_sessions WHERE kind = 'pairing'")
    _coaching_kinds(*KINDS)
