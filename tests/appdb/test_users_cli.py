"""`attain users` and `attain appdb` on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner, Result

from attain.access import Forbidden
from attain.appdb.accounts import accept_invitation
from attain.appdb.database import current_revision, head_revision, make_engine, session_scope
from attain.appdb.users import user_for_token, verify_password
from attain.cli.main import app
from attain.errors import InputError
from tests.support.smtp import smtp_server, text_part

runner = CliRunner()
PASSWORD = "correct horse battery"


def attain(url: str, *args: str, input: str | None = None) -> Result:
    return runner.invoke(app, [*args, "--app-db", url], input=input, env={"COLUMNS": "200"})


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
    commands = [
        ["users", c]
        for c in ("add", "list", "disable", "token", "invite", "enable", "tokens", "revoke")
    ]
    for command in [*commands, ["appdb", "upgrade"], ["appdb", "downgrade"]]:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
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
    assert current_revision(engine_url) == head_revision()


def test_appdb_upgrade_and_downgrade(engine_url: str) -> None:
    up = attain(engine_url, "appdb", "upgrade")
    assert up.exit_code == 0, up.output
    assert f"is at revision {head_revision()} (the newest)." in up.output
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
    assert current_revision(engine_url) == head_revision()


def _invite_link(text: str) -> str:
    found = re.search(r"http://\S+/invite/(\S+)", text)
    assert found is not None, text
    return found.group(1)


def test_invite_emails_a_one_time_link_that_sets_the_password(
    engine_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server() as smtp:
        monkeypatch.setenv("ATTAIN_EMAIL__HOST", smtp.settings.host)
        monkeypatch.setenv("ATTAIN_EMAIL__PORT", str(smtp.settings.port))
        monkeypatch.setenv("ATTAIN_EMAIL__TLS", "none")
        result = attain(
            engine_url, "users", "invite", "nia@example.com", "--name", "Nia", "--role", "admin"
        )
        assert result.exit_code == 0, result.output
        assert "Invited admin nia@example.com" in result.output
        (message,) = smtp.wait_for(1)
    assert message["To"] == "nia@example.com"
    secret = _invite_link(text_part(message))
    assert secret not in result.output
    engine = make_engine(engine_url)
    try:
        with session_scope(engine) as session:
            accept_invitation(session, secret, PASSWORD)
    finally:
        engine.dispose()
    assert signs_in(engine_url, "nia@example.com")


def test_invite_without_email_prints_the_link_and_rules_apply_to_by(engine_url: str) -> None:
    attain(
        engine_url,
        "users",
        "add",
        "rep@example.com",
        "--name",
        "R",
        "--role",
        "rep",
        "--rep-id",
        "R1",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    result = attain(
        engine_url, "users", "invite", "m@example.com", "--name", "M", "--role", "marketing"
    )
    assert result.exit_code == 0 and "give them this one-time link" in result.output
    assert _invite_link(result.output)
    refused = attain(
        engine_url,
        "users",
        "invite",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "marketing",
        "--by",
        "rep@example.com",
    )
    assert isinstance(refused.exception, Forbidden)


def test_tokens_are_listed_and_revoked_and_a_disabled_user_enabled(engine_url: str) -> None:
    attain(
        engine_url,
        "users",
        "add",
        "a@example.com",
        "--name",
        "A",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    secret = attain(engine_url, "users", "token", "a@example.com", "--name", "nightly").output
    listed = attain(engine_url, "users", "tokens")
    assert "nightly" in listed.output and "a@example.com" in listed.output
    revoked = attain(engine_url, "users", "revoke", "1")
    assert revoked.exit_code == 0 and "Revoked API token 1" in revoked.output
    engine = make_engine(engine_url)
    try:
        with session_scope(engine) as session:
            assert user_for_token(session, secret.splitlines()[-1]) is None
    finally:
        engine.dispose()
    assert attain(engine_url, "users", "disable", "a@example.com").exit_code == 0
    assert not signs_in(engine_url, "a@example.com")
    assert attain(engine_url, "users", "enable", "a@example.com").exit_code == 0
    assert signs_in(engine_url, "a@example.com")
