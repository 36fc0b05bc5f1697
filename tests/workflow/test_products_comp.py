"""Product tiers edited in Attain over the CRM's (SQLite and PostgreSQL), compensation payouts
by hand, the priority-versus-loss-leader check, and the management commands on the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from attain.appdb.database import session_scope
from attain.appdb.models import AuditEntry, ProductTier, Role
from attain.appdb.users import add_user
from attain.cli.main import app
from attain.errors import InputError
from attain.metrics.periods import Period
from attain.store import connect, raw_duckdb
from attain.workflow.compensation import (
    Accelerator,
    CompPlan,
    Spif,
    WonDeal,
    bookings_quotas,
    load_plan,
    parse_period,
    payout_report,
    rep_payout,
    won_deals,
)
from attain.workflow.products import product_rows, set_priority, tier_map

Q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
P, S, L = ProductTier.PRIORITY, ProductTier.STANDARD, ProductTier.LOSS_LEADER
PLAN = CompPlan(
    name="FY27",
    base_rates={P: 0.10, S: 0.05, L: 0.08},
    accelerators=(Accelerator(above=1.0, multiplier=2), Accelerator(above=1.5, multiplier=3)),
    spifs=(Spif(product_id="P1", amount=200, start=date(2026, 10, 1), end=date(2026, 10, 31)),),
)
DEALS = [
    WonDeal("D1", "ada", "P1", P, 600, date(2026, 10, 5)),
    WonDeal("D2", "ada", "P3", L, 600, date(2026, 10, 20)),
    WonDeal("D3", "ada", "P1", P, 400, date(2026, 11, 10)),
    WonDeal("D4", "bo", "P2", S, 1000, date(2026, 11, 1)),
    WonDeal("D5", "bo", "P3", L, 400, date(2026, 12, 1)),
]


def test_a_payout_by_hand_with_accelerators_split_at_the_thresholds_and_a_spif() -> None:
    ada = rep_payout(PLAN, "ada", DEALS[:3], quota=1000)
    d1, d2, d3 = ada.deals
    # D1: 600 × 10% = 60, below quota; October SPIF on P1: 200.
    assert (d1.base, d1.accelerator, d1.spif) == (60, 0, 200)
    # D2 takes bookings from 600 to 1200: 400 at 8% × 1, the 200 beyond quota at 8% × 2.
    assert (d2.base, d2.accelerator) == pytest.approx((48, 16))
    # D3 from 1200 to 1600: 300 at 10% × 2 up to 150%, 100 at 10% × 3; November: no SPIF.
    assert (d3.base, d3.accelerator, d3.spif) == pytest.approx((40, 50, 0))
    assert (ada.bookings, ada.attainment) == (1600, 1.6)
    assert (ada.base, ada.accelerator, ada.spif, ada.total) == pytest.approx((148, 66, 200, 414))
    bo = rep_payout(PLAN, "bo", DEALS[3:], quota=None)  # no quota: no accelerator
    assert (bo.base, bo.accelerator, bo.total) == pytest.approx((82, 0, 82))


def test_the_plan_pays_more_for_priority_products_or_it_is_a_finding() -> None:
    report = payout_report(PLAN, Q4, DEALS, {"ada": 1000})
    assert [rep.rep_id for rep in report.reps] == ["ada", "bo"]
    rates = report.rates
    # Priority: 1000 booked, 60 + 200 + 40 + 50 = 350 paid → 35%; loss leaders: 1000 booked,
    # 48 + 16 + 32 = 96 → 9.6%; standard 50 of 1000 → 5%.
    assert rates[P].effective_rate == pytest.approx(0.35)
    assert rates[L].effective_rate == pytest.approx(0.096)
    assert rates[S].effective_rate == pytest.approx(0.05)
    assert report.finding is None
    assert report.notes == ["1 rep(s) have no bookings quota for 2026-Q4, so no accelerator: bo"]
    flat = CompPlan(base_rates={P: 0.05, S: 0.05, L: 0.08})
    bad = payout_report(flat, Q4, DEALS, {})
    assert bad.finding is not None and bad.finding.kind == "priority_not_rewarded"
    assert bad.finding.evidence["priority"]["effective_rate"] == pytest.approx(0.05)
    assert "5.0% of bookings on priority products and 8.0% on loss leaders" in (
        bad.finding.explanation
    )


def test_plans_load_from_toml_and_say_what_is_wrong(tmp_path: Path) -> None:
    good = tmp_path / "plan.toml"
    good.write_text(
        'name = "FY27"\n[base_rates]\npriority = 0.1\nstandard = 0.05\nloss_leader = 0.02\n'
        "[[accelerators]]\nabove = 1.0\nmultiplier = 1.5\n"
        '[[spifs]]\nproduct_id = "P1"\namount = 250\nstart = 2026-10-01\nend = 2026-10-31\n'
    )
    plan = load_plan(good)
    assert plan.accelerators[0].multiplier == 1.5 and plan.spifs[0].end == date(2026, 10, 31)
    bad = tmp_path / "bad.toml"
    bad.write_text("[base_rates]\npriority = 0.1\n")
    with pytest.raises(InputError, match="needs a rate for standard, loss_leader"):
        load_plan(bad)
    assert parse_period("2026-Q4") == Q4 == parse_period("2026q4")
    assert parse_period("2026-10-01..2026-12-31") == Q4
    with pytest.raises(InputError, match="a period is like"):
        parse_period("autumn")


@pytest.fixture
def store() -> Iterator[Any]:
    """Products P1–P4 and the DEALS above, plus a lost deal, a September win and ada's quota."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute(
        "INSERT INTO reps (rep_id, name, role) VALUES ('ada', 'Ada', 'rep'), ('bo', 'Bo', 'rep')"
    )
    con.execute(
        "INSERT INTO products (product_id, name, priority) VALUES ('P1', 'Core', 'priority'), "
        "('P2', 'Add-on', 'standard'), ('P3', 'Starter', 'loss_leader'), ('P4', 'Legacy', NULL)"
    )
    rows = [(d.opportunity_id, d.rep_id, d.product_id, d.amount, d.closed_on, True) for d in DEALS]
    rows += [("X1", "ada", "P1", 5000, date(2026, 10, 8), False)]
    rows += [("X2", "ada", "P1", 5000, date(2026, 9, 30), True)]
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, product_id, amount, closed_at, "
        "is_won, stage, created_at) VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP) + INTERVAL 12 HOUR, "
        "?, 'Closed', TIMESTAMP '2026-09-01')",
        rows,
    )
    con.execute(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES ('ada', DATE '2026-10-01', DATE '2026-12-31', 'bookings', "
        "1000, NULL)"
    )
    yield backend
    backend.disconnect()


def test_tiers_set_in_attain_replace_the_crms_and_drive_the_payout(
    engine: Engine, store: Any
) -> None:
    with session_scope(engine) as session:
        boss = add_user(session, "boss@x.com", "Boss", Role.MANAGER, "long enough to pass")
        session.flush()
        boss_id = boss.id
    with session_scope(engine, user_id=boss_id) as session:
        set_priority(session, "P3", "priority", "Fastest set-up in the market")
        set_priority(session, "P3", "priority")  # differentiators kept
        with pytest.raises(InputError, match="a product tier is one of"):
            set_priority(session, "P2", "gold")
    with session_scope(engine) as session:
        rows = {row.product_id: row for row in product_rows(session, store)}
        tiers = tier_map(session, store)
        audited = session.scalars(
            select(AuditEntry.table_name).where(AuditEntry.user_id == boss_id)
        ).all()
    assert (rows["P3"].tier, rows["P3"].store_tier, rows["P3"].source) == (P, L, "app")
    assert rows["P3"].differentiators == "Fastest set-up in the market"
    assert (rows["P4"].tier, rows["P4"].source) == (S, "store")  # empty in the CRM: standard
    assert "product_priorities" in audited
    deals = won_deals(store, Q4, tiers)
    assert sorted(d.opportunity_id for d in deals) == ["D1", "D2", "D3", "D4", "D5"]
    assert {d.opportunity_id: d.tier for d in deals}["D2"] is P
    quotas = bookings_quotas(store, Q4)
    assert quotas == {"ada": 1000.0}
    report = payout_report(PLAN, Q4, deals, quotas)
    ada = next(rep for rep in report.reps if rep.rep_id == "ada")
    # As by hand, but D2 is now priority: 600 to 1200 at 10%: 400 × 1 + 200 × 2 → 60 + 20.
    assert (ada.base, ada.accelerator, ada.spif) == pytest.approx((160, 70, 200))


runner = CliRunner()


def test_the_management_commands_on_the_demo(demo: Any, tmp_path: Path) -> None:
    """`demo` is tests/workflow/conftest.py's Demo (not imported: `conftest` is ambiguous when
    tests/appdb is collected in the same run)."""
    app_db = ["--app-db", str(tmp_path / "app.db")]
    db = ["--db", str(demo.store)]

    def ok(*args: str, input: str | None = None) -> str:
        result = runner.invoke(app, list(args), input=input)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.output

    for group in ("program", "skills", "ramp", "products", "comp"):
        ok(group, "--help")
    ok(
        "users",
        "add",
        "boss@x.com",
        "--name",
        "Boss",
        "--role",
        "admin",
        "--password-stdin",
        *app_db,
        input="long enough to pass\n",
    )
    by = ["--by", "boss@x.com"]
    started = ok(
        "program",
        "start",
        "--rep",
        "R0013",
        "--start",
        "2026-10-05",
        "--weeks",
        "4",
        "--goal",
        "More meetings",
        "--metric",
        "meetings",
        *by,
        *app_db,
    )
    assert "Program 1 for R0013: 4 weeks from 2026-10-05, watching meetings." in started
    assert "(week 2)" in ok("program", "checkin", "1", "--at", "2026-10-14", *by, *app_db)
    review = ok("program", "review", "1", "--as-of", "2026-11-13", *db, *app_db)
    assert "4 week(s) done, 1 check-in(s)" in review and "Verdict:" in review
    ok("skills", "set", "--rep", "R0013", "--skill", "closing", "--score", "2", *by, *app_db)
    assert "R0013" in ok("skills", "show", *app_db)
    assert "Recommended training:" in ok(
        "skills", "suggest", "--rep", "R0013", "--as-of", "2026-11-13", *db, *app_db
    )
    assert '"months"' in ok("ramp", "--as-of", "2026-11-13", "--format", "json", *db)
    shown = ok("products", "show", "--format", "json", *db, *app_db)
    product = shown.split('"product_id": "', 1)[1].split('"', 1)[0]
    ok("products", "priority", product, "priority", "--differentiators", "Fast", *by, *db, *app_db)
    plan = tmp_path / "plan.toml"
    plan.write_text("[base_rates]\npriority = 0.1\nstandard = 0.05\nloss_leader = 0.02\n")
    payout = ok("comp", "payout", "--plan", str(plan), "--period", "2026-Q3", *db, *app_db)
    assert "Payouts under plan for 2026-Q3" in payout and "effective rate" in payout


def test_the_demo_plan_is_the_default_and_pays_more_for_priority_products(
    demo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`attain demo generate` writes comp-plan.toml and names it in attain.toml; `attain comp
    payout` without --plan uses it, and without either says what to do."""
    folder = demo.store.parent
    args = ["comp", "payout", "--format", "json", "--as-of", "2026-11-13", "--db", str(demo.store)]
    args += ["--app-db", str(tmp_path / "app.db")]
    monkeypatch.setenv("ATTAIN_CONFIG", str(folder / "attain.toml"))
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads(result.output)
    assert report["plan"] == "Demo plan" and report["reps"]
    rates = {tier: rate["effective_rate"] for tier, rate in report["tier_rates"].items()}
    assert rates["priority"] > rates["standard"] > rates["loss_leader"]
    assert report["finding"] is None
    monkeypatch.setenv("ATTAIN_CONFIG", str(tmp_path / "empty.toml"))
    (tmp_path / "empty.toml").write_text("")
    refused = runner.invoke(app, args)
    assert isinstance(refused.exception, InputError)
    assert "pass --plan FILE or set comp_plan" in str(refused.exception)
