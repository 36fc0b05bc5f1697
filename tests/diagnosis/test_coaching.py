"""Coaching: sellers left without regular one-on-ones, shadowing or, when struggling, a program."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import duckdb
import pytest

from attain.diagnosis.coaching import detect
from attain.diagnosis.context import build_context

AS_OF = date(2025, 3, 1)
"""The window is 30 August 2024 to 28 February 2025; six weeks before as_of is 18 January."""
QUARTERS = [
    ("2024-01-01", "2024-03-31"),
    ("2024-04-01", "2024-06-30"),
    ("2024-07-01", "2024-09-30"),
    ("2024-10-01", "2024-12-31"),
    ("2025-01-01", "2025-03-31"),
]

Crm = Callable[..., None]


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Crm:
    """Add a selling rep coached by M1: one-on-ones every two weeks until `last_one_on_one`,
    shadowed on `shadows` (dates), and program sessions on `programs` (dates)."""
    ids = count()
    con.execute(
        "INSERT INTO reps (rep_id, name, role, hire_date) VALUES ('M1', 'M1', 'manager', "
        "'2015-01-01')"
    )

    def rep(
        rep_id: str,
        last_one_on_one: datetime = datetime(2025, 2, 24, 10),
        shadows: tuple[datetime, ...] = (datetime(2024, 5, 6), datetime(2024, 10, 7)),
        programs: tuple[datetime, ...] = (),
    ) -> None:
        con.execute(
            "INSERT INTO reps (rep_id, name, role, hire_date) VALUES (?, ?, 'rep', '2020-01-01')",
            [rep_id, rep_id],
        )
        sessions = [("one_on_one", last_one_on_one - timedelta(weeks=2 * k), 30) for k in range(30)]
        sessions += [("shadow", when, 90) for when in shadows]
        sessions += [("program", when, 120) for when in programs]
        con.executemany(
            "INSERT INTO coaching_sessions (session_id, rep_id, coach_rep_id, kind, occurred_at, "
            "duration_min) VALUES (?, ?, 'M1', ?, ?, ?)",
            [(f"S{next(ids)}", rep_id, kind, when, minutes) for kind, when, minutes in sessions],
        )

    return rep


def quotas(con: duckdb.DuckDBPyConnection, *reps: str) -> None:
    """Bookings targets of 100,000 in every quarter of 2024 and Q1 2025 (none booked yet)."""
    con.executemany(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES (?, ?, ?, 'bookings', 100000, NULL)",
        [(rep, start, end) for rep in reps for start, end in QUARTERS],
    )


def test_seller_without_one_on_ones_or_shadowing_is_a_finding(store: Any, crm: Crm) -> None:
    crm("R1", last_one_on_one=datetime(2024, 12, 20, 10), shadows=(datetime(2024, 1, 15),))
    for peer in ("R2", "R3", "R4"):
        crm(peer)

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.id, finding.cause) == ("R1", "coaching")
    evidence = finding.evidence
    assert evidence["last_one_on_one"] == "2024-12-20"
    assert evidence["weeks_since_one_on_one"] == pytest.approx(71 / 7)
    assert evidence["shadows_last_12_months"] == 0
    assert evidence["failed_checks"] == ["no_recent_one_on_one", "too_few_shadows"]
    # Eight one-on-ones of 30 minutes since 31 August; the others had 13 and a 90-minute shadow.
    assert evidence["coaching_minutes"] == 240
    assert evidence["class_median_minutes"] == 480
    assert finding.explanation.startswith(
        "Coaching gaps for this rep: last one-on-one 10 weeks ago; shadowed 0 times in the last "
        "12 months."
    )


def test_stake_is_the_win_rate_gap_to_top_performers_times_open_pipeline(
    store: Any, con: duckdb.DuckDBPyConnection, crm: Crm
) -> None:
    crm("R1", last_one_on_one=datetime(2024, 12, 20, 10), shadows=())
    crm("R2")
    quotas(con, "R1", "R2")
    deals = [  # R2 books 120,000 every quarter of 2024: a top performer
        (f"W{k}", "R2", f"2024-{month:02d}-15", True, 120_000.0, None)
        for k, month in enumerate((2, 5, 9, 11))
    ]
    deals += [("L1", "R2", "2024-10-01", False, 5_000.0, None)]
    deals += [("L2", "R2", "2024-12-01", False, 5_000.0, None)]
    deals += [("W9", "R1", "2024-10-01", True, 10_000.0, None)]
    deals += [(f"L{k}", "R1", "2024-11-01", False, 5_000.0, None) for k in (3, 4, 5)]
    deals += [("OPEN", "R1", None, None, 80_000.0, "2025-03-20")]
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
        "is_won, stage, amount, expected_close_date) VALUES (?, ?, '2024-01-02', ?, ?, 'x', ?, ?)",
        deals,
    )

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert finding.id == "R1"
    # In the window R2 won 2 of 4 closed deals and R1 1 of 4; R1 has 80,000 closing this quarter.
    assert (finding.evidence["benchmark_win_rate"], finding.evidence["win_rate"]) == (0.5, 0.25)
    assert finding.evidence["open_pipeline"] == 80_000
    assert finding.bookings_at_stake == pytest.approx(0.25 * 80_000)
    assert finding.severity == "high"  # 20,000 of a 100,000 target


def test_one_missed_check_alone_is_not_a_finding(store: Any, crm: Crm) -> None:
    crm("R1", shadows=(datetime(2024, 10, 7),))  # shadowed once in 12 months, 1:1s on time
    crm("R2", last_one_on_one=datetime(2025, 1, 10, 10))  # 1:1 seven weeks ago, shadowed twice
    crm("R3")

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_no_one_on_one_for_28_weeks_is_a_finding_alone_even_with_good_numbers(
    store: Any, crm: Crm
) -> None:
    """Shadowed twice in 12 months and no deals at stake, but the last one-on-one was 28 weeks
    ago: at least twice the 6 weeks, so one check decides. 28 weeks is over 4 x 6, so the
    management scale ranks it high though nothing is at stake."""
    crm("R1", last_one_on_one=datetime(2024, 8, 17, 10))
    crm("R2")
    crm("R3")

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert finding.id == "R1"
    assert finding.evidence["failed_checks"] == ["no_recent_one_on_one"]
    assert finding.bookings_at_stake == 0
    assert (finding.severity, finding.evidence["management_severity"]) == ("high", "high")


def test_a_one_on_one_gap_of_twelve_weeks_alone_ranks_medium(store: Any, crm: Crm) -> None:
    crm("R1", last_one_on_one=datetime(2024, 12, 7, 10))  # 12 weeks before 1 March
    crm("R2")

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.id, finding.severity) == ("R1", "medium")


def test_one_on_one_exactly_six_weeks_ago_is_on_time(store: Any, crm: Crm) -> None:
    crm("R1", last_one_on_one=datetime(2025, 1, 18, 10), shadows=())
    crm("R2")

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_under_performer_without_a_program_and_a_late_one_on_one_is_a_finding(
    store: Any, con: duckdb.DuckDBPyConnection, crm: Crm
) -> None:
    crm("R1", last_one_on_one=datetime(2025, 1, 10, 10))
    crm("R2", last_one_on_one=datetime(2025, 1, 10, 10), programs=(datetime(2024, 11, 4),))
    crm("R3")
    quotas(con, "R1", "R2", "R3")  # nothing booked: all three under-perform

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert finding.id == "R1"
    assert finding.evidence["performance_class"] == "under_performer"
    assert finding.evidence["failed_checks"] == [
        "no_recent_one_on_one",
        "under_performer_without_program",
    ]


def test_skips_without_coaching_sessions(store: Any, con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO reps (rep_id, name, role, hire_date) VALUES ('R1', 'R1', 'rep', '2020-01-01')"
    )

    detection = detect(build_context(store, as_of=AS_OF))

    assert detection.findings == []
    [skip] = detection.skipped
    assert (skip.cause, skip.reason) == ("coaching", "no coaching sessions are recorded")
