"""A demo organisation on a retail 4-4-5 calendar from February (issue 21): its attain.toml
names the calendar, its quotas are for fiscal quarters, and attainment, weekly targets and
business days read from the store equal what is counted by hand from its CSV files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from attain.config import load_settings
from attain.demo import DemoSpec, generate
from attain.demo.truth import Truth
from attain.demo.variants import VARIANTS
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.metrics.attainment import attainment_report
from attain.metrics.pacing import weekly_targets
from attain.metrics.periods import BusinessCalendar, Period, active_calendar, use_calendar
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb

FY2027_Q3 = Period(date(2026, 8, 2), date(2026, 10, 31))


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("fiscal")
    generate(DemoSpec(reps=6, quarters=4, seed=5, variant=VARIANTS["fiscal_445"]), folder)
    yield folder


@pytest.fixture
def calendar(org: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo's own attain.toml in force, the calendar it names restored afterwards."""
    monkeypatch.setenv("ATTAIN_CONFIG", str(org / "attain.toml"))
    with use_calendar(active_calendar()):
        load_settings()
        yield


@pytest.mark.usefixtures("calendar")
def test_the_quarters_and_quotas_are_the_fiscal_ones(org: Path) -> None:
    quotas = pd.read_csv(org / "quotas.csv", parse_dates=["period_start", "period_end"])
    spans = {
        Period(start.date(), end.date()).label
        for start, end in zip(quotas["period_start"], quotas["period_end"], strict=True)
    }
    assert spans >= {"FY2027-Q1", "FY2027-Q2", "FY2027-Q3"}
    assert all(label.startswith("FY") for label in spans)


@pytest.mark.usefixtures("calendar")
def test_attainment_of_each_rep_in_fy2027_q3_equals_the_hand_count(org: Path) -> None:
    deals = pd.read_csv(org / "opportunities.csv", parse_dates=["closed_at"])
    won = deals[deals["is_won"].fillna(False).astype(bool)]
    day = won["closed_at"].dt.date
    inside = won[(day >= FY2027_Q3.start) & (day <= FY2027_Q3.end)]
    by_hand = inside.groupby("owner_rep_id")["amount"].sum()
    quotas = pd.read_csv(org / "quotas.csv", parse_dates=["period_start"])
    targets = quotas[
        (quotas["metric"] == "bookings") & (quotas["period_start"] == pd.Timestamp("2026-08-02"))
    ].set_index("rep_id")["target"]
    backend = connect(":memory:")
    try:
        import_files(raw_duckdb(backend), [org])
        report = attainment_report(backend, quota_targets(backend, "bookings"))
    finally:
        backend.disconnect()
    rows = {
        row.id: row
        for row in report.rows
        if row.scope == "rep" and Period(row.period_start, row.period_end) == FY2027_Q3
    }
    assert set(rows) == set(targets.index)
    for rep, row in rows.items():
        assert row.quota_target == pytest.approx(float(targets[rep]))  # before proration
        assert row.actual == pytest.approx(float(by_hand.get(rep, 0.0)))


@pytest.mark.usefixtures("calendar")
def test_weekly_targets_and_business_days_of_the_fiscal_quarter() -> None:
    """13 Sunday-to-Saturday weeks; 63 US business days (Labor Day and Columbus Day out)."""
    us = BusinessCalendar("US")
    assert us.count_business_days(FY2027_Q3.start, FY2027_Q3.end) == 63
    weekly = weekly_targets(FY2027_Q3, 63_000.0, us)
    assert list(weekly.index[:2]) == [pd.Timestamp("2026-08-02"), pd.Timestamp("2026-08-09")]
    assert weekly[pd.Timestamp("2026-09-06")] == pytest.approx(4_000.0)  # Labor Day's week


@pytest.mark.usefixtures("calendar")
def test_no_rep_s_quota_reads_as_ratcheted_unless_planted(org: Path) -> None:
    """Each fiscal quarter's target is the plan's daily rate over its whole length, and no
    fiscal quarter starts before the plan: a target summed over the days the calendar plan
    covers alone made the next quarter look raised 3-4 times after a hit, and the diagnosis
    read every rep's quota as ratcheted (82 false alarms over the benchmark's seeds 31-33)."""
    quotas = pd.read_csv(org / "quotas.csv", parse_dates=["period_start"])
    assert quotas["period_start"].min() >= pd.Timestamp("2026-01-01")  # the plan's first quarter
    truth = Truth.read(org / "truth.json")
    backend = connect(":memory:")
    try:
        import_files(raw_duckdb(backend), [org])
        found = diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings())
    finally:
        backend.disconnect()
    ratcheted = {f.id for f in found.findings if f.cause == "target_setting" and f.scope == "rep"}
    assert found.sellers
    assert ratcheted <= set(truth.reps_with("target_setting"))
