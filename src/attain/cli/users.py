"""`attain users` (accounts and API tokens) and `attain appdb` (the app database's schema).

Every command except `appdb downgrade` first migrates the app database to the newest schema,
so a new database needs no separate set-up step.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.appdb.kinds import Role
from attain.cli.options import DB, app_session, command_group, open_store, optional_option
from attain.errors import InputError

if TYPE_CHECKING:
    from attain.access import Principal

APP_DB = optional_option(
    "--app-db",
    help="App database: a SQLAlchemy URL or a SQLite file path "
    "\\[default: $ATTAIN_APP_DB or sqlite:///attain-app.db].",
)

app = command_group(
    "People who use Attain: invite, add, list, disable and enable users; issue, list "
    "and revoke API tokens."
)
appdb_app = command_group(
    "The app database (users, goals, coaching, audit log): migrate its schema."
)


def _url(app_db: str | None) -> str:
    from attain.appdb.database import app_db_url
    from attain.config import load_settings

    return app_db_url(load_settings(), app_db)


BY_OPTIONAL = optional_option(
    "--by",
    help="E-mail of the Attain user doing this: the web app's rules apply to them (a "
    "manager invites and disables only reps of their teams); credited in the audit log.",
)


def _teams_of(by: Principal | None, db: str | None) -> dict[str, str | None]:
    """Every rep's team from the store, when a manager's rules need it (else nothing is read).
    A consistency check for operators, not a security boundary: whoever runs the CLI already
    holds the databases."""
    from attain.metrics.targets import roster_entries

    if by is None or by.role is not Role.MANAGER:
        return {}
    backend, _ = open_store(db, read_only=True)
    try:
        return {entry.rep_id: entry.team_id for entry in roster_entries(backend)}
    finally:
        backend.disconnect()


@app.command("add")
def add_command(
    email: str = typer.Argument(..., help="Their e-mail address; they sign in with it."),
    name: str = typer.Option(..., "--name", help="Their name as Attain shows it."),
    role: Role = typer.Option(
        ...,
        "--role",
        help="admin: everything; manager: their teams; rep: their own numbers; "
        "marketing: leads and channels.",
    ),
    rep_id: str | None = optional_option(
        "--rep-id", help="The CRM rep id of this person (needed for the rep role)."
    ),
    team: list[str] | None = optional_option(
        "--team", help="A CRM team id this manager manages; repeat for several."
    ),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the password from the first line of standard input instead of asking.",
    ),
    app_db: str | None = APP_DB,
) -> None:
    """Add a user who can sign in with their e-mail and a password (asked for twice)."""
    from attain.appdb.users import add_user, check_new_user
    from attain.config import load_settings

    min_length = load_settings().web.min_password_length
    with app_session(app_db) as (session, _):
        check_new_user(session, email, name, role, rep_id, team or ())
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise InputError("--password-stdin: standard input holds no password")
        else:
            password = typer.prompt(
                f"Password ({min_length}+ characters, not a common one)",
                hide_input=True,
                confirmation_prompt=True,
            )
        user = add_user(
            session, email, name, role, password, rep_id, team or (), min_password_length=min_length
        )
        teams = f", managing {', '.join(user.team_ids)}" if user.team_ids else ""
        rep = f", rep {user.rep_id}" if user.rep_id else ""
        typer.echo(f"Added {user.role} {user.email} ({user.name}{rep}{teams}).")


@app.command("list")
def list_command(app_db: str | None = APP_DB) -> None:
    """Show every user: role, CRM rep, managed teams, and whether they may sign in."""
    from attain.appdb.users import list_users

    with app_session(app_db) as (session, _):
        users = list_users(session)
        if not users:
            typer.echo("No users yet: add one with `attain users add`.")
            return
        table = Table(title="Users")
        for header in ("e-mail", "name", "role", "rep", "teams", "active", "added"):
            table.add_column(header)
        for user in users:
            table.add_row(
                escape(user.email),
                escape(user.name),
                user.role.value,
                escape(user.rep_id or ""),
                escape(", ".join(user.team_ids)),
                "yes" if user.is_active else "no",
                f"{user.created_at:%Y-%m-%d}",
            )
        Console().print(table)


@app.command("disable")
def disable_command(
    email: str = typer.Argument(..., help="E-mail of the user to disable."),
    by: str | None = BY_OPTIONAL,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Stop a user signing in: their password, API tokens and web sessions stop working.
    `attain users enable` or `attain users invite` lets them back."""
    email = _set_active(email, False, by, db, app_db)
    typer.echo(f"Disabled {email}: their password, tokens and sessions no longer work.")


def _set_active(
    email: str, active: bool, by: str | None, db: str | None, app_db: str | None
) -> str:
    """Disable or enable `email`'s account as `by` (the web's rules: a manager only reps of
    their teams); the account's e-mail as stored."""
    from attain.appdb import accounts
    from attain.appdb.users import get_user

    with app_session(app_db, by) as (session, _):
        acting = accounts.acting(session, by)
        user = get_user(session, email)
        accounts.set_active(session, acting, user.id, active, _teams_of(acting, db))
        return user.email


@app.command("unlock")
def unlock_command(
    email: str = typer.Argument(..., help="E-mail the wrong passwords were typed for."),
    client: str | None = typer.Option(
        None, "--client", help="Only this client address's delay (default: every address)."
    ),
    app_db: str | None = APP_DB,
) -> None:
    """Clear the sign-in delay that wrong passwords earned for an e-mail (docs/web.md)."""
    from attain.appdb import throttle
    from attain.appdb.audit import record

    with app_session(app_db) as (session, _):
        cleared = throttle.clear(session, email, client)
        after = {"client": client, "cleared": cleared}
        record(session, None, "sign_in_unlocked", "users", email.strip().lower(), None, after)
        typer.echo(
            f"Cleared the sign-in delay of {email.strip().lower()} at {cleared} address(es)."
        )


@app.command("token")
def token_command(
    email: str = typer.Argument(..., help="E-mail of the user the token acts as."),
    name: str = typer.Option(..., "--name", help="What uses the token, e.g. 'nightly export'."),
    app_db: str | None = APP_DB,
) -> None:
    """Issue an API token and print its secret, once: Attain keeps only a hash of it."""
    from attain.appdb.users import create_api_token, get_user

    with app_session(app_db) as (session, _):
        user = get_user(session, email)
        token, secret = create_api_token(session, user, name)
        typer.echo(
            f"API token {token.name!r} for {user.email}; copy it now, it is not shown again:"
        )
        typer.echo(secret)


@app.command("invite")
def invite_command(
    email: str = typer.Argument(..., help="Their e-mail address; the invitation goes there."),
    name: str = typer.Option(..., "--name", help="Their name as Attain shows it."),
    role: Role = typer.Option(..., "--role", help="admin, manager, rep or marketing."),
    rep_id: str | None = optional_option(
        "--rep-id", help="The CRM rep id (needed for the rep role)."
    ),
    team: list[str] | None = typer.Option(
        None, "--team", help="A CRM team id this manager manages; repeat for several."
    ),
    by: str | None = BY_OPTIONAL,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Invite someone by e-mail: a one-time link (for [web] invitation_hours) lets them choose
    a password. Without [email] configured, the link is printed to hand over instead."""
    from attain.appdb import accounts
    from attain.config import load_settings
    from attain.mail import MailError, send

    settings = load_settings()
    with app_session(app_db, by) as (session, _):
        acting = accounts.acting(session, by)
        invitation = accounts.invite(
            session,
            acting,
            email,
            name,
            role,
            timedelta(hours=settings.web.invitation_hours),
            rep_id,
            team or (),
            _teams_of(acting, db),
        )
        inviter = acting.name if acting else "Your Attain administrator"
        message = accounts.invitation_message(settings.email, invitation, inviter)
        user = invitation.user
        if settings.email.enabled:
            try:
                send(settings.email, message)
            except MailError as error:
                raise InputError(f"{error}; nothing was saved, try again") from error
            typer.echo(
                f"Invited {user.role} {user.email}; the link works until "
                f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC."
            )
            return
        link = f"{settings.email.base_url.rstrip('/')}/invite/{invitation.secret}"
        typer.echo(
            f"Invited {user.role} {user.email}. E-mail is not configured ([email] host), "
            f"so give them this one-time link yourself:"
        )
        typer.echo(link)


@app.command("enable")
def enable_command(
    email: str = typer.Argument(..., help="E-mail of the disabled user."),
    by: str | None = BY_OPTIONAL,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Let a disabled user sign in again with the password they had (revoked tokens stay
    revoked); `attain users invite` instead when they should choose a new one."""
    email = _set_active(email, True, by, db, app_db)
    typer.echo(f"Enabled {email}: they can sign in again.")


@app.command("tokens")
def tokens_command(
    by: str | None = optional_option(
        "--by", help="Only the tokens this user may see (their own; an admin's: everyone's)."
    ),
    app_db: str | None = APP_DB,
) -> None:
    """List API tokens: id, owner, name, when made and last used, and whether revoked."""
    from attain.appdb import accounts

    with app_session(app_db, by) as (session, _):
        acting = accounts.acting(session, by)
        rows = accounts.visible_tokens(session, acting)
        table = Table(title="API tokens")
        for header in ("id", "user", "name", "created", "last used", "revoked"):
            table.add_column(header)
        for token, owner in rows:
            table.add_row(
                str(token.id),
                escape(owner),
                escape(token.name),
                f"{token.created_at:%Y-%m-%d %H:%M}",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
                f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
            )
        Console().print(table)


@app.command("revoke")
def revoke_command(
    token_id: int = typer.Argument(..., help="The token's id (`attain users tokens`)."),
    by: str | None = optional_option(
        "--by", help="The user revoking it: their own tokens; an admin any."
    ),
    app_db: str | None = APP_DB,
) -> None:
    """Revoke an API token: scripts using it get 401 from now on."""
    from attain.appdb import accounts

    with app_session(app_db, by) as (session, _):
        token = accounts.revoke_token(session, accounts.acting(session, by), token_id)
        typer.echo(f"Revoked API token {token.id} ({token.name!r}).")


@appdb_app.command("upgrade")
def upgrade_command(
    revision: str = typer.Option("head", "--revision", help="Revision to migrate up to."),
    app_db: str | None = APP_DB,
) -> None:
    """Create or migrate the app database's tables up to the newest schema (safe to repeat)."""
    from attain.appdb.database import upgrade

    url = _url(app_db)
    upgrade(url, revision)
    _print_revision(url)


@appdb_app.command("downgrade")
def downgrade_command(
    revision: str = typer.Argument(..., help="Revision to go back to; 'base' drops every table."),
    app_db: str | None = APP_DB,
) -> None:
    """Migrate the app database down to an older revision (data in dropped tables is lost)."""
    from attain.appdb.database import downgrade

    url = _url(app_db)
    downgrade(url, revision)
    _print_revision(url)


def _print_revision(url: str) -> None:
    from attain.appdb.database import current_revision, display_url, head_revision

    revision = current_revision(url)
    if revision is None:
        typer.echo(f"App database {display_url(url)} has no tables (revision base).")
    else:
        newest = " (the newest)" if revision == head_revision() else ""
        typer.echo(f"App database {display_url(url)} is at revision {revision}{newest}.")
