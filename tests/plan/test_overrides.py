"""Overrides: set with who and why, superseded not lost, audited, used by the forecast and
shown beside the model's value; the override store runs on SQLite and on PostgreSQL.

The hand-built organisation of plan_support has one open deal, O10 (50 000 at Proposal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from plan_support import AS_OF, build_store, write_org
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from attain.appdb.database import session_scope
from attain.appdb.models import AuditEntry, OverrideKind, Role, User
from attain.appdb.users import add_user
from attain.cli.leads import with_grade_overrides
from attain.cli.main import app
from attain.config import load_settings
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
from attain.plan.plan import OverriddenValue
from attain.plan.run import store_plan
from attain.plan.settings import PlanSettings
from attain.store import connect, raw_duckdb
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE, sign_in
from tests.support.appdb import app_engine, fresh_schema

QUICK = ForecastSettings(simulations=200, min_spread=0.0)
MIXED = date(2026, 4, 30)
"""A day of 2026-Q2 on which the win model gives O10 a probability strictly between 0 and 1
(on AS_OF its windows saw no win in time, so it gives 0)."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated app database with one manager, boss: a SQLite file, or a PostgreSQL schema
    of the test's own."""
    with ExitStack() as stack:
        url = (
            f"sqlite:///{tmp_path / 'app.db'}"
            if request.param == "sqlite"
            else stack.enter_context(fresh_schema(request.getfixturevalue("postgres_database")))
        )
        found = stack.enter_context(app_engine(url))
        with session_scope(found) as session:
            add_user(
                session,
                "boss@example.com",
                "Boss",
                Role.MANAGER,
                "long enough to pass",
                teams=["t1"],
            )
        yield found


def boss(engine: Engine) -> User:
    with session_scope(engine) as session:
        user = session.scalars(select(User)).one()
        session.expunge(user)
        return user


def store_with_o10_committed(folder: Path, engine: Engine) -> tuple[Path, User]:
    """The hand-built store, and the boss who put deal O10 in the commit category."""
    store = build_store(folder)
    user = boss(engine)
    with session_scope(engine, user_id=user.id) as session:
        set_override(session, "forecast_category", "O10", "commit", "signed Friday", user)
    return store, user


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
        add_user(session, "rae@example.com", "Rae", Role.REP, "long enough to pass", rep_id="r1")
        add_user(session, "mia@example.com", "Mia", Role.MARKETING, "long enough to pass")
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
    store, user = store_with_o10_committed(tmp_path, engine)

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


def test_a_forecast_category_override_is_shown_beside_the_models_probability(
    tmp_path: Path, engine: Engine
) -> None:
    store, _ = store_with_o10_committed(tmp_path, engine)
    with session_scope(engine) as session:
        live = live_overrides(session)
    backend = connect(str(store), read_only=True)
    try:
        plain = forecast(backend, MIXED, zone="UTC", settings=QUICK)
        committed = forecast(backend, MIXED, zone="UTC", settings=QUICK, overrides=live)
        omitted = forecast(
            backend,
            MIXED,
            zone="UTC",
            settings=QUICK,
            overrides=Overrides(forecast_category={"O10": "omitted"}),
        )
        [ada] = store_plan(
            backend,
            MIXED,
            zone="UTC",
            settings=PlanSettings(history_quarters=1),
            forecast_settings=QUICK,
            overrides=live,
            reps=["ada"],
        ).plans
    finally:
        backend.disconnect()
    model = plain.deal("O10").model_probability
    assert 0 < model < 1
    # without overrides the model's probability is the one used: value × it is the expected
    assert plain.deal("O10").probability == model and plain.deal("O10").category is None
    assert plain.row("rep", "ada").expected_open == pytest.approx(50_000 * model)
    deal = committed.deal("O10")
    assert (deal.owner_rep_id, deal.stage, deal.value, deal.category) == (
        "ada",
        "Proposal",
        50_000,
        "commit",
    )
    assert (deal.model_probability, deal.probability) == (model, 1.0)
    assert (omitted.deal("O10").model_probability, omitted.deal("O10").probability) == (model, 0.0)
    assert ada.overridden == (OverriddenValue("forecast_category", "O10", "commit", model, 1),)
    assert ada.to_dict()["overridden"][0]["computed"] == model

    app_db = engine.url.render_as_string(hide_password=False)
    listed = CliRunner().invoke(
        app,
        ["overrides", "list", "--db", str(store), "--as-of", str(MIXED), "--app-db", app_db],
        env={"COLUMNS": "200"},
    )
    assert listed.exit_code == 0, listed.output
    [line] = [line for line in listed.output.splitlines() if " O10 " in line]
    assert f" {model:.2f} " in line and "ada, Proposal, 50,000" in line and "signed Friday" in line
    assert "won by 2026-06-30" in listed.output


def test_the_rep_page_and_api_show_a_deals_override_beside_the_model_with_who_and_why(
    tmp_path: Path, engine: Engine
) -> None:
    store, _ = store_with_o10_committed(tmp_path, engine)
    backend = connect(str(store), read_only=True)
    try:
        model = forecast(backend, MIXED, zone="UTC", settings=QUICK).deal("O10").model_probability
    finally:
        backend.disconnect()
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(load_settings(), store=str(store), app_db=url)) as client:
        started = sign_in(engine, "boss@example.com", "long enough to pass")
        assert started is not None
        client.cookies.set(SESSION_COOKIE, started[0])
        plan = client.get(f"/api/v1/reps/ada/plan?as_of={MIXED}")
        page = client.get(f"/reps/ada?as_of={MIXED}")
    assert plan.status_code == 200, plan.text
    assert plan.json()["overridden"] == [
        {
            "kind": "forecast_category",
            "target_id": "O10",
            "value": "commit",
            "computed": model,
            "deals": 1,
            "reason": "signed Friday",
            "by": "boss@example.com",
        }
    ]
    assert page.status_code == 200
    [row] = re.findall(r'<tr data-testid="plan-override-O10">.*?</tr>', page.text)
    assert f'data-value="{model}"' in row and f"{model:.0%}" in row
    assert "commit" in row and "signed Friday" in row and "boss@example.com" in row
