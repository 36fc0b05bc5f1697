"""Options and store helpers shared by the management-workflow commands (`attain coaching`,
`digest`, `alignment`, `actions`, `program`, `skills`, `ramp`, `products`, `comp`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from sqlalchemy.orm import Session

from attain.access import AccessError, Visibility, coaching_visibility
from attain.appdb.users import get_user
from attain.cli.options import open_store
from attain.config import Settings, load_settings
from attain.diagnosis.finding import Diagnosis
from attain.diagnosis.run import diagnose
from attain.errors import InputError
from attain.metrics.report import PerformanceReport, performance_report
from attain.metrics.targets import rep_roster


class Format(StrEnum):
    """Output formats of tables."""

    TEXT = "text"
    JSON = "json"


BY = typer.Option(
    ..., "--by", help="E-mail of the Attain user doing this (credited in the audit log)."
)
AS_USER = typer.Option(
    None,
    "--as-user",
    help="Show only what this Attain user may see (a rep sees only their own records).",
    show_default=False,
)
FORMAT = typer.Option(Format.TEXT, "--format", "-f", help="Output format.")


def user_visibility(session: Session, backend: Any, email: str | None) -> Visibility | None:
    """What the Attain user `email` may see of coaching records (None: everything)."""
    if email is None:
        return None
    user = get_user(session, email)
    roster = rep_roster(backend)
    teams = {
        str(rep): (None if team is None or team != team else str(team))
        for rep, team in zip(roster["rep_id"], roster["team_id"], strict=True)
    }
    try:
        return coaching_visibility(user, teams)
    except AccessError as error:
        raise InputError(f"{email} may not see coaching records: {error}") from error


@dataclass
class StoreFacts:
    """The settings, the open store and its performance report, for one command."""

    settings: Settings
    backend: Any
    report: PerformanceReport


@contextmanager
def store_facts(db: str | None, as_of: datetime | None) -> Iterator[StoreFacts]:
    """Open the store read-only with its performance report as of `as_of`; closed on exit."""
    settings = load_settings()
    backend, _ = open_store(db, read_only=True)
    try:
        report = performance_report(
            backend, settings.performance, as_of=as_of.date() if as_of else None
        )
        yield StoreFacts(settings, backend, report)
    finally:
        backend.disconnect()


def diagnose_store(found: StoreFacts, rep: str | None = None) -> Diagnosis:
    """The diagnosis of the store (or one rep) with the configured thresholds."""
    s = found.settings
    return diagnose(
        found.backend,
        as_of=found.report.as_of,
        performance=s.performance,
        icp=s.icp,
        thresholds=s.diagnosis,
        rep=rep,
    )


def check_rep(backend: Any, rep: str) -> None:
    """Refuse a rep id the store does not know, with a clear message."""
    if rep not in set(rep_roster(backend)["rep_id"].astype(str)):
        raise InputError(f"no rep {rep} in the store; `attain report` lists them")


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON (dates and decimals as text)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
