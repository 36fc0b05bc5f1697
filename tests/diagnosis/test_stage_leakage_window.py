"""Stage leakage's window widens to two of the organisation's own sales cycles when they are
longer than the diagnosis window, so a leak in a long-cycle organisation has deals to show in.

The organisation below sells in 180 days: a deal enters Qualify when created, Demo 60 days
later, Negotiate 120 days later and is won 180 days after creation (the median of the won
deals, which is what the detector observes). Every deal was created 380 days before as_of, so
its Demo and Negotiate entries fall 320 and 260 days back: outside the 182-day diagnosis
window, inside two cycles (360 days). Qualify entries (380 days back) are outside both.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any

import duckdb

from attain.diagnosis.context import build_context
from attain.diagnosis.stage_leakage import FunnelTable, Thresholds, detect, funnel_table

AS_OF = date(2025, 3, 1)
FUNNEL = ("Qualify", "Demo", "Negotiate")
STAGE_DAYS = 60
CREATED = datetime.combine(AS_OF, time(9)) - timedelta(days=380)


def _rep(con: duckdb.DuckDBPyConnection, rep_id: str, passed: list[tuple[int, int]]) -> None:
    """A selling rep whose deals pass the stages as told: per stage, (entered, moved on); the
    rest are lost at that stage STAGE_DAYS after entering it, the last stage's movers won."""
    con.execute(
        "INSERT INTO reps (rep_id, name, role, hire_date) VALUES (?, ?, 'rep', '2020-01-01')",
        [rep_id, rep_id],
    )
    plans = [(k, False) for k, (n, moved) in enumerate(passed) for _ in range(n - moved)]
    plans += [(len(passed) - 1, True)] * passed[-1][1]
    deals: list[tuple[Any, ...]] = []
    steps: list[tuple[Any, ...]] = []
    ids = count()
    for last, won in plans:
        deal = f"{rep_id}-{next(ids)}"
        created = CREATED + timedelta(minutes=len(deals))
        steps += [
            (deal, FUNNEL[k], created + timedelta(days=STAGE_DAYS * k)) for k in range(last + 1)
        ]
        closed = created + timedelta(days=STAGE_DAYS * (last + 1))
        steps.append((deal, "Won" if won else "Lost", closed))
        deals.append((deal, rep_id, created, closed, "Won" if won else "Lost", won))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
        "stage, is_won, amount, expected_close_date) VALUES (?, ?, ?, ?, ?, ?, 10000, "
        "'2025-03-20')",
        deals,
    )
    con.executemany(
        "INSERT INTO opportunity_stages VALUES (?, ?, ?, 10000)", [list(s) for s in steps]
    )


def _organisation(con: duckdb.DuckDBPyConnection) -> None:
    """R1 moves 8 of 32 deals on from Demo; three peers 24 of 32."""
    _rep(con, "R1", [(40, 32), (32, 8), (8, 6)])
    for peer in ("R2", "R3", "R4"):
        _rep(con, peer, [(40, 32), (32, 24), (24, 18)])


def test_long_observed_cycle_widens_the_window_and_finds_the_leak(
    store: Any, con: duckdb.DuckDBPyConnection
) -> None:
    _organisation(con)

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    evidence = finding.evidence
    assert (finding.id, evidence["stage"]) == ("R1", "Demo")
    assert (evidence["rep_n"], evidence["rep_rate"]) == (32, 0.25)
    assert evidence["observed_cycle_days"] == 180.0  # every won deal: 3 stages × 60 days
    assert evidence["window_widened"] is True
    assert evidence["window_days"] == 360  # 2 × 180, longer than 182
    assert evidence["window_start"] == (AS_OF - timedelta(days=360)).isoformat()
    assert "2 × the observed sales cycle of 180 days" in evidence["window_reason"]
    assert "in the last 360 days (2 of this organisation's 180-day" in finding.explanation


def test_window_stays_the_diagnosis_window_when_cycles_are_short_enough(
    store: Any, con: duckdb.DuckDBPyConnection
) -> None:
    """With window_cycles 0.5 (90 days < 182) the window is the diagnosis window, which holds
    no stage entry that has left its stage: nothing is counted and nothing found."""
    _organisation(con)
    ctx = build_context(store, as_of=AS_OF)
    thresholds = Thresholds(window_cycles=0.5)

    table = funnel_table(ctx, thresholds)

    assert not isinstance(table, FunnelTable)
    assert table.reason == "no deal entered and left a stage in the last 182 days"
    assert detect(ctx, thresholds).findings == []
