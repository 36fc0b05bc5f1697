"""Pipeline coverage: open deals expected to close this period ÷ the bookings still needed.

Period P is 2-13 March 2026; coverage is taken as of Friday 6 March (UTC unless said).

    rep  team  target  booked by 6 March  open deals counted                     coverage
    ada  t1    100     40                 d1 100, d5 20 (lost later), d7 60 (due 6)  180/60 = 3
    bo   t1    50      60                 -                                      target met
    cy   t2    100     0                  d8 120 (no created_at), d9 7           127/100

Not counted for ada: d2 (expected after P), d3 (expected before 6 March), d4 (opened 9 March),
d6 (lost on 6 March). d9 was lost at 03:00 UTC on 7 March, 22:00 on 6 March in New York.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from attain.metrics.coverage import (
    TARGET_MET,
    CoverageRow,
    end_of_day_utc,
    open_pipeline,
    pipeline_coverage,
)
from attain.metrics.periods import Period
from attain.metrics.settings import PerformanceSettings
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb

P = Period(date(2026, 3, 2), date(2026, 3, 13))
FRIDAY = date(2026, 3, 6)
NEW_YORK = "America/New_York"


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO teams (team_id, name) VALUES ('t1', 'One'), ('t2', 'Two')")
    con.executemany(
        "INSERT INTO reps (rep_id, name, team_id, role) VALUES (?, ?, ?, 'rep')",
        [("ada", "Ada", "t1"), ("bo", "Bo", "t1"), ("cy", "Cy", "t2")],
    )
    con.executemany(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES (?, ?, ?, 'bookings', ?, NULL)",
        [("ada", P.start, P.end, 100.0), ("bo", P.start, P.end, 50.0), ("cy", P.start, P.end, 100)],
    )
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, expected_close_date,"
        " closed_at, stage, is_won, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("w1", "ada", "2026-02-01 10:00", None, "2026-03-03 10:00", "won", True, 40.0),
            ("w2", "bo", "2026-02-01 10:00", None, "2026-03-04 10:00", "won", True, 60.0),
            ("d1", "ada", "2026-02-10 10:00", "2026-03-10", None, "proposal", None, 100.0),
            ("d2", "ada", "2026-02-10 10:00", "2026-03-20", None, "proposal", None, 80.0),
            ("d3", "ada", "2026-02-10 10:00", "2026-03-05", None, "proposal", None, 50.0),
            ("d4", "ada", "2026-03-09 10:00", "2026-03-12", None, "proposal", None, 30.0),
            (
                "d5",
                "ada",
                "2026-02-10 10:00",
                "2026-03-11",
                "2026-03-09 10:00",
                "lost",
                False,
                20.0,
            ),
            (
                "d6",
                "ada",
                "2026-02-10 10:00",
                "2026-03-11",
                "2026-03-06 12:00",
                "lost",
                False,
                90.0,
            ),
            ("d7", "ada", "2026-02-10 10:00", "2026-03-06", None, "proposal", None, 60.0),
            ("d8", "cy", None, "2026-03-13", None, "prospecting", None, 120.0),  # no created_at
            # Lost at 22:00 on 6 March in New York, which is already 7 March in UTC.
            ("d9", "cy", "2026-02-10 10:00", "2026-03-12", "2026-03-07 03:00", "lost", False, 7.0),
        ],
    )
    yield backend
    backend.disconnect()


@pytest.fixture(scope="module")
def rows(org: Any) -> dict[str, CoverageRow]:
    return {row.id: row for row in pipeline_coverage(org, quota_targets(org), FRIDAY)}


def test_open_pipeline_closing_in_the_period_over_remaining_target_is_coverage(
    rows: dict[str, CoverageRow],
) -> None:
    ada = rows["ada"]
    assert (ada.bookings_to_date, ada.remaining_target) == (40.0, 60.0)
    assert (ada.open_pipeline, ada.open_deals) == (180.0, 3)
    assert ada.coverage == pytest.approx(3.0) and ada.reason is None


def test_coverage_at_the_healthy_ratio_is_healthy_and_below_it_is_not(
    rows: dict[str, CoverageRow],
) -> None:
    assert rows["ada"].healthy and rows["ada"].healthy_coverage == 3.0
    cy = rows["cy"]
    assert cy.coverage == pytest.approx(1.27) and not cy.healthy


def test_a_met_target_has_no_coverage_ratio_and_says_why(rows: dict[str, CoverageRow]) -> None:
    bo = rows["bo"]
    assert (bo.remaining_target, bo.coverage, bo.reason, bo.healthy) == (
        0.0,
        None,
        TARGET_MET,
        True,
    )


def test_a_deal_without_a_creation_date_counts_as_already_open(
    rows: dict[str, CoverageRow],
) -> None:
    assert (rows["cy"].open_pipeline, rows["cy"].open_deals) == (127.0, 2)


def test_teams_and_the_company_sum_pipeline_and_remaining_target(
    rows: dict[str, CoverageRow],
) -> None:
    one = rows["t1"]
    assert (one.scope, one.name, one.target, one.bookings_to_date) == ("team", "One", 150.0, 100.0)
    assert (one.remaining_target, one.open_pipeline, one.open_deals) == (50.0, 180.0, 3)
    assert one.coverage == pytest.approx(3.6) and one.healthy
    company = rows["company"]
    assert (company.remaining_target, company.open_pipeline) == (150.0, 307.0)
    assert company.coverage == pytest.approx(307 / 150)


def test_the_healthy_ratio_comes_from_the_settings(org: Any) -> None:
    settings = PerformanceSettings(healthy_coverage=1.0)
    cy = next(
        r for r in pipeline_coverage(org, quota_targets(org), FRIDAY, settings) if r.id == "cy"
    )
    assert cy.healthy and cy.healthy_coverage == 1.0


def test_as_of_means_the_end_of_that_local_day(org: Any) -> None:
    assert end_of_day_utc(FRIDAY, NEW_YORK) == datetime(2026, 3, 7, 5)  # EST, UTC-5
    utc = open_pipeline(org, FRIDAY, P.end).set_index("rep_id")
    local = open_pipeline(org, FRIDAY, P.end, NEW_YORK).set_index("rep_id")
    # d9 was lost at 22:00 New York time on 6 March: still open at the end of 6 March in UTC.
    assert (utc.loc["cy", "open_deals"], local.loc["cy", "open_deals"]) == (2, 1)
    assert local.loc["cy", "open_pipeline"] == 120.0


def test_only_bookings_periods_containing_the_as_of_date_are_covered(org: Any) -> None:
    assert pipeline_coverage(org, quota_targets(org), date(2026, 3, 20)) == []
    assert pipeline_coverage(org, quota_targets(org, "meetings"), FRIDAY) == []
