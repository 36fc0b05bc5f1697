"""Activity drop: every selling rep with an early warning is a finding, valued in bookings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any

import duckdb
import pytest

from attain.diagnosis.activity_drop import Thresholds, detect
from attain.diagnosis.context import build_context

AS_OF = date(2025, 3, 1)
"""The last 7 days are 22-28 February; Q1 2025 has 31 days left, 31/7 weeks."""
WEEKS_LEFT = 31 / 7


def week_day(week: int) -> datetime:
    """10:00 on the first day of the 7-day window `week` weeks before the last 7 days."""
    return datetime.combine(AS_OF - timedelta(days=7 * week + 7), time(10))


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Any:
    """R1 and R2 with Q1 bookings quotas of 100,000 (and X1, who left in 2023); add weekly
    calls, deals and closed deals."""
    ids = count()
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'East')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date, end_date) "
        "VALUES ('X1', 'X1', 'T1', 'rep', '2020-01-01', '2023-06-30')"
    )
    for rep in ("R1", "R2"):
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role, hire_date) "
            "VALUES (?, ?, 'T1', 'rep', '2020-01-01')",
            [rep, rep],
        )
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
            "VALUES (?, '2025-01-01', '2025-03-31', 'bookings', 100000, NULL)",
            [rep],
        )

    def calls(rep: str, weekly: list[int]) -> None:
        con.executemany(
            "INSERT INTO activities (activity_id, rep_id, type, occurred_at) "
            "VALUES (?, ?, 'call', ?)",
            [
                (f"A{next(ids)}", rep, week_day(week) + timedelta(minutes=i))
                for week, n in enumerate(weekly)
                for i in range(n)
            ],
        )

    def deals(rep: str, weekly: list[int], amount: float = 10_000.0) -> None:
        con.executemany(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, stage, amount) "
            "VALUES (?, ?, ?, 'Discovery', ?)",
            [
                (f"O{next(ids)}", rep, week_day(week) + timedelta(hours=i), amount)
                for week, n in enumerate(weekly)
                for i in range(n)
            ],
        )

    def closed(rep: str, won: int, lost: int) -> None:
        """Deals created in September 2024 and closed in January 2025 (inside the window)."""
        con.executemany(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "stage, is_won, amount) VALUES (?, ?, '2024-09-02', '2025-01-10', ?, ?, 1000)",
            [(f"C{next(ids)}", rep, "Closed Won", True) for _ in range(won)]
            + [(f"C{next(ids)}", rep, "Closed Lost", False) for _ in range(lost)],
        )

    return {"calls": calls, "deals": deals, "closed": closed}


def test_rep_whose_calls_fell_below_half_their_usual_week_is_a_finding(
    store: Any, crm: Any
) -> None:
    crm["calls"]("R1", [2] + [20] * 8)  # the last 7 days first
    crm["calls"]("R2", [20] * 9)
    crm["deals"]("R1", [1] * 9)
    crm["deals"]("R2", [1] * 9)
    crm["closed"]("R1", won=4, lost=6)
    crm["closed"]("R2", won=8, lost=2)

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.scope, finding.id, finding.cause) == ("rep", "R1", "activity_drop")
    calls = finding.evidence["calls_per_week"]
    assert (calls["rep"], calls["usual"]) == (2, 20)
    # 18 calls short × 500 pipeline per call (80,000 over 160 calls) = 9,000 a week.
    assert finding.evidence["pipeline_not_created_per_week"] == pytest.approx(9_000)
    assert finding.evidence["win_rate"] == pytest.approx(0.4)
    assert finding.bookings_at_stake == pytest.approx(9_000 * WEEKS_LEFT * 0.4)
    assert finding.severity == "medium"  # 15,943 of a 100,000 target
    assert "calls 2 in the last 7 days against a usual 20 a week" in finding.explanation
    assert 1 <= len(finding.actions) <= 3 and 2 <= len(finding.questions) <= 4


def test_thin_coverage_is_evidence_not_a_finding_of_its_own(store: Any, crm: Any) -> None:
    crm["calls"]("R1", [2] + [20] * 8)
    crm["calls"]("R2", [20] * 9)
    crm["deals"]("R1", [1] * 9)

    ctx = build_context(store, as_of=AS_OF)
    findings = detect(ctx).findings

    assert not next(row for row in ctx.report.coverage if row.id == "R2").healthy
    assert [f.id for f in findings] == ["R1"]
    coverage = findings[0].evidence["coverage"]
    assert coverage["rep"] < coverage["healthy"] == 3.0


def test_few_closed_deals_value_the_drop_at_the_company_win_rate(store: Any, crm: Any) -> None:
    crm["calls"]("R1", [2] + [20] * 8)
    crm["deals"]("R1", [1] * 9)
    crm["closed"]("R1", won=4, lost=6)
    crm["closed"]("R2", won=8, lost=2)

    [finding] = detect(build_context(store, as_of=AS_OF), Thresholds(min_closed_deals=11)).findings

    assert finding.evidence["win_rate"] == pytest.approx(12 / 20)
    assert finding.evidence["win_rate_source"] == "company win rate"


def test_steady_reps_have_no_finding(store: Any, crm: Any) -> None:
    crm["calls"]("R1", [19] + [20] * 8)
    crm["calls"]("R2", [20] * 9)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_skips_without_activities_or_new_opportunities(store: Any, crm: Any) -> None:
    detection = detect(build_context(store, as_of=AS_OF))

    assert detection.findings == []
    [skip] = detection.skipped
    assert skip.cause == "activity_drop" and "no activities" in skip.reason
