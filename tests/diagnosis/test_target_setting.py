"""Target setting: ratcheted quotas are findings; a goal failing a SMART letter alone is not."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from attain.diagnosis.context import build_context
from attain.diagnosis.target_setting import detect

AS_OF = date(2025, 3, 1)
Q3, Q4, Q1 = (
    ("2024-07-01", "2024-09-30"),
    ("2024-10-01", "2024-12-31"),
    ("2025-01-01", "2025-03-31"),
)

RATCHETED = [
    (Q3, 100_000, None),
    (Q4, 100_000, None),
    (Q1, 100_000, "2024-12-20 09:00"),
    (Q1, 120_000, "2025-01-20 09:00"),
    (Q1, 150_000, "2025-02-10 09:00"),
]
"""Q1's target raised twice within the quarter, from 100,000 to 150,000."""


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Any:
    """Team T1 (and X1, who left in 2023); add reps with quota revisions and bookings."""
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'East')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date, end_date) "
        "VALUES ('X1', 'X1', 'T1', 'rep', '2020-01-01', '2023-06-30')"
    )

    def rep(
        rep_id: str, quotas: list[tuple[tuple[str, str], float, str | None]], sold: float
    ) -> None:
        """Quota rows (period, target, set_at) and one won deal of `sold` in Q3 and in Q4."""
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role, hire_date) "
            "VALUES (?, ?, 'T1', 'rep', '2020-01-01')",
            [rep_id, rep_id],
        )
        for (start, end), target, set_at in quotas:
            con.execute(
                "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
                "VALUES (?, ?, ?, 'bookings', ?, ?)",
                [rep_id, start, end, target, set_at],
            )
        con.executemany(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "stage, is_won, amount) VALUES (?, ?, '2024-06-01', ?, 'Closed Won', true, ?)",
            [(f"{rep_id}-{day}", rep_id, day, sold) for day in ("2024-08-15", "2024-11-15")],
        )

    return rep


def test_quota_raised_twice_within_the_quarter_is_a_finding_with_its_history(
    store: Any, crm: Any
) -> None:
    crm(
        "R1",
        RATCHETED,
        sold=92_000,
    )

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.scope, finding.id, finding.cause) == ("rep", "R1", "target_setting")
    assert [s["kind"] for s in finding.evidence["ratchet_signals"]] == ["repeated_raises"]
    history = [h["target"] for h in finding.evidence["quota_history"]]
    assert history[-3:] == [100_000, 120_000, 150_000]
    # R1 sells 92,000 in a 92-day quarter: 1,000 a day, 90,000 over Q1's 90 days.
    target = finding.evidence["bookings_target"]
    assert (target["rep"], target["usual"]) == (150_000, pytest.approx(90_000))
    assert finding.bookings_at_stake == pytest.approx(150_000 - 90_000)
    assert target["at_period_start"] == 100_000
    assert finding.severity == "high"  # 60,000 is over 20% of the 100,000 target in force
    assert "target raised 2 times for 2025-Q1" in finding.explanation


def test_failing_smart_letters_are_evidence_of_a_ratcheting_finding(store: Any, crm: Any) -> None:
    crm(
        "R1",
        RATCHETED,
        sold=92_000,
    )

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    [failed] = finding.evidence["goal_checks_failed"]
    assert failed["letter"] == "A" and "needs 1.1× last period's 92,000" in failed["reason"]


def test_a_goal_out_of_reach_after_a_poor_quarter_alone_is_not_a_finding(
    store: Any, crm: Any
) -> None:
    crm("R1", [(Q3, 100_000, None), (Q4, 100_000, None), (Q1, 100_000, None)], sold=92_000)
    crm("R2", [(Q3, 100_000, None), (Q4, 100_000, None), (Q1, 100_000, None)], sold=10_000)
    ctx = build_context(store, as_of=AS_OF)

    [check] = [c for c in ctx.report.goals if c.goal.owners == ("R2",)]
    assert [letter.letter for letter in check.letters if letter.passed is False] == ["A"]
    assert detect(ctx).findings == []


def test_skips_without_quotas_or_targets(store: Any, crm: Any) -> None:
    crm("R1", [], sold=92_000)

    detection = detect(build_context(store, as_of=AS_OF))

    assert detection.findings == []
    [skip] = detection.skipped
    assert skip.cause == "target_setting" and "no quotas" in skip.reason
