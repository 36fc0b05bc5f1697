"""Suggest an ideal customer profile from which segments of decided leads won most.

A lead is decided when it is at least `min_age_days` old at `as_of` and holds no open
opportunity; it counts as won when one of its opportunities was won. Each segment (an industry,
a size band, a country, a title word, a source) gets its win rate, lift over the base rate and a
Wilson interval. A segment is *above* when its lower bound beats the base rate and *below* when
its upper bound misses it. A rule is proposed for a dimension where some segment with enough
volume is below: it keeps that dimension's segments with enough volume that are not below and
win at least `min_lift` times the base rate.
(Requiring every kept segment to be above fails when in-profile segments are most of the volume:
they then *are* the base rate.)
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import ibis
from scipy.stats import norm

from attain.leads.channels import lead_outcomes, resolve_as_of
from attain.leads.icp import DIMENSIONS, IcpSettings
from attain.store.handle import Store

EMPLOYEE_BANDS = (1, 10, 50, 200, 1000, 5000, 20000)
"""Lower edges of the company size bands; the last band is open-ended."""

BAND_LABELS = (
    *(f"{low}-{high - 1}" for low, high in itertools.pairwise(EMPLOYEE_BANDS)),
    f"{EMPLOYEE_BANDS[-1]}+",
)
"""Labels of the size bands, e.g. `200-999` and `20000+`."""

TITLE_STOPWORDS = ("of", "and", "the", "for", "to", "in", "a")
"""Title words too common to mean anything."""


@dataclass(frozen=True)
class SegmentStat:
    """Win evidence of one segment, compared with the base rate of all decided leads."""

    dimension: str  # industry, employees, country, title, source
    value: str
    leads: int
    won: int
    win_rate: float
    lift: float | None
    ci_low: float
    ci_high: float
    verdict: str  # "above", "below", "inconclusive" or "too_few" (under min_leads)
    in_proposal: bool


@dataclass(frozen=True)
class IcpSuggestion:
    """Proposed `[icp]` rules with the segment evidence behind them, for a person to accept."""

    as_of: datetime
    decided_leads: int
    won: int
    base_rate: float | None
    confidence: float
    min_leads: int
    min_age_days: int
    min_lift: float
    segments: list[SegmentStat]
    proposal: IcpSettings
    notes: list[str] = field(default_factory=list)

    def toml(self) -> str:
        """The proposal as a ready-to-paste `[icp]` table."""
        icp = self.proposal
        lines = ["[icp]"]
        for key, values in (
            ("industries", icp.industries),
            ("countries", icp.countries),
            ("titles", icp.titles),
            ("sources", icp.sources),
        ):
            if values:
                lines.append(f"{key} = {json.dumps(list(values), ensure_ascii=False)}")
        if icp.min_employees is not None:
            lines.append(f"min_employees = {icp.min_employees}")
        if icp.max_employees is not None:
            lines.append(f"max_employees = {icp.max_employees}")
        if not icp.defined:
            lines.append("# no segment wins clearly less than the rest: no rule proposed")
        return "\n".join(lines) + "\n"


def wilson_interval(won: int, leads: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a win rate: honest for small counts and rates near 0 or 1."""
    if leads == 0:
        return 0.0, 1.0
    z = float(norm.ppf(0.5 + confidence / 2))
    rate = won / leads
    denominator = 1 + z**2 / leads
    centre = (rate + z**2 / (2 * leads)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / leads + z**2 / (4 * leads**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def employee_band(employees: Any) -> Any:
    """Ibis string: the size band label of a head count (e.g. `200-999`, `20000+`)."""
    band = ibis.null("string")
    for low, label in zip(EMPLOYEE_BANDS, BAND_LABELS, strict=True):
        band = ibis.ifelse(employees >= low, ibis.literal(label), band)
    return band


def suggest_icp(
    backend: Store,
    *,
    as_of: date | datetime | None = None,
    min_leads: int = 50,
    confidence: float = 0.95,
    min_age_days: int = 90,
    min_lift: float = 0.8,
) -> IcpSuggestion:
    """Segments of decided leads with their win evidence, and the `[icp]` rules they support.

    `min_leads` is the volume a segment needs to be judged; `min_lift` the win rate, relative to
    the base rate, that a kept segment needs besides not being clearly below.
    """
    moment = resolve_as_of(backend, as_of)
    outcomes = lead_outcomes(backend, moment)
    decided = outcomes.filter(
        outcomes.created_at <= moment - timedelta(days=min_age_days), ~outcomes.has_open
    )
    totals = decided.aggregate(leads=decided.count(), won=decided.is_won.sum()).execute()
    leads, won = int(totals["leads"].iloc[0]), int(totals["won"].fillna(0).iloc[0])
    base = won / leads if leads else None
    segments: list[SegmentStat] = []
    for dimension, counts in _segment_counts(decided).items():
        segments.extend(
            _segment(dimension, str(value), int(n), int(k), base, confidence, min_leads)
            for value, n, k in counts
        )
    won_only = [
        dimension
        for dimension in DIMENSIONS
        if (own := [s for s in segments if s.dimension == dimension])
        and all(s.won == s.leads for s in own)
    ]
    segments = [s for s in segments if s.dimension not in won_only]
    proposal = _proposal(segments, min_lift)
    segments = [replace(s, in_proposal=_kept(s, proposal)) for s in segments]
    notes = [
        f"{dimension} is filled only on won leads, so it cannot tell winners apart; left out"
        for dimension in won_only
    ]
    if leads == 0:
        notes.append(f"no decided leads: none is {min_age_days} days old without an open deal")
    elif won == 0:
        notes.append("no decided lead was won, so no segment can win more than another")
    return IcpSuggestion(
        as_of=moment,
        decided_leads=leads,
        won=won,
        base_rate=base,
        confidence=confidence,
        min_leads=min_leads,
        min_age_days=min_age_days,
        min_lift=min_lift,
        segments=sorted(segments, key=lambda s: (s.dimension, -s.win_rate, -s.leads)),
        proposal=proposal,
        notes=notes,
    )


def _segment_counts(decided: Any) -> dict[str, list[tuple[Any, int, int]]]:
    """(value, leads, won) per segment of each dimension, by Ibis aggregation."""
    keyed = {
        "industry": decided.select(value=decided.industry, is_won=decided.is_won),
        "employees": decided.select(value=employee_band(decided.employees), is_won=decided.is_won),
        "country": decided.select(value=decided.country, is_won=decided.is_won),
        "source": decided.select(value=decided.source, is_won=decided.is_won),
    }
    words = decided.select(
        lead_id=decided.lead_id,
        is_won=decided.is_won,
        value=decided.title.lower().re_split(r"[^a-z0-9]+").unnest(),
    )
    words = words.filter(words.value != "", ~words.value.isin(TITLE_STOPWORDS)).distinct()
    keyed["title"] = words.select("value", "is_won")
    counts = {}
    for dimension, table in keyed.items():
        known = table.filter(table.value.notnull())
        frame = (
            known.group_by("value").aggregate(leads=known.count(), won=known.is_won.sum()).execute()
        )
        counts[dimension] = list(
            zip(frame["value"], frame["leads"], frame["won"].fillna(0), strict=True)
        )
    return counts


def _segment(
    dimension: str,
    value: str,
    leads: int,
    won: int,
    base: float | None,
    confidence: float,
    min_leads: int,
) -> SegmentStat:
    low, high = wilson_interval(won, leads, confidence)
    verdict = "too_few" if leads < min_leads else "inconclusive"
    if base is not None and leads >= min_leads:
        verdict = "above" if low > base else "below" if high < base else "inconclusive"
    return SegmentStat(
        dimension=dimension,
        value=value,
        leads=leads,
        won=won,
        win_rate=won / leads,
        lift=(won / leads) / base if base else None,
        ci_low=low,
        ci_high=high,
        verdict=verdict,
        in_proposal=False,
    )


def _proposal(segments: list[SegmentStat], min_lift: float) -> IcpSettings:
    """Per dimension with a segment clearly below: keep its segments that have the volume, are
    not below and win at least `min_lift` times the base rate."""
    kept: dict[str, list[SegmentStat]] = {}
    for dimension in DIMENSIONS:
        own = [s for s in segments if s.dimension == dimension]
        if any(s.verdict == "below" for s in own):
            kept[dimension] = [
                s
                for s in own
                if s.verdict in ("above", "inconclusive") and (s.lift or 0.0) >= min_lift
            ]
    low, high = _size_range(kept.get("employees", []))
    return IcpSettings(
        industries=_values(kept.get("industry")),
        countries=_values(kept.get("country")),
        titles=_values(kept.get("title")),
        sources=_values(kept.get("source")),
        min_employees=low,
        max_employees=high,
    )


def _values(segments: list[SegmentStat] | None) -> tuple[str, ...]:
    return tuple(sorted(s.value for s in segments or []))


def _size_range(bands: list[SegmentStat]) -> tuple[int | None, int | None]:
    """The run of adjacent kept size bands holding the most leads, as (min, max) employees."""
    leads = {BAND_LABELS.index(s.value): s.leads for s in bands}
    runs: list[list[int]] = []
    for index in sorted(leads):
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    if not runs:
        return None, None
    best = max(runs, key=lambda run: sum(leads[i] for i in run))
    low = EMPLOYEE_BANDS[best[0]] if best[0] > 0 else None
    high = EMPLOYEE_BANDS[best[-1] + 1] - 1 if best[-1] < len(EMPLOYEE_BANDS) - 1 else None
    return low, high


def _kept(segment: SegmentStat, proposal: IcpSettings) -> bool:
    """Whether the proposal keeps the segment in profile."""
    if segment.dimension == "employees":
        if proposal.min_employees is None and proposal.max_employees is None:
            return False
        low = EMPLOYEE_BANDS[BAND_LABELS.index(segment.value)]
        return (proposal.min_employees or 0) <= low <= (proposal.max_employees or low)
    chosen = {
        "industry": proposal.industries,
        "country": proposal.countries,
        "title": proposal.titles,
        "source": proposal.sources,
    }[segment.dimension]
    return segment.value in chosen
