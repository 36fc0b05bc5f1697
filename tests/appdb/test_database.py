"""Finding the app database, connecting to it, and sessions that commit or roll back."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from attain.appdb.database import app_db_url, display_url, session_scope, upgrade
from attain.appdb.models import ActionItem
from attain.config import Settings, load_settings
from attain.errors import ConfigError, StoreError
from tests.support.appdb import PostgresUnavailable, start_postgres


def test_the_default_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATTAIN_APP_DB", raising=False)
    assert app_db_url(load_settings()) == "sqlite:///attain-app.db"


def test_attain_app_db_points_at_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ATTAIN_APP_DB", "postgresql+psycopg://attain@db.internal/attain")
    assert app_db_url(load_settings()) == "postgresql+psycopg://attain@db.internal/attain"


def test_an_option_beats_the_setting_and_short_forms_are_completed() -> None:
    settings = Settings(app_db="sqlite:///ignored.db")
    assert app_db_url(settings, "team/app.db") == "sqlite:///team/app.db"
    assert app_db_url(settings, "postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert app_db_url(settings, "postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_malformed_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="is not a database URL"):
        app_db_url(Settings(), "postgresql+psycopg://u@h:port/db")


def test_passwords_are_masked_in_messages() -> None:
    assert display_url("postgresql+psycopg://u:s3cret@h/db") == "postgresql+psycopg://u:***@h/db"


def test_an_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'app.db'}"
    with pytest.raises(StoreError, match=r"cannot open the app database sqlite:///.*ATTAIN_APP_DB"):
        upgrade(url)


def test_an_unknown_revision_is_a_config_error(engine_url: str) -> None:
    with pytest.raises(ConfigError, match="9999"):
        upgrade(engine_url, "9999")


def test_a_session_commits_at_the_end_and_rolls_back_on_error(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(ActionItem(title="Kept", owner="Ana"))
    with pytest.raises(KeyError), session_scope(engine) as session:
        session.add(ActionItem(title="Dropped", owner="Ana"))
        session.flush()
        raise KeyError("boom")
    with session_scope(engine) as session:
        assert session.scalars(select(ActionItem.title)).all() == ["Kept"]


def test_a_failing_postgres_script_fails_with_its_message(tmp_path: Path) -> None:
    script = tmp_path / "postgres.sh"
    script.write_text("echo 'postgres.sh: apt-get update failed' >&2\nexit 1\n")
    with pytest.raises(PostgresUnavailable, match=r"failed \(exit 1\): .*apt-get update failed"):
        start_postgres(script)


@pytest.mark.postgres
def test_the_postgres_script_is_idempotent_and_stops(postgres_server: str) -> None:
    """A second start finds the running server; stop removes it (on a folder of its own, in
    /tmp because pytest's own temporary folders are private to the user running the tests)."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
    folder = Path(f"/tmp/attain-postgres-test-{secrets.token_hex(4)}")
    environment = {**os.environ, "ATTAIN_PG_DIR": str(folder)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(script), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    try:
        first = run()
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("postgresql+psycopg://attain@127.0.0.1:")
        assert first.stdout.strip().endswith("/attain_test")
        assert run().stdout == first.stdout
        assert run("status").stdout == first.stdout
    finally:
        assert run("stop").returncode == 0
    assert run("status").returncode == 3
    assert not folder.exists()
