"""The packaged migrations build exactly the models' schema, and undo it, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from attain.appdb.database import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    session_scope,
    upgrade,
)
from attain.appdb.models import Base, User

APP_TABLES = {
    "users",
    "team_memberships",
    "api_tokens",
    "web_sessions",
    "goals",
    "coaching_sessions",
    "action_items",
    "notes",
    "overrides",
    "audit_log",
    "programs",
    "skill_scores",
    "product_priorities",
    "sign_in_throttles",
    # accounts that manage themselves (0004)
    "one_time_links",
    "sso_identities",
    # The team's voice (0006)
    "pulse_surveys",
    "survey_answers",
    "survey_respondents",
    "coaching_feedback",
    "feedback_given",
    "pairings",
    "calendar_feeds",
    # scheduled delivery (0005)
    "digest_schedules",
    "alert_subscriptions",
    "deliveries",
    "sender_leases",
    "alert_snapshots",
    "signing_keys",
}


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_models_define_the_tables_the_migrations_create() -> None:
    assert set(Base.metadata.tables) == APP_TABLES


def test_upgrade_from_empty_then_downgrade_to_base_and_upgrade_again(engine_url: str) -> None:
    assert current_revision(engine_url) is None
    assert tables(engine_url) == set()

    upgrade(engine_url)
    assert tables(engine_url) == APP_TABLES
    assert current_revision(engine_url) == head_revision() == "0006"

    downgrade(engine_url, "base")
    assert tables(engine_url) == set()
    assert current_revision(engine_url) is None

    upgrade(engine_url)
    assert tables(engine_url) == APP_TABLES
    assert current_revision(engine_url) == head_revision()


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with session_scope(engine) as session:
        session.add(User(email="a@example.com", name="A", password_hash="x", role="admin"))
    upgrade(url)
    with session_scope(engine) as session:
        assert session.scalars(select(User.email)).all() == ["a@example.com"]


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                "VALUES (999, 'orphan', 'h', CURRENT_TIMESTAMP)"
            )
        )


def test_a_role_outside_the_list_is_refused_by_the_database(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, name, password_hash, role, is_active, created_at) "
                "VALUES ('b@example.com', 'B', 'x', 'boss', TRUE, CURRENT_TIMESTAMP)"
            )
        )


def test_timestamps_come_back_in_utc_whatever_zone_they_were_written_in(engine: Engine) -> None:
    paris_noon = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(engine) as session:
        session.add(
            User(
                email="c@example.com",
                name="C",
                password_hash="x",
                role="rep",
                rep_id="R1",
                created_at=paris_noon,
            )
        )
    with session_scope(engine) as session:
        stored = session.scalars(select(User.created_at)).one()
    assert stored == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_a_timestamp_without_zone_is_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="no time zone"), session_scope(engine) as session:
        session.add(
            User(
                email="d@example.com",
                name="D",
                password_hash="x",
                role="admin",
                created_at=datetime(2026, 3, 2, 12, 0),
            )
        )
        session.flush()


def test_sqlite_files_use_write_ahead_logging(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
