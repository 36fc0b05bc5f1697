"""What the delivery tests share: a small demo organisation's CSV files and store, its users
in the app database, and a `Sender` over them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from attain.appdb.database import session_scope
from attain.appdb.models import Role
from attain.appdb.users import add_user
from attain.config import Settings
from attain.ingest.importer import import_files
from attain.mail import MailSettings
from attain.store import connect, raw_duckdb
from attain.store.handle import Store
from attain.workflow.delivery.digests import DigestInputs
from attain.workflow.delivery.sender import OpenStore, Sender

PASSWORD = "correct horse battery staple"
BASE_URL = "https://attain.example.com"


def import_folder(store: Path, folder: Path) -> None:
    """Import the CSV files of `folder` into the DuckDB file `store` (a new data version)."""
    backend = connect(str(store))
    try:
        import_files(raw_duckdb(backend), [folder])
    finally:
        backend.disconnect()


def opener(store: Path) -> OpenStore:
    """A callable opening `store` read-only for a block, as the sender reads it."""

    @contextmanager
    def open_store() -> Iterator[Store]:
        backend: Store = connect(str(store), read_only=True)
        try:
            yield backend
        finally:
            backend.disconnect()

    return open_store


def sender(
    engine: Engine,
    store: Path,
    mail: MailSettings,
    holder: str = "test",
    inputs: DigestInputs | None = None,
) -> Sender:
    """A sender over `store` and the app database `engine`, e-mailing through `mail` (real
    sleeps, as long as a webhook's Retry-After asks); `inputs` spares recomputing the
    digests' inputs in every test."""
    settings = Settings(email=mail.model_copy(update={"base_url": BASE_URL}))
    given = None if inputs is None else (lambda: inputs)
    return Sender(engine, settings, opener(store), holder, inputs=given)


def add_users(engine: Engine, team: str, rep: str, other_team: str) -> dict[str, int]:
    """An admin, the manager of `team`, the manager of `other_team`, rep `rep` and a
    marketing user; their ids by e-mail."""
    people = [
        ("admin@example.com", Role.ADMIN, None, ()),
        ("manager@example.com", Role.MANAGER, None, (team,)),
        ("other@example.com", Role.MANAGER, None, (other_team,)),
        ("rep@example.com", Role.REP, rep, ()),
        ("marketing@example.com", Role.MARKETING, None, ()),
    ]
    with session_scope(engine) as session:
        made = {
            email: add_user(
                session, email, email.split("@")[0].title(), role, PASSWORD, rep_id, teams
            )
            for email, role, rep_id, teams in people
        }
        return {email: user.id for email, user in made.items()}
