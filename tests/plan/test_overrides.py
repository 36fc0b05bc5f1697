"""Overrides: set with who and why, superseded not lost, audited, and used by the forecast.

The hand-built organisation of plan_support has one open deal, O10 (50 000 at Proposal).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from plan_support import AS_OF, build_store, write_org
from sqlalchemy import Engine, select

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.models import AuditEntry, OverrideKind, Role, User
from attain.appdb.users import add_user
from attain.cli.leads import with_grade_overrides
from attain.errors import InputError
from attain.forecast.forecast import Overrides, forecast
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import import_files
from attain.plan.overrides import (
    check_value,
    clear_override,
    list_overrides,
    live_overrides,
    set_override,
)
from attain.store import connect, raw_duckdb

QUICK = ForecastSettings(simulations=200, min_spread=0.0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    found = make_engine(url)
    with session_scope(found) as session:
        add_user(session, "boss@example.com", "Boss", Role.MANAGER, "long enough", teams=["t1"])
    yield found
    found.dispose()


def boss(engine: Engine) -> User:
    with session_scope(engine) as session:
        user = session.scalars(select(User)).one()
        session.expunge(user)
        return user


def test_values_are_checked_and_normalised() -> None:
    assert check_value("stage_probability", " 0.350 ") == "0.35"
    assert check_value("lead_grade", "b") == "B"
    assert check_value("forecast_category", "Commit") == "commit"
    with pytest.raises(InputError, match="number from 0 to 1"):
        check_value("stage_probability", "1.5")
    with pytest.raises(InputError, match="one of A, B, C, D"):
        check_value("lead_grade", "E")
    with pytest.raises(InputError, match="an override kind is one of"):
        check_value("deal_size", "3")


def test_a_new_value_supersedes_the_live_one_and_history_is_kept(engine: Engine) -> None:
    user = boss(engine)
    with session_scope(engine, user_id=user.id) as session:
        set_override(session, OverrideKind.STAGE_PROBABILITY, "Proposal", "0.3", "slow Q", user)
        set_override(session, "stage_probability", "Proposal", "0.35", "pricing fixed", user)
        set_override(session, "lead_grade", "L1", "a", "met them", user)
    with session_scope(engine) as session:
        live = list_overrides(session)
        assert [(o.target_id, o.value, o.reason) for o in live] == [
            ("L1", "A", "met them"),
            ("Proposal", "0.35", "pricing fixed"),
        ]
        assert len(list_overrides(session, include_superseded=True)) == 3
        assert live_overrides(session) == Overrides(
            stage_probability={"Proposal": 0.35}, lead_grade={"L1": "A"}
        )
    with session_scope(engine, user_id=user.id) as session:
        clear_override(session, "lead_grade", "L1")
        with pytest.raises(InputError, match="no live lead_grade override"):
            clear_override(session, "lead_grade", "L1")
    with session_scope(engine) as session:
        assert live_overrides(session).lead_grade == {}


def test_a_reason_is_required(engine: Engine) -> None:
    user = boss(engine)
    with (
        session_scope(engine, user_id=user.id) as session,
        pytest.raises(InputError, match="--reason"),
    ):
        set_override(session, "stage_probability", "Proposal", "0.3", "  ", user)


def test_only_managers_and_admins_override(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_user(session, "rae@example.com", "Rae", Role.REP, "long enough", rep_id="r1")
        add_user(session, "mia@example.com", "Mia", Role.MARKETING, "long enough")
    with session_scope(engine) as session:
        for email in ("rae@example.com", "mia@example.com"):
            user = session.scalars(select(User).where(User.email == email)).one()
            with pytest.raises(InputError, match="only managers and admins"):
                set_override(session, "lead_grade", "L1", "A", "looks keen", user)
        assert live_overrides(session).lead_grade == {}


def test_a_lead_grade_override_shows_beside_the_models_grade() -> None:
    table = pd.DataFrame({"lead_id": ["L1", "L2"], "grade": ["C", "B"]})
    shown = with_grade_overrides(table, {"L1": "A"})
    assert shown["grade"].tolist() == ["C", "B"]
    assert shown["grade_override"].tolist() == ["A", ""]
    assert "grade_override" not in with_grade_overrides(table, {}).columns


def test_the_forecast_takes_overrides_in_place_of_its_probabilities(tmp_path: Path) -> None:
    backend = connect(str(build_store(tmp_path)), read_only=True)
    try:
        plain = forecast(backend, AS_OF, zone="UTC", settings=QUICK).row("rep", "ada")
        committed = forecast(
            backend,
            AS_OF,
            zone="UTC",
            settings=QUICK,
            overrides=Overrides(forecast_category={"O10": "commit"}),
        ).row("rep", "ada")
        omitted = forecast(
            backend,
            AS_OF,
            zone="UTC",
            settings=QUICK,
            overrides=Overrides(stage_probability={"Proposal": 0.25}),
        ).row("rep", "ada")
    finally:
        backend.disconnect()
    assert plain.open_deals == 1 and plain.expected_open < 50_000
    assert committed.expected_open == pytest.approx(50_000)
    assert committed.p10 >= plain.booked + 50_000  # the committed deal is won in every run
    assert omitted.expected_open == pytest.approx(12_500)
    assert committed.weighted_pipeline == plain.weighted_pipeline  # the CRM baseline is kept


def test_an_override_survives_a_reimport_and_a_retrain_and_the_audit_log_shows_it(
    tmp_path: Path, engine: Engine
) -> None:
    store = build_store(tmp_path)
    user = boss(engine)
    with session_scope(engine, user_id=user.id) as session:
        set_override(session, "forecast_category", "O10", "commit", "signed Friday", user)

    def expected_open() -> float:
        with session_scope(engine) as session:
            overrides = live_overrides(session)
        backend = connect(str(store), read_only=True)
        try:  # every forecast refits the win model on the store as it now is
            row = forecast(backend, AS_OF, zone="UTC", settings=QUICK, overrides=overrides)
            return row.row("rep", "ada").expected_open
        finally:
            backend.disconnect()

    assert expected_open() == pytest.approx(50_000)
    backend = connect(str(store))
    try:
        import_files(raw_duckdb(backend), write_org(tmp_path / "again"))
    finally:
        backend.disconnect()
    assert expected_open() == pytest.approx(50_000)
    with session_scope(engine) as session:
        [live] = list_overrides(session)
        assert (live.kind, live.target_id, live.value, live.created_by) == (
            OverrideKind.FORECAST_CATEGORY,
            "O10",
            "commit",
            user.id,
        )
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "overrides")
        ).all()
    [entry] = entries
    assert (entry.action, entry.user_id, entry.record_id) == ("create", user.id, str(live.id))
    after = json.loads(entry.after or "{}")
    assert after["value"] == "commit" and after["reason"] == "signed Friday"
