"""No lead criteria: reps who work leads and deals outside the ideal customer profile.

Per seller over the window: the share of their new leads, and of their new opportunities (by the
account's, else the lead's, industry, size, country and title), that fall outside the profile,
compared with the top performers; and how much less often off-profile deals are won.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import binomtest

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import Cause, Detection, Finding, Skip, severity
from attain.leads.icp import IcpSettings, in_profile
from attain.metrics.coverage import open_pipeline

CAUSE: Cause = "lead_criteria"
STAKE_METHOD = (
    "(rep's off-profile share of new deals − benchmark's) × rep's open pipeline expected to "
    "close this period × (in-profile − off-profile win rate of all selling reps)."
)
ACTIONS = (
    "Check every new lead against the ideal customer profile before the first call; hand "
    "off-profile leads back to marketing or nurture instead of working them.",
    "Review open deals outside the profile with the manager and close out those with no "
    "clear path to a decision.",
    "Spend prospecting time on in-profile accounts in the territory first.",
)
QUESTIONS = (
    "How do you decide whether a new lead is worth your time?",
    "Which of your open deals fit our ideal customer, and which do not?",
    "What do you do with a lead that is outside the industries or company sizes we target?",
    "Where do most of your leads come from, and who picks them?",
)
WIN_COUNTS = ("closed_in", "won_in", "closed_out", "won_out")


class Thresholds(BaseModel):
    """When a rep's leads and deals are too often outside the ideal customer profile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_leads: int = Field(
        30, description="New leads a rep needs in the window before their share counts."
    )
    min_deals: int = Field(
        15, description="New opportunities a rep needs in the window before their share counts."
    )
    min_benchmark: int = Field(
        50,
        description="New leads the top performers need together to be the benchmark; with "
        "fewer, all selling reps are.",
    )
    min_gap: float = Field(
        0.20,
        description="Rep's off-profile share minus the benchmark's, at or above (leads or deals).",
    )
    alpha: float = Field(0.01, description="Significance level of the one-sided tests.")


@dataclass(frozen=True)
class _Signal:
    """A rep's off-profile share beside its benchmark, and whether it points to the cause."""

    rep: float | None
    benchmark: float | None
    n: int
    p_value: float | None
    fired: bool


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Flag sellers whose new leads or deals miss the profile far more often than the benchmark."""
    t = thresholds or Thresholds()
    if not ctx.icp.defined:
        return _skip("no ideal customer profile defined ([icp] in attain.toml)")
    backend = ctx.backend
    lead_count = int(backend.execute(backend.table("leads").count()))
    deal_count = int(backend.execute(backend.table("opportunities").count()))
    if lead_count == 0 and deal_count == 0:
        return _skip("no leads or opportunities to compare with the ideal customer profile")
    if not ctx.sellers:
        return _skip("no selling reps employed through the whole window")

    leads = _new_leads(ctx)
    deals = _profiled_deals(ctx)
    new_deals = deals.filter(ctx.in_window(deals.created_at))
    lead_counts = _off_counts(ctx, leads)
    deal_counts = _off_counts(ctx, new_deals)
    benchmark, label = _benchmark(ctx, lead_counts, deal_counts, t)
    lead_bench = _pooled_share(lead_counts, benchmark)
    deal_bench = _pooled_share(deal_counts, benchmark)
    win = _win_counts(ctx, deals)
    everyone = {name: sum(row[name] for row in win.values()) for name in WIN_COUNTS}
    win_in = _rate(everyone, "won_in", "closed_in")
    win_out = _rate(everyone, "won_out", "closed_out")
    win_gap = max(0.0, win_in - win_out) if win_in is not None and win_out is not None else 0.0
    reasons = _off_reasons(ctx, leads)
    pipeline = open_pipeline(
        backend, ctx.as_of, ctx.report.period.end, ctx.performance.timezone
    ).set_index("rep_id")["open_pipeline"]
    targets = ctx.targets()

    findings: list[Finding] = []
    for rep in ctx.sellers:
        lead_signal = _share_signal(lead_counts.get(rep, (0, 0)), lead_bench, t.min_leads, t)
        deal_signal = _share_signal(deal_counts.get(rep, (0, 0)), deal_bench, t.min_deals, t)
        if not (lead_signal.fired or deal_signal.fired):
            continue
        excess = max(0.0, (deal_signal.rep or 0.0) - (deal_signal.benchmark or 0.0))
        rep_pipeline = float(pipeline.get(rep, 0.0))
        stake = excess * rep_pipeline * win_gap
        mine = win.get(rep)
        evidence: dict[str, Any] = {
            "benchmark": label,
            "off_profile_lead_share": _shares(lead_signal),
            "off_profile_deal_share": _shares(deal_signal),
            "off_profile_lead_reasons": reasons.get(rep, {}),
            "win_rate_in_profile": {
                "rep": _rate(mine, "won_in", "closed_in"),
                "all_reps": win_in,
            },
            "win_rate_off_profile": {
                "rep": _rate(mine, "won_out", "closed_out"),
                "all_reps": win_out,
            },
            "open_pipeline_this_period": rep_pipeline,
        }
        findings.append(
            Finding(
                scope="rep",
                id=rep,
                cause=CAUSE,
                severity=severity(stake, targets.get(rep)),
                bookings_at_stake=stake,
                stake_method=STAKE_METHOD,
                evidence=evidence,
                explanation=_explanation(lead_signal, deal_signal, win_in, win_out, label),
                actions=ACTIONS,
                questions=QUESTIONS,
            )
        )
    return Detection(findings=findings)


def _skip(reason: str) -> Detection:
    return Detection(skipped=[Skip(CAUSE, reason)])


def _new_leads(ctx: DiagnosisContext) -> ir.Table:
    """Sellers' leads created in the window, with an `in_profile` flag."""
    leads = ctx.backend.table("leads")
    recent = leads.filter(leads.owner_rep_id.isin(ctx.sellers), ctx.in_window(leads.created_at))
    return recent.mutate(rep_id=recent.owner_rep_id, in_profile=in_profile(recent, ctx.icp))


def _profiled_deals(ctx: DiagnosisContext) -> ir.Table:
    """Sellers' opportunities with the account's profile columns, else the lead's, and a flag."""
    deals = ctx.backend.table("opportunities")
    accounts = ctx.backend.table("accounts")
    leads = ctx.backend.table("leads")
    mine = deals.filter(deals.owner_rep_id.isin(ctx.sellers))
    joined = mine.left_join(accounts, mine.account_id == accounts.account_id).left_join(
        leads, mine.lead_id == leads.lead_id
    )
    profiled = joined.select(
        rep_id=mine.owner_rep_id,
        created_at=mine.created_at,
        closed_at=mine.closed_at,
        is_won=mine.is_won,
        industry=accounts.industry.coalesce(leads.industry),
        employees=accounts.employees.coalesce(leads.employees),
        country=accounts.country.coalesce(leads.country),
        title=leads.title,
    )
    return profiled.mutate(in_profile=in_profile(profiled, ctx.icp))


def _off_counts(ctx: DiagnosisContext, table: ir.Table) -> dict[str, tuple[int, int]]:
    """Per rep: rows (n) and rows outside the profile (k)."""
    expr = table.group_by("rep_id").aggregate(
        n=table.count(), k=table.count(where=~table.in_profile)
    )
    return {
        str(row["rep_id"]): (int(row["n"]), int(row["k"]))
        for row in ctx.backend.execute(expr).to_dict("records")
    }


def _benchmark(
    ctx: DiagnosisContext,
    leads: dict[str, tuple[int, int]],
    deals: dict[str, tuple[int, int]],
    t: Thresholds,
) -> tuple[list[str], str]:
    """The top performers when they have enough leads (or deals) between them, else all sellers."""
    top = sorted(ctx.top_performers & set(ctx.sellers))
    pooled = max(
        sum(leads[rep][0] for rep in top if rep in leads),
        sum(deals[rep][0] for rep in top if rep in deals),
    )
    if pooled >= t.min_benchmark:
        return top, "top performers"
    return list(ctx.sellers), "all selling reps"


def _pooled_share(counts: dict[str, tuple[int, int]], reps: list[str]) -> float | None:
    """k ÷ n summed over `reps`; None with no rows."""
    n = sum(counts[rep][0] for rep in reps if rep in counts)
    k = sum(counts[rep][1] for rep in reps if rep in counts)
    return k / n if n else None


def _win_counts(ctx: DiagnosisContext, deals: ir.Table) -> dict[str, dict[str, int]]:
    """Per rep: deals closed in the window and won, in and outside the profile."""
    closed = deals.filter(deals.is_won.notnull(), ctx.in_window(deals.closed_at))
    inside, won = closed.in_profile, closed.is_won
    expr = closed.group_by("rep_id").aggregate(
        closed_in=closed.count(where=inside),
        won_in=closed.count(where=inside & won),
        closed_out=closed.count(where=~inside),
        won_out=closed.count(where=~inside & won),
    )
    return {
        str(row["rep_id"]): {name: int(row[name]) for name in WIN_COUNTS}
        for row in ctx.backend.execute(expr).to_dict("records")
    }


def _rate(counts: dict[str, int] | None, won: str, closed: str) -> float | None:
    if counts is None or not counts[closed]:
        return None
    return counts[won] / counts[closed]


def _off_reasons(ctx: DiagnosisContext, leads: ir.Table) -> dict[str, dict[str, int]]:
    """Per rep: how many new leads miss each profile rule (a lead can miss several)."""
    icp = ctx.icp
    rules = {
        "industry": IcpSettings(industries=icp.industries),
        "company_size": IcpSettings(
            min_employees=icp.min_employees, max_employees=icp.max_employees
        ),
        "country": IcpSettings(countries=icp.countries),
        "title": IcpSettings(titles=icp.titles),
    }
    used = {name: rule for name, rule in rules.items() if rule.defined}
    expr = leads.group_by("rep_id").aggregate(
        **{name: leads.count(where=~in_profile(leads, rule)) for name, rule in used.items()}
    )
    frame = ctx.backend.execute(expr)
    return {
        str(row["rep_id"]): {name: int(row[name]) for name in used}
        for row in frame.to_dict("records")
    }


def _share_signal(
    counts: tuple[int, int], bench: float | None, minimum: int, t: Thresholds
) -> _Signal:
    """The rep's off-profile share well above the benchmark's, by a one-sided binomial test."""
    n, k = counts
    if not n or bench is None:
        return _Signal(k / n if n else None, bench, n, None, False)
    p = float(binomtest(k, n, bench, alternative="greater").pvalue)
    fired = n >= minimum and k / n - bench >= t.min_gap and p < t.alpha
    return _Signal(k / n, bench, n, p, fired)


def _shares(signal: _Signal) -> dict[str, Any]:
    return {"rep": signal.rep, "top": signal.benchmark, "n": signal.n, "p_value": signal.p_value}


def _explanation(
    leads: _Signal, deals: _Signal, win_in: float | None, win_out: float | None, label: str
) -> str:
    """Two sentences with the rep's numbers beside the benchmark's."""
    parts = []
    if leads.rep is not None and leads.benchmark is not None:
        parts.append(f"{leads.rep:.0%} of new leads ({label}: {leads.benchmark:.0%})")
    if deals.rep is not None and deals.benchmark is not None:
        parts.append(f"{deals.rep:.0%} of new deals ({deals.benchmark:.0%})")
    first = f"Outside the ideal customer profile: {' and '.join(parts)}."
    if win_in is None or win_out is None:
        return first
    return (
        f"{first} Across all reps, in-profile deals win {win_in:.0%} and off-profile {win_out:.0%}."
    )
