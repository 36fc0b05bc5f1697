"""`attain users` and `attain appdb` on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from attain.appdb.database import current_revision, make_engine, session_scope
from attain.appdb.users import user_for_token, verify_password
from attain.cli.main import app
from attain.errors import InputError

runner = CliRunner()
PASSWORD = "correct horse battery"


def attain(url: str, *args: str, input: str | None = None) -> Result:
    return runner.invoke(app, [*args, "--app-db", url], input=input, terminal_width=200)


def signs_in(url: str, email: str, password: str = PASSWORD) -> bool:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return verify_password(session, email, password) is not None
    finally:
        engine.dispose()


def test_every_command_has_help() -> None:
    for group in ("users", "appdb"):
        result = runner.invoke(app, [group, "--help"])
        assert result.exit_code == 0 and "Commands" in result.output, group
    commands = [["users", c] for c in ("add", "list", "disable", "token")]
    for command in [*commands, ["appdb", "upgrade"], ["appdb", "downgrade"]]:
        result = runner.invoke(app, [*command, "--help"], terminal_width=200)
        assert result.exit_code == 0, command
        assert "--app-db" in result.output and "$ATTAIN_APP_DB" in result.output, command


def test_add_a_manager_then_list_shows_them(engine_url: str) -> None:
    added = attain(
        engine_url,
        *("users", "add", "ana@example.com", "--name", "Ana Ruiz", "--role", "manager"),
        *("--team", "T2", "--team", "T1", "--password-stdin"),
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output == "Added manager ana@example.com (Ana Ruiz, managing T1, T2).\n"
    assert signs_in(engine_url, "ana@example.com")

    listed = attain(engine_url, "users", "list")
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if "ana@example.com" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")][:6] == [
        "ana@example.com",
        "Ana Ruiz",
        "manager",
        "",
        "T1, T2",
        "yes",
    ]


def test_the_password_is_asked_twice_until_both_match(engine_url: str) -> None:
    result = attain(
        engine_url,
        *("users", "add", "rep@example.com", "--name", "Rep", "--role", "rep", "--rep-id", "R1"),
        input=f"{PASSWORD}\ntypo\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert PASSWORD not in result.output
    assert signs_in(engine_url, "rep@example.com")


def test_a_rep_without_rep_id_is_refused_before_the_password_is_asked(engine_url: str) -> None:
    result = attain(engine_url, "users", "add", "rep@example.com", "--name", "Rep", "--role", "rep")
    assert isinstance(result.exception, InputError)
    assert "a rep needs a rep id" in str(result.exception)
    assert "Password" not in result.output


def test_an_unknown_role_is_refused_by_the_option(engine_url: str) -> None:
    result = attain(engine_url, "users", "add", "x@example.com", "--name", "X", "--role", "boss")
    assert result.exit_code == 2
    assert "admin" in result.output and "marketing" in result.output


def test_a_disabled_user_cannot_sign_in(engine_url: str) -> None:
    attain(
        engine_url,
        *("users", "add", "ex@example.com", "--name", "Ex", "--role", "admin", "--password-stdin"),
        input=PASSWORD,
    )
    disabled = attain(engine_url, "users", "disable", "ex@example.com")
    assert disabled.exit_code == 0, disabled.output
    assert "Disabled ex@example.com" in disabled.output
    assert not signs_in(engine_url, "ex@example.com")
    assert "│ no " in attain(engine_url, "users", "list").output


def test_a_token_secret_is_printed_once_and_works(engine_url: str) -> None:
    attain(
        engine_url,
        *("users", "add", "ci@example.com", "--name", "CI", "--role", "admin", "--password-stdin"),
        input=PASSWORD,
    )
    result = attain(engine_url, "users", "token", "ci@example.com", "--name", "nightly export")
    assert result.exit_code == 0, result.output
    notice, secret = result.output.strip().splitlines()
    assert "'nightly export'" in notice and "not shown again" in notice
    engine = make_engine(engine_url)
    try:
        with session_scope(engine) as session:
            user = user_for_token(session, secret)
            assert user is not None and user.email == "ci@example.com"
    finally:
        engine.dispose()
    assert secret not in attain(engine_url, "users", "list").output


def test_a_token_for_an_unknown_user_names_them(engine_url: str) -> None:
    result = attain(engine_url, "users", "token", "ghost@example.com", "--name", "x")
    assert isinstance(result.exception, InputError)
    assert "no user with e-mail ghost@example.com" in str(result.exception)


def test_the_first_command_creates_the_schema(engine_url: str) -> None:
    assert current_revision(engine_url) is None
    result = attain(engine_url, "users", "list")
    assert result.exit_code == 0, result.output
    assert result.output == "No users yet: add one with `attain users add`.\n"
    assert current_revision(engine_url) == "0003"


def test_appdb_upgrade_and_downgrade(engine_url: str) -> None:
    up = attain(engine_url, "appdb", "upgrade")
    assert up.exit_code == 0, up.output
    assert "is at revision 0003 (the newest)." in up.output
    assert attain(engine_url, "appdb", "upgrade").output == up.output
    down = attain(engine_url, "appdb", "downgrade", "base")
    assert down.exit_code == 0, down.output
    assert "has no tables (revision base)." in down.output
    assert current_revision(engine_url) is None


def test_attain_app_db_is_used_without_the_option(
    engine_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTAIN_APP_DB", engine_url)
    result = runner.invoke(app, ["appdb", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(engine_url) == "0003"
