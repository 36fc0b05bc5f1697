"""No lead criteria: reps who work leads and deals outside the ideal customer profile.

Per seller over the window: the share of their new leads, and of their new opportunities (by the
account's, else the lead's, industry, size, country and title), that fall outside the profile,
compared with the top performers; and how much less often off-profile deals are won.

Without a hand-written `[icp]`, the profile is inferred with `attain icp suggest`'s segment
statistics from leads decided before the window starts (their deals won or lost before it):
never from the window judged, where a rep's own wins would define the profile they are judged
by. A segment is out of the inferred profile only when it won clearly less than the rest; one
too small to judge stays in, and the lead's source is left out (reps do not choose it). Such
findings say "profile inferred from earlier deals" and carry the rules used.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any

import ibis.expr.types as ir

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import (
    Detection,
    DetectorSpec,
    Finding,
    Signal,
    pooled_share,
    share_signal,
)
from attain.diagnosis.settings import LeadCriteriaThresholds as Thresholds
from attain.leads.icp import IcpSettings, in_profile
from attain.leads.suggest import _proposal, suggest_icp
from attain.metrics.coverage import open_pipeline

INFERRED = "profile inferred from earlier deals"
UNCHOSEN = ("source",)
"""Lead dimensions left out of an inferred profile: a rep does not choose where leads come from
(that is marketing alignment's ground)."""
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
SPEC = DetectorSpec("lead_criteria", STAKE_METHOD, ACTIONS, QUESTIONS)


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Flag sellers whose new leads or deals miss the profile far more often than the benchmark
    (the hand-written `[icp]`, else one inferred from deals closed before the window)."""
    t = thresholds or Thresholds()
    missing = _missing_data(ctx)
    if missing:
        return SPEC.skip(missing)
    inferred: dict[str, Any] | None = None
    if not ctx.icp.defined:
        icp, inferred = _inferred_profile(ctx, t)
        if not icp.defined:
            return SPEC.skip(
                "no ideal customer profile defined ([icp] in attain.toml), and none could be "
                f"inferred from leads decided before {ctx.window.start}: "
                f"{inferred['why_none']}"
            )
        ctx = replace(ctx, icp=icp)
    leads = _new_leads(ctx)
    deals = _profiled_deals(ctx)
    new_deals = deals.filter(ctx.in_window(deals.created_at))
    lead_counts = _off_counts(ctx, leads)
    deal_counts = _off_counts(ctx, new_deals)
    benchmark, label = _benchmark(ctx, lead_counts, deal_counts, t)
    lead_bench = pooled_share(lead_counts, benchmark)
    deal_bench = pooled_share(deal_counts, benchmark)
    win = _win_counts(ctx, deals)
    everyone = {name: sum(row[name] for row in win.values()) for name in WIN_COUNTS}
    shared = {
        "label": label,
        "win_in": _rate(everyone, "won_in", "closed_in"),
        "win_out": _rate(everyone, "won_out", "closed_out"),
        "reasons": _off_reasons(ctx, leads),
        "pipeline": open_pipeline(
            ctx.backend, ctx.as_of, ctx.report.period.end, ctx.performance.timezone
        ).set_index("rep_id")["open_pipeline"],
        "profile": inferred,
    }
    targets = ctx.targets()
    findings: list[Finding] = []
    for rep in ctx.sellers:
        leads_off, deals_off = lead_counts.get(rep, (0, 0)), deal_counts.get(rep, (0, 0))
        lead_signal = share_signal(leads_off, lead_bench, t.min_leads, t.min_gap, t.alpha)
        deal_signal = share_signal(deals_off, deal_bench, t.min_deals, t.min_gap, t.alpha)
        if lead_signal.fired or deal_signal.fired:
            findings.append(
                _finding(rep, (lead_signal, deal_signal), win.get(rep), shared, targets.get(rep))
            )
    return Detection(findings=findings)


def _missing_data(ctx: DiagnosisContext) -> str | None:
    """Why the detector cannot run, or None."""
    lead_count = int(ctx.backend.execute(ctx.backend.table("leads").count()))
    deal_count = int(ctx.backend.execute(ctx.backend.table("opportunities").count()))
    if lead_count == 0 and deal_count == 0:
        return "no leads or opportunities to compare with the ideal customer profile"
    if not ctx.sellers:
        return "no selling reps employed through the whole window"
    return None


def _inferred_profile(ctx: DiagnosisContext, t: Thresholds) -> tuple[IcpSettings, dict[str, Any]]:
    """The profile `attain icp suggest` proposes from leads decided before the window, and how
    it was found (for the evidence), or why none could be."""
    moment = datetime.combine(ctx.window.start, time.min)
    suggestion = suggest_icp(
        ctx.backend,
        as_of=moment,
        min_leads=t.profile_min_leads,
        min_age_days=t.profile_min_age_days,
    )
    # Judge reps only by what earlier deals showed: a segment is off profile when it won
    # clearly less (below), not when it was too small to judge; and only by who the customer
    # is (industry, size, country, title), not the lead's source, which reps do not choose.
    judged = [
        replace(s, verdict="inconclusive") if s.verdict == "too_few" else s
        for s in suggestion.segments
        if s.dimension not in UNCHOSEN
    ]
    icp = _proposal(judged, 0.0)
    suggestion = replace(suggestion, proposal=icp)
    why_none = "; ".join(suggestion.notes) or (
        f"of {suggestion.decided_leads} decided leads, no segment with {t.profile_min_leads} "
        "or more wins clearly less often than the rest"
    )
    return icp, {
        "source": INFERRED,
        "decided_before": str(ctx.window.start),
        "decided_leads": suggestion.decided_leads,
        "won": suggestion.won,
        "rules": suggestion.toml().strip().splitlines()[1:],
        "why_none": why_none,
    }


def _finding(
    rep: str,
    signals: tuple[Signal, Signal],
    mine: dict[str, int] | None,
    shared: dict[str, Any],
    target: float | None,
) -> Finding:
    """The finding of one rep, valued at their excess off-profile pipeline's lower win rate."""
    lead_signal, deal_signal = signals
    win_in, win_out = shared["win_in"], shared["win_out"]
    win_gap = max(0.0, win_in - win_out) if win_in is not None and win_out is not None else 0.0
    excess = max(0.0, (deal_signal.rep or 0.0) - (deal_signal.benchmark or 0.0))
    rep_pipeline = float(shared["pipeline"].get(rep, 0.0))
    evidence: dict[str, Any] = {
        "benchmark": shared["label"],
        "off_profile_lead_share": lead_signal.shares(),
        "off_profile_deal_share": deal_signal.shares(),
        "off_profile_lead_reasons": shared["reasons"].get(rep, {}),
        "win_rate_in_profile": {"rep": _rate(mine, "won_in", "closed_in"), "all_reps": win_in},
        "win_rate_off_profile": {"rep": _rate(mine, "won_out", "closed_out"), "all_reps": win_out},
        "open_pipeline_this_period": rep_pipeline,
    }
    explanation = _explanation(lead_signal, deal_signal, win_in, win_out, shared["label"])
    profile = shared["profile"]
    if profile is not None:
        evidence["profile"] = {k: v for k, v in profile.items() if k != "why_none"}
        rules = "; ".join(profile["rules"])
        explanation = f"{explanation} Profile inferred from earlier deals: {rules}."
    return SPEC.finding(
        rep,
        stake=excess * rep_pipeline * win_gap,
        target=target,
        evidence=evidence,
        explanation=explanation,
    )


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
    return ctx.counts(expr)


def _benchmark(
    ctx: DiagnosisContext,
    leads: dict[str, tuple[int, int]],
    deals: dict[str, tuple[int, int]],
    t: Thresholds,
) -> tuple[list[str], str]:
    """The top performers when they have enough leads (or deals) between them, else all sellers."""

    def pooled(top: list[str]) -> int:
        return max(
            sum(leads[rep][0] for rep in top if rep in leads),
            sum(deals[rep][0] for rep in top if rep in deals),
        )

    return ctx.benchmark(pooled, t.min_benchmark)


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


def _explanation(
    leads: Signal, deals: Signal, win_in: float | None, win_out: float | None, label: str
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
