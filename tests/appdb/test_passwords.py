"""The password policy (NIST SP 800-63B-4): 15 characters when the password is the only
factor, not a common or patterned one (zxcvbn's offline lists), never the e-mail; applied
wherever a password is set (`add_user`, `attain users add`)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from attain.appdb.database import session_scope
from attain.appdb.models import User
from attain.appdb.passwords import password_problem
from attain.appdb.users import add_user
from attain.cli.main import app
from attain.errors import InputError

EMAIL = "ana.garcia@example.com"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "at least 15 characters (it has 8)"),
        ("password", "at least 15 characters (it has 8)"),
        (" " * 8, "at least 15 characters (it has 8)"),
        (" " * 20, "cannot be only spaces"),
        (EMAIL, "cannot contain your e-mail"),
        ("Ana.Garcia-2026-rules!", "cannot contain your e-mail"),
        ("passwordpassword", "too easy to guess"),
        ("qwertyuiopasdfghjkl", "too easy to guess"),
        ("abcdefghijklmnopqrs", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_one_clear_line(
    engine: Engine, password: str, reason: str
) -> None:
    with pytest.raises(InputError) as refused, session_scope(engine) as session:
        add_user(session, EMAIL, "Ana", "admin", password)
    message = str(refused.value)
    assert reason in message and "\n" not in message
    assert message.startswith(f"user {EMAIL}: ")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_long_unusual_passphrase_is_accepted(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_user(session, EMAIL, "Ana", "admin", "violet tractor harbour lantern")
    assert password_problem("correct horse battery", "rep@example.com") is None


def test_the_minimum_length_is_a_setting() -> None:
    assert password_problem("violet tractor", EMAIL, min_length=8) is None
    assert "at least 15" in (password_problem("violet tractor", EMAIL) or "")


def test_the_cli_applies_the_policy_and_the_min_password_length_setting(
    engine_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["users", "add", EMAIL, "--name", "Ana", "--role", "admin", "--password-stdin"]
    runner = CliRunner()
    weak = runner.invoke(app, [*args, "--app-db", engine_url], input="password\n")
    assert isinstance(weak.exception, InputError)
    assert "at least 15 characters" in str(weak.exception)
    monkeypatch.setenv("ATTAIN_WEB__MIN_PASSWORD_LENGTH", "25")
    short = runner.invoke(app, [*args, "--app-db", engine_url], input="violet tractor harbour\n")
    assert "at least 25 characters" in str(short.exception)
    monkeypatch.delenv("ATTAIN_WEB__MIN_PASSWORD_LENGTH")
    fine = runner.invoke(app, [*args, "--app-db", engine_url], input="violet tractor harbour\n")
    assert fine.exit_code == 0, fine.output
