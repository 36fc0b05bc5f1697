"""No lead warming: reps who reach leads days late, work cold leads and open deals late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from diagnosis_support import PEERS, five_sellers

from attain.diagnosis.context import DiagnosisContext, build_context
from attain.diagnosis.lead_warming import Thresholds, detect
from attain.store import raw_duckdb

AS_OF = date(2025, 3, 1)
"""The window is 31 August 2024 to 28 February 2025; the current period is Q1 2025."""
PIPELINE = ("Prospecting", "Qualification", "Discovery", "Proposal")


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, DiagnosisContext]]:
    """Five selling reps with Q1 quotas (and one who left in 2023), and their context.

    Built once: the context depends only on the roster and quotas, so each test adds its own
    leads and deals to the same store.
    """
    backend = five_sellers(tmp_path_factory.mktemp("lead_warming"))
    yield backend, build_context(backend, as_of=AS_OF)
    backend.disconnect()


@pytest.fixture
def crm(org: tuple[Any, DiagnosisContext]) -> Any:
    """The organisation with no leads or deals yet: `crm.leads(...)` and `crm.deals(...)` add
    them, `crm.ctx` is the diagnosis context."""
    backend, ctx = org
    con = raw_duckdb(backend)
    for table in ("leads", "opportunity_stages", "opportunities"):
        con.execute(f"DELETE FROM {table}")
    ids = count()

    class Crm:
        def __init__(self) -> None:
            self.ctx, self.con = ctx, con

        def leads(self, rep_id: str, n: int, touch_hours: float | None, cold: int = 0) -> None:
            """`n` leads, marketing-qualified an hour after creation and first touched
            `touch_hours` after that; the first `cold` have no marketing touch."""
            rows = []
            for i in range(n):
                created = datetime(2024, 10, 1, 9) + timedelta(days=i)
                mql = created + timedelta(hours=1)
                touch = mql + timedelta(hours=touch_hours) if touch_hours is not None else None
                marketing = None if i < cold else created - timedelta(days=3)
                rows.append((f"L{next(ids)}", created, rep_id, mql, marketing, touch))
            con.executemany(
                "INSERT INTO leads (lead_id, created_at, owner_rep_id, mql_at, "
                "first_marketing_touch_at, first_sales_touch_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

        def deals(self, rep_id: str, n: int, won: int, late: int = 0) -> None:
            """`n` closed deals, the first `won` won; the first `late` start at Proposal, the
            others walk the whole pipeline from Prospecting."""
            for i in range(n):
                deal = f"O{next(ids)}"
                created = datetime(2024, 11, 1, 10) + timedelta(days=i)
                path = PIPELINE[3:] if i < late else PIPELINE
                closed = created + timedelta(days=5 * len(path))
                is_won = i < won
                con.execute(
                    "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, "
                    "closed_at, stage, is_won, amount) VALUES (?, ?, ?, ?, ?, ?, 10000)",
                    [
                        deal,
                        rep_id,
                        created,
                        closed,
                        "Closed Won" if is_won else "Closed Lost",
                        is_won,
                    ],
                )
                entries = [
                    (deal, stage, created + timedelta(days=5 * k)) for k, stage in enumerate(path)
                ]
                entries.append((deal, "Closed Won" if is_won else "Closed Lost", closed))
                con.executemany(
                    "INSERT INTO opportunity_stages (opportunity_id, stage, entered_at) "
                    "VALUES (?, ?, ?)",
                    entries,
                )

        def open_deal(self, rep_id: str, amount: float) -> None:
            """A deal opened in February at Prospecting, expected to close in March."""
            deal = f"O{next(ids)}"
            con.execute(
                "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, "
                "expected_close_date, stage, amount) "
                "VALUES (?, ?, '2025-02-03 10:00', '2025-03-20', 'Prospecting', ?)",
                [deal, rep_id, amount],
            )
            con.execute(
                "INSERT INTO opportunity_stages VALUES (?, 'Prospecting', '2025-02-03 10:00', ?)",
                [deal, amount],
            )

    return Crm()


def healthy_peers(crm: Any) -> None:
    """Four peers: leads touched two hours after the MQL, deals opened at Prospecting."""
    for peer in PEERS:
        crm.leads(peer, 30, touch_hours=2)
        crm.deals(peer, 12, won=6)


def test_rep_reaching_leads_days_late_with_cold_leads_and_late_deals_is_a_finding(crm: Any) -> None:
    healthy_peers(crm)
    crm.leads("R1", 30, touch_hours=72, cold=15)
    crm.deals("R1", 12, won=2, late=9)
    crm.open_deal("R1", 100_000)

    [finding] = detect(crm.ctx).findings

    assert (finding.id, finding.cause) == ("R1", "lead_warming")
    hours = finding.evidence["first_touch_hours"]
    assert hours["rep"] == {"p25": 72.0, "median": 72.0, "p75": 72.0, "p90": 72.0, "n": 30}
    # Everyone is the benchmark here (no top performers yet): 120 leads at 2 h, 30 at 72 h.
    assert hours["top"] == {"p25": 2.0, "median": 2.0, "p75": 2.0, "p90": 72.0, "n": 150}
    assert finding.evidence["benchmark"] == "all selling reps"
    assert finding.evidence["no_marketing_touch_share"]["rep"] == 0.5
    assert finding.evidence["no_marketing_touch_share"]["top"] == pytest.approx(15 / 150)
    late = finding.evidence["late_entry_share"]
    assert late["early_stages"] == ["Prospecting", "Qualification"]
    assert late["rep"] == pytest.approx(9 / 13) and late["top"] == pytest.approx(9 / 61)
    assert finding.evidence["signals"] == ["slow_response", "cold_leads", "late_entry"]
    # Win rate 2/12 against 26/60 for everyone, on 100,000 of open pipeline closing in Q1.
    assert finding.bookings_at_stake == pytest.approx((26 / 60 - 2 / 12) * 100_000)
    assert finding.severity == "high"
    assert "median 72 h" in finding.explanation and "after Qualification" in finding.explanation
    assert 2 <= len(finding.questions) <= 4 and 1 <= len(finding.actions) <= 3


def test_healthy_team_has_no_findings(crm: Any) -> None:
    healthy_peers(crm)
    crm.leads("R1", 30, touch_hours=3, cold=2)
    crm.deals("R1", 12, won=5, late=1)

    assert detect(crm.ctx).findings == []


def test_a_moderately_slow_response_alone_is_not_enough(crm: Any) -> None:
    """30 h against the peers' 2 h fires the slow-response signal (at least 24 h and 3x the
    benchmark) but is not decisive (48 h and 6x), so a second signal would have to agree."""
    healthy_peers(crm)
    crm.leads("R1", 30, touch_hours=30)
    crm.deals("R1", 12, won=2)

    assert detect(crm.ctx).findings == []


def test_first_touch_days_after_the_lead_is_decisive_alone(crm: Any) -> None:
    """A first touch 10 days (240 h) after the lead against 2 h for the peers: at least twice
    the minimum gap (48 h and 6x) and p = 0.5^30 < 0.01 / 3, so no second signal is needed."""
    healthy_peers(crm)
    crm.leads("R1", 30, touch_hours=240)
    crm.deals("R1", 12, won=6)

    [finding] = detect(crm.ctx).findings

    assert finding.evidence["signals"] == ["slow_response"]
    assert finding.evidence["decisive"] == ["slow_response"]


def test_rep_with_too_few_leads_and_deals_is_not_judged(crm: Any) -> None:
    healthy_peers(crm)
    crm.leads("R1", 12, touch_hours=72, cold=6)
    crm.deals("R1", 6, won=1, late=5)

    assert detect(crm.ctx).findings == []


def test_without_stage_history_slow_response_and_cold_leads_decide(crm: Any) -> None:
    healthy_peers(crm)
    crm.leads("R1", 30, touch_hours=72, cold=15)
    crm.con.execute("DELETE FROM opportunity_stages")

    [finding] = detect(crm.ctx).findings

    assert finding.id == "R1"
    assert finding.evidence["signals"] == ["slow_response", "cold_leads"]
    assert finding.evidence["late_entry_share"]["early_stages"] == []


def test_thresholds_set_how_many_leads_a_rep_needs(crm: Any) -> None:
    healthy_peers(crm)
    crm.leads("R1", 30, touch_hours=72, cold=15)
    crm.deals("R1", 12, won=2, late=9)
    ctx = crm.ctx

    # 9 of 12 deals entering late would be decisive alone; a high decisive_factor turns that off
    assert detect(ctx, Thresholds(min_leads=31, decisive_factor=10)).findings == []
    assert len(detect(ctx, Thresholds(min_leads=31)).findings) == 1
    assert len(detect(ctx, Thresholds(min_leads=31, min_signals=1)).findings) == 1


def test_skips_when_there_are_no_leads(crm: Any) -> None:
    detection = detect(crm.ctx)

    assert detection.findings == []
    assert [(s.cause, s.reason) for s in detection.skipped] == [
        ("lead_warming", "no leads in the store")
    ]


def test_skips_when_leads_have_no_first_sales_touch(crm: Any) -> None:
    crm.leads("R1", 30, touch_hours=None)

    [skip] = detect(crm.ctx).skipped

    assert "first_sales_touch_at" in skip.reason
