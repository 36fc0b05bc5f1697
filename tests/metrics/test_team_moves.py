"""A rep who moves team mid-year keeps their earlier bookings credited to their earlier team.

Teams T1 and T2. Mo sat in T1 until he moved to T2 on 1 April 2024 (the reps' history says
so; the reps table holds only today's team, T2). Tess sat in T2 all year. The history begins
with the first import, taken on 1 March: before it, each rep's first history row holds.

    rep   Q1 2024 (target 200)      Q2 2024 (target 200)
    mo    won 100 on 15 Feb (T1)    won 50 on 10 May (T2)
    tess  won 30 on 20 Feb (T2)     -

    team  Q1 actual   Q2 actual
    T1    100         (no row: nobody in T1)
    T2    30          50

Without the history T2 would show 130 in Q1 and T1 nothing: the reorganisation rewrote the past.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from attain.demo import DemoSpec, generate
from attain.forecast.backtest import backtest
from attain.forecast.history import load_history
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import import_files
from attain.metrics.attainment import attainment_report
from attain.metrics.periods import Period
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb

Q1 = Period(date(2024, 1, 1), date(2024, 3, 31))
Q2 = Period(date(2024, 4, 1), date(2024, 6, 30))


def _org(*, history: bool) -> Any:
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'One'), ('T2', 'Two')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role) VALUES "
        "('mo', 'Mo', 'T2', 'rep'), ('tess', 'Tess', 'T2', 'rep')"
    )
    con.executemany(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target) "
        "VALUES (?, ?, ?, 'bookings', 200)",
        [(rep, p.start, p.end) for rep in ("mo", "tess") for p in (Q1, Q2)],
    )
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, stage, "
        "is_won, amount) VALUES "
        "('m1', 'mo', '2024-01-10', '2024-02-15', 'won', true, 100), "
        "('t1', 'tess', '2024-01-12', '2024-02-20', 'won', true, 30), "
        "('m2', 'mo', '2024-04-05', '2024-05-10', 'won', true, 50)"
    )
    if history:
        con.execute(
            "INSERT INTO attain_rep_history (rep_id, version_from, version_to, valid_from, "
            "valid_to, deleted, team_id, role) VALUES "
            "('mo', 1, 2, '2024-03-01', '2024-04-01', false, 'T1', 'rep'), "
            "('mo', 2, NULL, '2024-04-01', NULL, false, 'T2', 'rep'), "
            "('tess', 1, NULL, '2024-03-01', NULL, false, 'T2', 'rep')"
        )
    return backend


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    backend = _org(history=True)
    yield backend
    backend.disconnect()


def _team_actuals(backend: Any) -> dict[tuple[str, date], float]:
    report = attainment_report(backend, quota_targets(backend, "bookings"))
    return {(row.id, row.period_start): row.actual for row in report.rows if row.scope == "team"}


def test_team_attainment_credits_each_period_to_the_team_the_rep_was_in(org: Any) -> None:
    assert _team_actuals(org) == {
        ("T1", Q1.start): 100.0,
        ("T2", Q1.start): 30.0,
        ("T2", Q2.start): 50.0,
    }


def test_rep_attainment_is_the_same_with_or_without_history(org: Any) -> None:
    plain = _org(history=False)
    try:
        assert _team_actuals(plain) == {("T2", Q1.start): 130.0, ("T2", Q2.start): 50.0}
        for backend in (org, plain):
            report = attainment_report(backend, quota_targets(backend, "bookings"))
            reps = {(r.id, r.period_start): r.actual for r in report.rows if r.scope == "rep"}
            assert reps == {
                ("mo", Q1.start): 100.0,
                ("tess", Q1.start): 30.0,
                ("mo", Q2.start): 50.0,
                ("tess", Q2.start): 0.0,
            }
    finally:
        plain.disconnect()


def test_the_backtest_credits_q1_to_the_team_the_rep_was_in_then(org: Any) -> None:
    history = load_history(org)
    result = backtest(
        history, [Q1], zone="UTC", settings=ForecastSettings(backtest_simulations=100), weeks=(8,)
    )
    teams = {point.id: point for point in result.points if point.scope == "team"}
    assert teams["T1"].actual == 100.0
    assert teams["T2"].actual == 30.0
    # At the end of week 8 (25 Feb) Mo was in T1: his booking counts in T1's forecast too.
    assert teams["T1"].booked == 100.0
    assert teams["T2"].booked == 30.0


def test_the_demo_rep_who_moves_team_keeps_the_quarter_before_in_the_old_team(
    tmp_path: Path,
) -> None:
    """Three weekly demo exports imported as data versions (attain.ingest): the rep the
    generator moves at the middle one keeps the previous quarter in the old team."""
    generate(DemoSpec(reps=12, quarters=2, seed=5), tmp_path, snapshot_weeks=3)
    truth = json.loads((tmp_path / "snapshots" / "truth.json").read_text())
    (move,) = [change for t in truth["transitions"] for change in t["team_changes"]]
    backend = connect(":memory:")
    try:
        for snapshot in truth["snapshots"]:
            folder = tmp_path / "snapshots" / snapshot["folder"]
            taken = datetime.fromisoformat((folder / "taken_at.txt").read_text().strip())
            import_files(backend, [folder], taken_at=taken)
        report = attainment_report(backend, quota_targets(backend, "bookings"))
        before = min(row.period_start for row in report.rows)  # the quarter before the move
        reps = {
            r.id: r.actual for r in report.rows if r.scope == "rep" and r.period_start == before
        }
        teams = {
            r.id: r.actual for r in report.rows if r.scope == "team" and r.period_start == before
        }
        today = dict(backend.execute(backend.table("reps").select("rep_id", "team_id")).values)
        assert today[move["rep_id"]] == move["new"]

        def members(team: str) -> float:
            return sum(actual for rep, actual in reps.items() if today.get(rep) == team)

        mover = reps[move["rep_id"]]
        assert mover > 0
        assert teams[move["old"]] == pytest.approx(members(move["old"]) + mover)
        assert teams[move["new"]] == pytest.approx(members(move["new"]) - mover)
    finally:
        backend.disconnect()


def test_a_move_within_the_quarter_splits_bookings_at_close_and_the_target_by_days() -> None:
    """Al sat in T1 until 15 February 2024, then in T2 (the reps table says T2). Q1 2024 has 91
    days: 45 in T1 (1 January to 14 February), 46 in T2. His target of 273 splits 135 / 138;
    his booking of 90 on 20 January counts in T1, that of 60 on 1 March in T2. Al's own row,
    and the company's, keep the whole quarter."""
    backend = connect(":memory:")
    try:
        con = raw_duckdb(backend)
        con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'One'), ('T2', 'Two')")
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role) VALUES ('al', 'Al', 'T2', 'rep')"
        )
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target) "
            "VALUES ('al', '2024-01-01', '2024-03-31', 'bookings', 273)"
        )
        con.execute(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "stage, is_won, amount) VALUES "
            "('a1', 'al', '2024-01-02', '2024-01-20 10:00', 'won', true, 90), "
            "('a2', 'al', '2024-01-05', '2024-03-01 10:00', 'won', true, 60)"
        )
        con.execute(
            "INSERT INTO attain_rep_history (rep_id, version_from, version_to, valid_from, "
            "valid_to, deleted, team_id, role) VALUES "
            "('al', 1, 2, '2024-01-01', '2024-02-15', false, 'T1', 'rep'), "
            "('al', 2, NULL, '2024-02-15', NULL, false, 'T2', 'rep')"
        )
        report = attainment_report(backend, quota_targets(backend, "bookings"))
        rows = {(row.scope, row.id): (row.target, row.actual) for row in report.rows}
        assert rows[("team", "T1")] == pytest.approx((135.0, 90.0))
        assert rows[("team", "T2")] == pytest.approx((138.0, 60.0))
        assert rows[("rep", "al")] == (273.0, 150.0)
        assert rows[("company", "company")] == (273.0, 150.0)
    finally:
        backend.disconnect()
