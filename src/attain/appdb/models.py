"""Tables of the app database: what people record in Attain, as SQLAlchemy 2 typed models.

CRM facts (reps, teams, opportunities) stay in the analytic store; rows here refer to them by
their CRM ids (`rep_id`, `team_id`, a stage name or lead id) as plain strings, never by
foreign key, because the two stores live apart. Users are never deleted, only disabled, so
their id stays valid in `created_by` and the audit log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from attain.appdb.kinds import ActionStatus as ActionStatus
from attain.appdb.kinds import CoachingKind as CoachingKind
from attain.appdb.kinds import OverrideKind as OverrideKind
from attain.appdb.kinds import Role as Role
from attain.appdb.kinds import Skill as Skill

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Every constraint gets a predictable name, so migrations can alter it on SQLite (batch
mode rebuilds the table) and on PostgreSQL alike."""

CRM_ID = 64
"""Longest CRM identifier (rep, team, lead, opportunity id) the tables accept."""


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the default of every timestamp column)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL.

    SQLite keeps no zone, so values are stored as naive UTC and given back their zone on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _choice(enum: type[StrEnum], name: str) -> Enum:
    """A string column limited to the enum's values by a CHECK constraint (no native enum
    type, so adding a value later is a one-line batch migration on both databases)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Base of every app-database model; one metadata with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}

    __audited__: ClassVar[bool] = True
    """Whether changes to rows of this table are written to the audit log."""
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset()
    """Columns never copied into the audit log (secrets), and whose changes alone are not
    worth a log entry."""


def _created_by() -> Mapped[int | None]:
    return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)


class User(Base):
    """A person who signs in to Attain; `rep_id` links a rep's account to their CRM rep."""

    __tablename__ = "users"
    __audit_exclude__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_choice(Role, "user_role"))
    rep_id: Mapped[str | None] = mapped_column(String(CRM_ID), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team_memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="TeamMembership.team_id"
    )

    @property
    def team_ids(self) -> list[str]:
        """CRM ids of the teams this user manages, sorted."""
        return [membership.team_id for membership in self.team_memberships]


class TeamMembership(Base):
    """A CRM team that a manager manages (and so may see and coach)."""

    __tablename__ = "team_memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(String(CRM_ID), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="team_memberships")


class ApiToken(Base):
    """A bearer token for scripts; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"
    __audit_exclude__ = frozenset({"token_hash", "last_used_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser; `id` is the SHA-256 of the cookie's random token."""

    __tablename__ = "web_sessions"
    __audited__ = False  # sign-ins would flood the log, and the row is all secrets

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Goal(Base):
    """A rep's goal for a period: reach `target` of `metric` (bookings, calls, win rate…)."""

    __tablename__ = "goals"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(64))
    target: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoachingSession(Base):
    """A coaching session a coach (a user) held with a rep."""

    __tablename__ = "coaching_sessions"
    __table_args__ = (CheckConstraint("duration_minutes > 0", name="positive_duration"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    coach_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[CoachingKind] = mapped_column(_choice(CoachingKind, "coaching_kind"))
    held_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    topics: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionItem(Base):
    """Something someone agreed to do, from a coaching session, a meeting or a finding."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(200))
    """Who does it, as written: a user's name or someone without an account."""
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rep_id: Mapped[str | None] = mapped_column(String(CRM_ID), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        _choice(ActionStatus, "action_status"), default=ActionStatus.OPEN, index=True
    )
    source: Mapped[str] = mapped_column(String(200), default="")
    """Where it came from, e.g. "coaching_session:12", "alignment_meeting:2026-11-03",
    "finding:late_lead_contact:R0003"."""
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Note(Base):
    """A free-text note, about a rep or general."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[str | None] = mapped_column(String(CRM_ID), index=True)
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Override(Base):
    """A person's value in place of a computed one; the live one has no `superseded_at`."""

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_kind_target_id", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OverrideKind] = mapped_column(_choice(OverrideKind, "override_kind"))
    target_id: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None]


class ProductTier(StrEnum):
    """A product's priority tier: what the company wants sold first, and what sells at a loss."""

    PRIORITY = "priority"
    STANDARD = "standard"
    LOSS_LEADER = "loss_leader"


class Program(Base):
    """An intensive coaching program for a rep: a goal, `weeks` weeks from `start_date`, and
    the metrics watched (comma-separated); its check-ins are the rep's coaching sessions of
    kind program_check_in within those weeks."""

    __tablename__ = "programs"
    __table_args__ = (CheckConstraint("weeks > 0", name="positive_weeks"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    goal: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillScore(Base):
    """A manager's score of one rep's skill; the newest per rep and skill is the current one,
    older ones stay as history."""

    __tablename__ = "skill_scores"
    __table_args__ = (
        CheckConstraint("score >= 1 AND score <= 5", name="score_range"),
        Index("ix_skill_scores_rep_id_skill", "rep_id", "skill"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(CRM_ID))
    skill: Mapped[Skill] = mapped_column(_choice(Skill, "skill"))
    score: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = _created_by()


class ProductPriority(Base):
    """A product's priority tier and differentiators as set in Attain, in place of the store's
    `products.priority`."""

    __tablename__ = "product_priorities"

    product_id: Mapped[str] = mapped_column(String(CRM_ID), primary_key=True)
    tier: Mapped[ProductTier] = mapped_column(_choice(ProductTier, "product_tier"))
    differentiators: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[int | None] = _created_by()


class SurveyTemplate(StrEnum):
    """A pulse survey's question set (`attain.workflow.surveys.TEMPLATES` holds the wording)."""

    NEEDS = "needs"
    """What do you need from me?"""
    WORKLOAD = "workload"
    GOAL_CLARITY = "goal_clarity"
    COACHING = "coaching"
    """How useful is the coaching you get?"""
    TOOLS = "tools"


class PairingStatus(StrEnum):
    """Where a peer pairing stands."""

    PROPOSED = "proposed"
    MET = "met"
    """The pair met: their session is recorded as coaching of kind `pairing`."""
    DROPPED = "dropped"


class PulseSurvey(Base):
    """A short survey a manager sent to one team; its answers are kept apart from who gave
    them (`SurveyAnswer`, `SurveyRespondent`)."""

    __tablename__ = "pulse_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    template: Mapped[SurveyTemplate] = mapped_column(_choice(SurveyTemplate, "survey_template"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = _created_by()


class SurveyAnswer(Base):
    """One anonymous answer: a score and a few words, with no respondent, no time and a random
    key, so it cannot be matched to the `SurveyRespondent` row written with it. Not audited:
    the audit log would credit the answer to its author."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("score >= 1 AND score <= 5", name="score_range"),
        {"sqlite_with_rowid": False},
    )
    __audited__ = False

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int] = mapped_column(Integer)
    words: Mapped[str] = mapped_column(String(200), default="")


class SurveyRespondent(Base):
    """Only that a user has answered a survey (so each answers once), never what."""

    __tablename__ = "survey_respondents"
    __table_args__ = ({"sqlite_with_rowid": False},)
    __audited__ = False

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_surveys.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class CoachingFeedback(Base):
    """A rep's anonymous word on a coaching session: useful or not, and one word why. It keeps
    the coach and the session's week, not the session (which would name the rep)."""

    __tablename__ = "coaching_feedback"
    __table_args__ = ({"sqlite_with_rowid": False},)
    __audited__ = False

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    coach_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    week_start: Mapped[date] = mapped_column(Date)
    useful: Mapped[bool] = mapped_column(Boolean)
    word: Mapped[str] = mapped_column(String(40), default="")


class FeedbackGiven(Base):
    """Only that a coaching session has had its feedback (once per session), never which."""

    __tablename__ = "feedback_given"
    __audited__ = False

    coaching_session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True
    )


class Pairing(Base):
    """Two reps paired so one learns from the other where the learner has a gap: a funnel
    stage, a skill or an activity measure (`gap_kind`, `gap`); when they meet, their session
    is recorded as coaching of kind `pairing` (`coaching_session_id`)."""

    __tablename__ = "pairings"
    __table_args__ = (CheckConstraint("weeks > 0", name="positive_weeks"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_rep_id: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    peer_rep_id: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    gap_kind: Mapped[str] = mapped_column(String(16))
    """'stage', 'skill' or 'activity'."""
    gap: Mapped[str] = mapped_column(String(200))
    """The stage name, skill or activity metric where the learner is behind."""
    planned_at: Mapped[datetime]
    """When the pair is to meet (the calendar feed's event)."""
    weeks: Mapped[int] = mapped_column(Integer, default=4)
    """Weeks after the meeting over which the gap's closing is judged."""
    status: Mapped[PairingStatus] = mapped_column(
        _choice(PairingStatus, "pairing_status"), default=PairingStatus.PROPOSED
    )
    coaching_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A user's calendar feed secret: calendar apps fetch /calendar/<token>.ics without signing
    in, so only the SHA-256 of the token is kept; a new token replaces the old one."""

    __tablename__ = "calendar_feeds"
    __audit_exclude__ = frozenset({"token_hash"})

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One change to the app database: who, when, which row, its values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_name_record_id", "table_name", "record_id"),)
    __audited__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    """The row's values before the change, as a JSON object; empty for a new row."""
    after: Mapped[str | None] = mapped_column(Text)
    """The row's values after the change, as a JSON object; empty for a deleted row."""


class SignInThrottle(Base):
    """Wrong passwords for one account from one client address, and when that address may
    next try it (docs/web.md, Security). Kept in the app database, so every worker sees it;
    the row goes on a right password or an admin's `attain users unlock`."""

    __tablename__ = "sign_in_throttles"
    __audited__ = False  # the failures and throttles are logged as events by `auth.sign_in`

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    """As typed (lowercased), also for e-mails no user has, so guessing reveals nothing."""
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The client's IP address (from X-Forwarded-For only behind a trusted proxy)."""
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_allowed_at: Mapped[datetime | None] = mapped_column(index=True)


class LinkPurpose(StrEnum):
    """What a one-time link in an e-mail lets its holder do."""

    INVITATION = "invitation"
    """Set a first password (or sign in with single sign-on) and so activate the account."""
    PASSWORD_RESET = "password_reset"
    """Set a new password without the old one."""


class OneTimeLink(Base):
    """A link sent by e-mail (an invitation or a password reset) that works once, until it
    expires; only the SHA-256 of its random token is kept, like an API token's."""

    __tablename__ = "one_time_links"
    __audit_exclude__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(_choice(LinkPurpose, "link_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = _created_by()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SsoIdentity(Base):
    """An account at an OpenID Connect issuer linked to a user: the issuer's `iss` and the
    stable `sub` it gives that person (never their e-mail, which some issuers let users change)."""

    __tablename__ = "sso_identities"
    __table_args__ = (Index("ix_sso_identities_issuer_subject", "issuer", "subject", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Scheduled delivery's tables (#25) live in their own module on the same metadata; imported
# here, last, so that every use of the models (and Alembic's comparison) knows them, while
# `attain.appdb.kinds` stays importable without SQLAlchemy.
from attain.appdb import delivery as delivery  # noqa: E402
