"""Sales–marketing misalignment: reps who reject, ignore or sit on the leads handed to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from diagnosis_support import PEERS, five_sellers

from attain.diagnosis.context import DiagnosisContext, build_context
from attain.diagnosis.marketing_alignment import detect
from attain.store import raw_duckdb

AS_OF = date(2025, 3, 1)
"""The window is 31 August 2024 to 28 February 2025; leads handed over from 14 February on
are too new to judge, so 168 days are judged. The current period, Q1 2025, has 90 days."""
FIRST_LEAD = datetime(2024, 10, 1, 9)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, DiagnosisContext]]:
    """Five selling reps with Q1 quotas (and one who left in 2023), and their context.

    Built once: the context depends only on the roster and quotas, so each test adds its own
    leads and deals to the same store.
    """
    backend = five_sellers(tmp_path_factory.mktemp("marketing_alignment"))
    yield backend, build_context(backend, as_of=AS_OF)
    backend.disconnect()


@pytest.fixture
def crm(org: tuple[Any, DiagnosisContext]) -> Any:
    """The organisation with no leads or deals yet; `crm.leads(...)` adds leads with an outcome."""
    backend, ctx = org
    con = raw_duckdb(backend)
    for table in ("leads", "opportunities"):
        con.execute(f"DELETE FROM {table}")
    ids = count()

    class Crm:
        def __init__(self) -> None:
            self.ctx, self.con = ctx, con

        def leads(
            self,
            rep_id: str,
            n: int,
            outcome: str,
            accept_hours: float = 24.0,
            source: str = "webinar",
            reason: str = "not_a_fit",
            first: datetime = FIRST_LEAD,
        ) -> None:
            """`n` leads, one a day from `first`: MQL an hour after creation, SQL two hours
            later, touched by sales with the SQL; then `accepted` `accept_hours` after the MQL,
            `rejected` a day after the SQL, or `untouched` (no touch, no decision)."""
            rows = []
            for i in range(n):
                created = first + timedelta(days=i)
                mql = created + timedelta(hours=1)
                sql = mql + timedelta(hours=2)
                accepted = mql + timedelta(hours=accept_hours) if outcome == "accepted" else None
                rejected = sql + timedelta(days=1) if outcome == "rejected" else None
                touch = None if outcome == "untouched" else sql
                why = reason if outcome == "rejected" else None
                lead = f"L{next(ids)}"
                rows.append(
                    (lead, created, source, rep_id, mql, sql, accepted, rejected, why, touch)
                )
            con.executemany(
                "INSERT INTO leads (lead_id, created_at, source, owner_rep_id, mql_at, sql_at, "
                "accepted_at, rejected_at, rejection_reason, first_sales_touch_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        def won_from_lead(self, rep_id: str, amount: float) -> None:
            """A deal from one of the rep's leads, won in January."""
            con.execute(
                "INSERT INTO opportunities (opportunity_id, owner_rep_id, lead_id, created_at, "
                "closed_at, stage, is_won, amount) "
                "VALUES (?, ?, 'L0', '2024-12-02', '2025-01-15', 'Closed Won', true, ?)",
                [f"O{next(ids)}", rep_id, amount],
            )

    return Crm()


def aligned_peers(crm: Any) -> None:
    """Four peers: of 28 leads each, 25 accepted a day after the MQL, 3 rejected; two wins of
    10,000 each from leads."""
    for peer in PEERS:
        crm.leads(peer, 25, "accepted")
        crm.leads(peer, 3, "rejected")
        crm.won_from_lead(peer, 10_000)
        crm.won_from_lead(peer, 10_000)


def test_rep_rejecting_and_ignoring_leads_and_accepting_late_is_a_finding(crm: Any) -> None:
    aligned_peers(crm)
    crm.leads("R1", 15, "accepted", accept_hours=160)
    crm.leads("R1", 10, "rejected", source="paid_search", reason="not_a_fit")
    crm.leads("R1", 5, "rejected", source="paid_search", reason="no_budget")
    crm.leads("R1", 6, "untouched")

    [finding] = detect(crm.ctx).findings

    assert (finding.id, finding.cause) == ("R1", "marketing_alignment")
    evidence = finding.evidence
    # Everyone is the benchmark here (no top performers yet): 148 leads, 27 rejected.
    assert evidence["benchmark"] == "all selling reps" and evidence["handed_over_leads"] == 36
    assert evidence["accepted_share"] == {"rep": pytest.approx(15 / 36), "top": 115 / 148}
    assert evidence["rejected_share"]["rep"] == pytest.approx(15 / 36)
    assert evidence["rejected_share"]["top"] == pytest.approx(27 / 148)
    assert evidence["untouched_share"]["rep"] == pytest.approx(6 / 36)
    assert evidence["mql_to_accepted_hours"]["rep"] == 160
    assert evidence["mql_to_accepted_hours"]["top"] == 24
    assert evidence["rejection_reasons"] == {"not_a_fit": 10, "no_budget": 5}
    assert evidence["by_source"]["paid_search"] == {
        "n": 15,
        "accepted": 0.0,
        "rejected": 1.0,
        "top_accepted": 0.0,
        "top_rejected": 1.0,
    }
    assert evidence["by_source"]["webinar"]["accepted"] == pytest.approx(15 / 21, abs=1e-3)
    assert evidence["by_source"]["webinar"]["top_rejected"] == pytest.approx(12 / 133, abs=1e-3)
    assert evidence["signals"] == ["rejections", "untouched_leads", "slow_acceptance"]
    # 21 of 36 leads lost against 33 of 148, over 168 judged days, scaled to 90; each accepted
    # lead brings the benchmark 80,000 / 115 in bookings.
    excess = (21 / 36 - 33 / 148) * 36 * 90 / 168
    assert finding.bookings_at_stake == pytest.approx(excess * 80_000 / 115)
    assert "rejected 42%" in finding.explanation and "160 h" in finding.explanation


def test_healthy_team_has_no_findings(crm: Any) -> None:
    aligned_peers(crm)
    crm.leads("R1", 24, "accepted", accept_hours=30)
    crm.leads("R1", 5, "rejected")
    crm.leads("R1", 1, "untouched")

    assert detect(crm.ctx).findings == []


def test_more_quick_rejections_alone_are_not_enough(crm: Any) -> None:
    """10 of 30 rejected against 22 of 148 for everyone: 18 points above, past the 15-point
    gap but short of the 30 that would make rejections decisive alone."""
    aligned_peers(crm)
    crm.leads("R1", 20, "accepted")
    crm.leads("R1", 10, "rejected")

    assert detect(crm.ctx).findings == []


def test_rejecting_half_the_leads_is_decisive_alone(crm: Any) -> None:
    """15 of 30 rejected against 27 of 148 for everyone: 32 points above (at least twice the
    15-point gap) with p far below 0.01 / 3, so no second signal is needed."""
    aligned_peers(crm)
    crm.leads("R1", 15, "accepted")
    crm.leads("R1", 15, "rejected")

    [finding] = detect(crm.ctx).findings

    assert finding.evidence["signals"] == ["rejections"]
    assert finding.evidence["decisive"] == ["rejections"]


def test_rep_with_too_few_handed_over_leads_is_not_judged(crm: Any) -> None:
    aligned_peers(crm)
    crm.leads("R1", 4, "accepted", accept_hours=160)
    crm.leads("R1", 6, "rejected")
    crm.leads("R1", 4, "untouched")

    assert detect(crm.ctx).findings == []


def test_leads_handed_over_in_the_last_two_weeks_are_not_judged(crm: Any) -> None:
    aligned_peers(crm)
    crm.leads("R1", 15, "accepted", accept_hours=160)
    crm.leads("R1", 15, "rejected")
    crm.leads("R1", 10, "untouched", first=datetime(2025, 2, 16, 9))

    [finding] = detect(crm.ctx).findings

    assert finding.evidence["handed_over_leads"] == 30
    assert finding.evidence["untouched_share"]["rep"] == 0.0


def test_skips_when_there_are_no_leads(crm: Any) -> None:
    assert [(s.cause, s.reason) for s in detect(crm.ctx).skipped] == [
        ("marketing_alignment", "no leads in the store")
    ]


def test_skips_when_no_lead_was_qualified(crm: Any) -> None:
    crm.leads("R1", 10, "accepted")
    crm.con.execute("UPDATE leads SET mql_at = NULL, sql_at = NULL")

    [skip] = detect(crm.ctx).skipped

    assert "mql_at and sql_at are empty" in skip.reason


def test_skips_when_leads_carry_no_decisions(crm: Any) -> None:
    crm.leads("R1", 10, "untouched")

    [skip] = detect(crm.ctx).skipped

    assert "accepted_at, rejected_at" in skip.reason
