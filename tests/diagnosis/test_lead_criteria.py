"""No lead criteria: reps whose leads and deals fall outside the ideal customer profile."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from diagnosis_support import PEERS, five_sellers

from attain.diagnosis.context import DiagnosisContext, build_context
from attain.diagnosis.lead_criteria import detect
from attain.leads.icp import IcpSettings
from attain.store import raw_duckdb

AS_OF = date(2025, 3, 1)
"""The window is 31 August 2024 to 28 February 2025; the current period is Q1 2025."""
ICP = IcpSettings(
    industries=("Software",), min_employees=200, max_employees=5000, countries=("US", "DE")
)
COMPANIES = {
    "fit": ("Software", 1000, "US"),
    "retail": ("Retail", 1000, "US"),
    "small": ("Software", 50, "US"),
}
"""Industry, employees and country of the kinds of company leads and accounts come from."""


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, DiagnosisContext]]:
    """Five selling reps with Q1 quotas (and one who left in 2023), one account of each kind of
    company, and their context with the profile above.

    Built once: the context depends only on the roster and quotas, so each test adds its own
    leads and deals to the same store.
    """
    backend = five_sellers(tmp_path_factory.mktemp("lead_criteria"))
    con = raw_duckdb(backend)
    con.executemany(
        "INSERT INTO accounts (account_id, name, industry, employees, country) "
        "VALUES (?, ?, ?, ?, ?)",
        [(kind, kind, *company) for kind, company in COMPANIES.items()],
    )
    yield backend, build_context(backend, as_of=AS_OF, icp=ICP)
    backend.disconnect()


@pytest.fixture
def crm(org: tuple[Any, DiagnosisContext]) -> Any:
    """The organisation with no leads or deals yet: `crm.leads(...)` and `crm.deals(...)` add
    them, `crm.ctx` is the diagnosis context."""
    backend, ctx = org
    con = raw_duckdb(backend)
    for table in ("leads", "opportunities"):
        con.execute(f"DELETE FROM {table}")
    ids = count()

    class Crm:
        def __init__(self) -> None:
            self.ctx, self.con = ctx, con

        def leads(self, rep_id: str, kind: str, n: int, created: str = "2024-10-01") -> list[str]:
            """`n` leads from companies of `kind`, one a day from `created`; their ids."""
            industry, employees, country = COMPANIES[kind]
            first = datetime.fromisoformat(created)
            lead_ids = [f"L{next(ids)}" for _ in range(n)]
            con.executemany(
                "INSERT INTO leads (lead_id, created_at, owner_rep_id, industry, employees, "
                "country) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (lead, first + timedelta(days=i), rep_id, industry, employees, country)
                    for i, lead in enumerate(lead_ids)
                ],
            )
            return lead_ids

        def deals(self, rep_id: str, kind: str, n: int, won: int, account: bool = True) -> None:
            """`n` deals with an account of `kind` opened in November and closed in January,
            the first `won` won; with `account=False`, with a lead of `kind` instead."""
            for i in range(n):
                lead = None if account else self.leads(rep_id, kind, 1, "2024-06-03")[0]
                con.execute(
                    "INSERT INTO opportunities (opportunity_id, owner_rep_id, account_id, "
                    "lead_id, created_at, closed_at, stage, is_won, amount) "
                    "VALUES (?, ?, ?, ?, '2024-11-04', '2025-01-15', ?, ?, 10000)",
                    [
                        f"O{next(ids)}",
                        rep_id,
                        kind if account else None,
                        lead,
                        "Closed Won" if i < won else "Closed Lost",
                        i < won,
                    ],
                )

        def open_deal(self, rep_id: str, amount: float) -> None:
            """An in-profile deal opened before the window, expected to close in March."""
            con.execute(
                "INSERT INTO opportunities (opportunity_id, owner_rep_id, account_id, "
                "created_at, expected_close_date, stage, amount) "
                "VALUES (?, ?, 'fit', '2024-08-01', '2025-03-20', 'Proposal', ?)",
                [f"O{next(ids)}", rep_id, amount],
            )

    return Crm()


def peers_in_profile(crm: Any) -> None:
    """Four peers: 27 of 30 leads and 16 of 18 deals in profile; half the in-profile deals
    won, none of the others."""
    for peer in PEERS:
        crm.leads(peer, "fit", 27)
        crm.leads(peer, "retail", 3)
        crm.deals(peer, "fit", 16, won=8)
        crm.deals(peer, "retail", 2, won=0)


def test_rep_working_mostly_off_profile_leads_and_deals_is_a_finding(crm: Any) -> None:
    peers_in_profile(crm)
    crm.leads("R1", "fit", 10)
    crm.leads("R1", "retail", 15)
    crm.leads("R1", "small", 5)
    crm.deals("R1", "fit", 6, won=3)
    crm.deals("R1", "retail", 12, won=2)
    crm.open_deal("R1", 100_000)

    [finding] = detect(crm.ctx).findings

    assert (finding.id, finding.cause) == ("R1", "lead_criteria")
    leads, deals = (
        finding.evidence["off_profile_lead_share"],
        finding.evidence["off_profile_deal_share"],
    )
    # Everyone is the benchmark here (no top performers yet).
    assert finding.evidence["benchmark"] == "all selling reps"
    assert (leads["rep"], leads["top"], leads["n"]) == (pytest.approx(20 / 30), 32 / 150, 30)
    assert (deals["rep"], deals["top"], deals["n"]) == (pytest.approx(12 / 18), 20 / 90, 18)
    assert finding.evidence["off_profile_lead_reasons"] == {
        "industry": 15,
        "company_size": 5,
        "country": 0,
    }
    assert finding.evidence["win_rate_in_profile"] == {"rep": 0.5, "all_reps": 35 / 70}
    assert finding.evidence["win_rate_off_profile"] == {"rep": 2 / 12, "all_reps": 2 / 20}
    # (2/3 − 20/90) excess off-profile share × 100,000 open × (0.5 − 0.1) win-rate gap.
    assert finding.bookings_at_stake == pytest.approx((2 / 3 - 20 / 90) * 100_000 * 0.4)
    assert "67% of new leads" in finding.explanation
    assert "in-profile deals win 50% and off-profile 10%" in finding.explanation


def test_healthy_team_has_no_findings(crm: Any) -> None:
    peers_in_profile(crm)
    crm.leads("R1", "fit", 25)
    crm.leads("R1", "retail", 5)
    crm.deals("R1", "fit", 15, won=7)
    crm.deals("R1", "small", 3, won=0)

    assert detect(crm.ctx).findings == []


def test_rep_with_too_few_leads_and_deals_is_not_judged(crm: Any) -> None:
    peers_in_profile(crm)
    crm.leads("R1", "retail", 12)
    crm.deals("R1", "retail", 8, won=0)

    assert detect(crm.ctx).findings == []


def test_deals_without_an_account_are_judged_by_their_lead(crm: Any) -> None:
    peers_in_profile(crm)
    crm.deals("R1", "small", 15, won=1, account=False)

    [finding] = detect(crm.ctx).findings

    assert finding.id == "R1"
    assert finding.evidence["off_profile_deal_share"]["rep"] == 1.0
    assert finding.evidence["off_profile_lead_share"]["n"] == 0  # its leads predate the window


def test_skips_without_a_profile_written_or_earlier_deals_to_infer_one(crm: Any) -> None:
    """Every lead and deal here is from the window: nothing decided before it to learn from."""
    peers_in_profile(crm)

    detection = detect(replace(crm.ctx, icp=IcpSettings()))

    assert detection.findings == []
    [skip] = detection.skipped
    assert skip.cause == "lead_criteria"
    assert skip.reason.startswith(
        "no ideal customer profile defined ([icp] in attain.toml), and none could be inferred "
        "from leads decided before 2024-08-31"
    )


def test_without_a_profile_one_is_inferred_from_deals_decided_before_the_window(crm: Any) -> None:
    """Before the window (leads of January 2024, closed in March): 60 Software leads of which
    30 won, 60 Retail leads of which 3 won. `icp suggest` keeps Software (Retail wins clearly
    less), and R1, who works mostly Retail in the window, is judged by that profile."""
    for kind, won in (("fit", 30), ("retail", 3)):
        for i, lead in enumerate(crm.leads("R2", kind, 60, created="2024-01-02")):
            crm.con.execute(
                "INSERT INTO opportunities (opportunity_id, owner_rep_id, lead_id, created_at, "
                "closed_at, stage, is_won, amount) "
                "VALUES (?, 'R2', ?, '2024-02-01', '2024-03-15', 'Closed', ?, 10000)",
                [f"E{lead}", lead, i < won],
            )
    peers_in_profile(crm)
    crm.leads("R1", "fit", 10)
    crm.leads("R1", "retail", 20)

    [finding] = detect(replace(crm.ctx, icp=IcpSettings())).findings

    assert finding.id == "R1"
    profile = finding.evidence["profile"]
    assert profile["source"] == "profile inferred from earlier deals"
    assert profile["rules"] == ['industries = ["Software"]']
    assert profile["decided_before"] == "2024-08-31"
    assert "Profile inferred from earlier deals: industries" in finding.explanation


def test_skips_without_leads_or_deals(crm: Any) -> None:
    [skip] = detect(crm.ctx).skipped

    assert skip.reason == "no leads or opportunities to compare with the ideal customer profile"
