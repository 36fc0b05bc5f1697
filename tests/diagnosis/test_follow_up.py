"""Follow-up: reps who let follow-ups and tasks go overdue and let open deals go dark."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import duckdb
import pytest

from attain.diagnosis.context import build_context
from attain.diagnosis.follow_up import Thresholds, detect

AS_OF = date(2025, 3, 1)
"""The window is 30 August 2024 to 28 February 2025; deals quiet since 30 January are dark."""
DUE = datetime(2024, 12, 2, 10)
MEETING = datetime(2024, 10, 15, 14)

Crm = Callable[..., None]


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Crm:
    """Add a rep who owed `owed` follow-ups in the window and never did `overdue` of them,
    with `won` and `lost` deals closed in the window (each touched by one meeting) and open
    deals last touched on the given dates."""
    ids = count()

    def rep(
        rep_id: str,
        owed: int,
        overdue: int,
        won: int = 1,
        lost: int = 3,
        open_touched: tuple[datetime, ...] = (),
        role: str = "rep",
    ) -> None:
        con.execute(
            "INSERT INTO reps (rep_id, name, role, hire_date) VALUES (?, ?, ?, '2020-01-01')",
            [rep_id, rep_id, role],
        )
        acts = [
            (
                f"A{next(ids)}",
                rep_id,
                "follow_up",
                DUE - timedelta(days=1),
                DUE + timedelta(hours=i),
                None if i < overdue else DUE + timedelta(hours=i + 1),
                None,
            )
            for i in range(owed)
        ]
        for outcome in [True] * won + [False] * lost:
            deal = f"O{next(ids)}"
            con.execute(
                "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
                "is_won, stage, amount) VALUES (?, ?, '2024-10-01', '2024-11-01', ?, ?, 10000)",
                [deal, rep_id, outcome, "Won" if outcome else "Lost"],
            )
            acts.append((f"A{next(ids)}", rep_id, "meeting", MEETING, None, None, deal))
        for when in open_touched:
            deal = f"O{next(ids)}"
            con.execute(
                "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, stage, "
                "amount) VALUES (?, ?, '2024-09-01', 'Proposal', 20000)",
                [deal, rep_id],
            )
            acts.append((f"A{next(ids)}", rep_id, "call", when, None, None, deal))
        con.executemany(
            "INSERT INTO activities (activity_id, rep_id, type, occurred_at, due_at, "
            "completed_at, opportunity_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            acts,
        )

    return rep


RECENT = datetime(2025, 2, 20)
QUIET = datetime(2024, 12, 15)


def test_rep_leaving_many_follow_ups_overdue_is_a_finding_valued_at_gone_dark_deals(
    store: Any, crm: Crm
) -> None:
    crm("R1", owed=40, overdue=12, won=0, lost=4, open_touched=(QUIET, QUIET, RECENT))
    for peer in ("R2", "R3", "R4"):
        crm(peer, owed=40, overdue=1, open_touched=(RECENT,))

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.id, finding.cause) == ("R1", "follow_up")
    evidence = finding.evidence
    assert (evidence["owed"], evidence["overdue"], evidence["overdue_share"]) == (40, 12, 0.3)
    assert evidence["peer_overdue_share"] == pytest.approx(3 / 120)
    assert evidence["p_value"] < 1e-5
    assert (evidence["open_deals"], evidence["gone_dark_deals"]) == (3, 2)
    assert evidence["peer_gone_dark_share"] == 0.0
    assert evidence["gone_dark_amount"] == 40_000
    assert len(evidence["gone_dark_examples"]) == 2
    assert evidence["lost_ending_on_meeting_share"] == 1.0
    # No top performers are classified, so every seller is the benchmark: 3 won of 16 closed.
    assert evidence["top_win_rate"] == pytest.approx(3 / 16)
    assert finding.bookings_at_stake == pytest.approx(40_000 * 3 / 16)
    assert finding.explanation.startswith("30% of the 40 follow-ups and tasks due from this rep")


def test_follow_up_done_after_as_of_was_overdue_at_as_of(
    store: Any, crm: Crm, con: duckdb.DuckDBPyConnection
) -> None:
    crm("R1", owed=40, overdue=0)
    for peer in ("R2", "R3", "R4"):
        crm(peer, owed=40, overdue=1)
    con.execute(
        "UPDATE activities SET completed_at = '2025-03-05' "
        "WHERE rep_id = 'R1' AND activity_id IN "
        "(SELECT activity_id FROM activities WHERE rep_id = 'R1' AND type = 'follow_up' "
        "ORDER BY activity_id LIMIT 12)"
    )

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert finding.evidence["overdue"] == 12


def test_overdue_share_near_the_peers_is_not_a_finding(store: Any, crm: Crm) -> None:
    crm("R1", owed=40, overdue=2)
    for peer in ("R2", "R3", "R4"):
        crm(peer, owed=40, overdue=1)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_rep_with_few_follow_ups_is_not_judged(store: Any, crm: Crm) -> None:
    crm("R1", owed=10, overdue=6)
    for peer in ("R2", "R3", "R4"):
        crm(peer, owed=40, overdue=1)
    ctx = build_context(store, as_of=AS_OF)

    assert detect(ctx).findings == []
    assert [f.id for f in detect(ctx, Thresholds(min_owed=10)).findings] == ["R1"]


def test_people_who_do_not_sell_are_not_judged(store: Any, crm: Crm) -> None:
    crm("S1", owed=40, overdue=30, role="sdr")
    for peer in ("R2", "R3", "R4"):
        crm(peer, owed=40, overdue=1)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_skips_without_follow_ups_or_tasks_due(store: Any, crm: Crm) -> None:
    crm("R1", owed=0, overdue=0)

    detection = detect(build_context(store, as_of=AS_OF))

    assert detection.findings == []
    [skip] = detection.skipped
    assert skip.reason == "no follow-ups or tasks with a due date in the last 6 months"
