"""The activity plan: from the gap to target to the opportunities, meetings and first contacts a
rep needs each week for the rest of the period, and whether that is feasible.

Per rep with a bookings target for the period (all numbers kept on the RepPlan):

    gap              = target − booked so far
    remaining gap    = max(gap − expected from the open pipeline, 0)
    deals needed     = remaining gap ÷ average won amount
    in-period rate   = win rate × share of new deals won before the period ends
    opportunities    = deals needed ÷ in-period rate
    pipeline needed  = remaining gap ÷ in-period rate
    per week         = opportunities ÷ weeks left
    meetings a week  = opportunities a week ÷ opportunities per meeting
    contacts a week  = meetings a week ÷ meetings per first contact

The expected value of the open pipeline is the forecast's (calibrated win-by-period-end
probabilities, overrides applied) or, without a forecast, Σ value × the stage's historical win
rate with overrides applied. Rates are the rep's own unless the rep closed fewer than
`min_closed_deals` deals in the window: then the team's (the company's when the team is thin
too), and the plan says so. Each required week is compared with the rep's `percentile` week
(the team's for a rep without past weeks): feasible when none exceeds it.

Three levers, each sized by what the rep's team already does and measured by how many times
fewer meetings a week it would take (`factor`): raise the conversion at the leakiest stage to
the team's (win rate × team rate ÷ rep rate there, and the expected value of the open deals at
or before that stage lifted by the same factor, at most to their value), raise the average deal
to the team's, or add pipeline by turning as many meetings into opportunities as the team does.
The best is the one with the largest factor; when the rep already matches the team on all
three, it is adding pipeline, with the pipeline a week to create as its number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from attain.forecast.forecast import Forecast, Overrides, stage_win_rates
from attain.forecast.history import DealHistory, booked, known_at
from attain.forecast.snapshots import open_at
from attain.metrics.coverage import end_of_day_utc
from attain.metrics.periods import Period
from attain.plan.rates import ACTIVITIES, RateBook, Rates
from attain.plan.settings import PlanSettings
from attain.reports.jsonable import jsonable

LEVERS = ("win_rate", "deal_size", "add_pipeline")


@dataclass(frozen=True)
class OverriddenValue:
    """An override that touches a rep's open deals, beside the value it replaces."""

    kind: str
    target_id: str
    value: str
    computed: float | None
    """The value it replaces: the stage's historical win rate (stage_probability), or the
    deal's probability of being won by the period end before overrides (forecast_category):
    the forecast's calibrated one, or its stage's historical win rate without a forecast."""
    deals: int
    """How many of the rep's open deals it applies to."""


@dataclass(frozen=True)
class PipelineValue:
    """What one rep has booked and can expect from their open deals this period."""

    booked: float
    open_deals: int
    open_value: float
    expected_open: float
    source: str
    """"forecast" (calibrated model) or "stage win rates" (historical, per stage)."""
    overridden: tuple[OverriddenValue, ...] = ()
    expected_by_stage: Mapping[str, float] = field(default_factory=dict)
    """The expected value split by the open deals' current stage."""
    value_by_stage: Mapping[str, float] = field(default_factory=dict)
    """The open deals' value by their current stage."""


@dataclass(frozen=True)
class Requirement:
    """One activity: what is needed a week, the rep's best usual week and the recent weeks."""

    activity: str
    per_week: float | None
    best_week: float
    recent_per_week: float
    ratio: float | None
    """per_week ÷ best_week; None when either is unknown or the best week is 0."""


@dataclass(frozen=True)
class Lever:
    """One way to need less activity, sized by the team, and what it would leave to do."""

    name: str
    description: str
    current: float | None
    target: float | None
    factor: float
    """How many times fewer meetings a week it takes (1 when it does not help; infinite when
    the open pipeline then closes the gap)."""
    weekly_meetings_after: float | None
    stage: str | None = None
    pipeline_per_week: float | None = None


@dataclass(frozen=True)
class RepPlan:
    """The week's work that closes one rep's gap to target, with its evidence."""

    rep_id: str
    name: str
    team_id: str | None
    period: Period
    as_of: date
    target: float
    booked: float
    open_deals: int
    open_value: float
    expected_open: float
    pipeline_source: str
    gap: float
    remaining_gap: float
    weeks_left: float
    rates_source: str
    """"rep", "team <id>" or "company": whose rates the plan uses."""
    thin: bool
    closed_deals: int
    """The rep's own closed deals in the window."""
    win_rate: float | None
    average_won: float | None
    median_cycle_days: float | None
    share_won_in_period: float | None
    """Of deals created evenly from now on and won, the share won before the period ends."""
    win_rate_in_period: float | None
    """win rate × share won in the period: new opportunities won before the period ends."""
    deals_needed: float | None
    opportunities_needed: float | None
    pipeline_needed: float | None
    requirements: tuple[Requirement, ...]
    feasible: bool | None
    feasibility_ratio: float | None
    """The largest required ÷ best-week ratio of the three activities."""
    best_lever: Lever | None
    levers: tuple[Lever, ...]
    notes: tuple[str, ...]
    overridden: tuple[OverriddenValue, ...]

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data, with the weekly numbers also under "weekly"."""
        data: dict[str, Any] = jsonable(self)
        data["weekly"] = {activity: self.requirement(activity).per_week for activity in ACTIVITIES}
        return data

    def requirement(self, activity: str) -> Requirement:
        """The requirement of `activity` (meetings, opportunities or contacts)."""
        return next(found for found in self.requirements if found.activity == activity)

    @property
    def weekly_meetings(self) -> float | None:
        """Meetings needed a week."""
        return self.requirement("meetings").per_week

    @property
    def weekly_opportunities(self) -> float | None:
        """New opportunities needed a week."""
        return self.requirement("opportunities").per_week

    @property
    def weekly_contacts(self) -> float | None:
        """First contacts needed a week."""
        return self.requirement("contacts").per_week


def pipeline_from_forecast(
    forecast: Forecast, by_stage: Mapping[str, PipelineValue] | None = None
) -> dict[str, PipelineValue]:
    """Each rep's booked and expected open value from a forecast (made with the overrides).

    `by_stage` (from `pipeline_from_stages`, same overrides) splits each rep's expected value by
    stage in the proportions of the stage win rates, and lists the overrides it used, each
    forecast category beside the forecast's model probability of its deal."""
    by_stage = by_stage or {}
    model = {deal.opportunity_id: deal.model_probability for deal in forecast.deals}
    found = {}
    for row in forecast.rows:
        if row.scope != "rep":
            continue
        split = by_stage.get(row.id)
        scale = row.expected_open / split.expected_open if split and split.expected_open else 0.0
        found[row.id] = PipelineValue(
            booked=row.booked,
            open_deals=row.open_deals,
            open_value=row.open_value,
            expected_open=row.expected_open,
            source="forecast",
            overridden=tuple(
                replace(shown, computed=model.get(shown.target_id))
                if shown.kind == "forecast_category"
                else shown
                for shown in (split.overridden if split else ())
            ),
            expected_by_stage=(
                {stage: value * scale for stage, value in split.expected_by_stage.items()}
                if split
                else {}
            ),
            value_by_stage=dict(split.value_by_stage) if split else {},
        )
    return found


def open_snapshot(history: DealHistory, period: Period, as_of: date, zone: str) -> pd.DataFrame:
    """The deals open at the end of `as_of` (capped to the period) with stage and value."""
    moment = _moment(period, as_of, zone)
    return open_at(known_at(history, moment), [moment])


def pipeline_from_stages(
    history: DealHistory,
    period: Period,
    as_of: date,
    *,
    zone: str,
    overrides: Overrides | None = None,
) -> dict[str, PipelineValue]:
    """Each rep's booked and Σ value × stage win rate of their open deals, overrides applied."""
    overrides = overrides or Overrides()
    moment = _moment(period, as_of, zone)
    known = known_at(history, moment)
    start = pd.Timestamp(end_of_day_utc(period.start - timedelta(days=1), zone))
    so_far = booked(known, start, moment)
    snapshot = open_at(known, [moment])
    rates = stage_win_rates(known)
    outcomes = known.deals["is_won"].dropna()
    overall = float(outcomes.astype(float).mean()) if len(outcomes) else 0.0
    computed = snapshot["stage"].map(rates).fillna(overall).to_numpy(dtype=float)
    probability = overrides.win_probabilities(
        snapshot["stage"], snapshot["opportunity_id"], computed
    )
    frame = snapshot.assign(expected=snapshot["value"].to_numpy(dtype=float) * probability)
    shown = overridden_values(snapshot.assign(computed=computed), overrides, rates)
    owners = sorted(set(so_far.index.astype(str)) | set(frame["owner_rep_id"].astype(str)))
    result = {}
    for owner in owners:
        mine = frame.loc[frame["owner_rep_id"].astype(str) == owner]
        stages = mine.groupby(mine["stage"].astype(str))
        result[owner] = PipelineValue(
            booked=float(so_far.get(owner, 0.0)),
            open_deals=len(mine),
            open_value=float(mine["value"].sum()),
            expected_open=float(mine["expected"].sum()),
            source="stage win rates",
            overridden=shown.get(owner, ()),
            expected_by_stage={str(k): float(v) for k, v in stages["expected"].sum().items()},
            value_by_stage={str(k): float(v) for k, v in stages["value"].sum().items()},
        )
    return result


def overridden_values(
    snapshot: pd.DataFrame, overrides: Overrides, stage_rates: Mapping[str, float]
) -> dict[str, tuple[OverriddenValue, ...]]:
    """Per rep: the stage and forecast-category overrides that touch their open deals, each
    beside the value it replaces (a deal's is the snapshot's `computed` probability)."""
    found: dict[str, list[OverriddenValue]] = {}
    for owner, deals in snapshot.groupby(snapshot["owner_rep_id"].astype(str)):
        stages = deals["stage"].astype(str).value_counts()
        for stage, value in sorted(overrides.stage_probability.items()):
            if stage in stages.index:
                found.setdefault(str(owner), []).append(
                    OverriddenValue(
                        "stage_probability",
                        stage,
                        f"{value:g}",
                        stage_rates.get(stage),
                        int(stages[stage]),
                    )
                )
        computed = dict(
            zip(
                deals["opportunity_id"].astype(str).tolist(),
                deals["computed"].astype(float).tolist(),
                strict=True,
            )
        )
        for deal, category in sorted(overrides.forecast_category.items()):
            if deal in computed:
                found.setdefault(str(owner), []).append(
                    OverriddenValue("forecast_category", deal, category, computed[deal], 1)
                )
    return {owner: tuple(values) for owner, values in found.items()}


def activity_plan(
    book: RateBook,
    pipeline: Mapping[str, PipelineValue],
    targets: Mapping[str, float],
    period: Period,
    as_of: date,
    settings: PlanSettings,
    *,
    names: Mapping[str, str] | None = None,
    reps: Iterable[str] | None = None,
) -> list[RepPlan]:
    """The plan of every rep with a target (or of `reps`), in rep id order."""
    names = names or {}
    chosen = sorted(targets) if reps is None else [rep for rep in reps if rep in targets]
    empty = PipelineValue(0.0, 0, 0.0, 0.0, "none")
    return [
        rep_plan(
            rep,
            names.get(rep, rep),
            book,
            pipeline.get(rep, empty),
            targets[rep],
            period,
            as_of,
            settings,
        )
        for rep in chosen
    ]


def rates_for(book: RateBook, rep: str, settings: PlanSettings) -> tuple[Rates, Rates, str]:
    """The rep's own rates, the benchmark (team, or company without a team or when the team is
    thin) and whose rates the plan uses: "rep" when the rep closed enough deals, else the
    benchmark's name."""
    own = book.reps.get(rep) or _nothing(book)
    team_id = book.rep_teams.get(rep)
    team = book.teams.get(team_id) if team_id is not None else None
    if team is not None and team.closed >= settings.min_closed_deals:
        benchmark, name = team, f"team {team_id}"
    else:
        benchmark, name = book.company, "company"
    if own.closed >= settings.min_closed_deals:
        return own, benchmark, "rep"
    return own, benchmark, name


def rep_plan(
    rep: str,
    name: str,
    book: RateBook,
    pipeline: PipelineValue,
    target: float,
    period: Period,
    as_of: date,
    settings: PlanSettings,
) -> RepPlan:
    """One rep's plan (see the module docstring for every formula)."""
    own, benchmark, source = rates_for(book, rep, settings)
    used = own if source == "rep" else benchmark
    thin = source != "rep"
    notes = [_thin_note(own, book, settings, source)] if thin else []
    gap = target - pipeline.booked
    remaining = max(gap - pipeline.expected_open, 0.0)
    days_left = max((period.end - as_of).days, 0)
    weeks_left = days_left / 7
    win_rate, average = used.win_rate, used.average_won
    share = used.share_closing_within(days_left)
    best = _best_weeks(own, benchmark, source, notes)
    notes.extend(_gap_notes(gap, remaining, pipeline, target))
    needed = _needed(remaining, used, share, days_left, weeks_left, notes)
    cycle = used.median_cycle_days
    notes.extend(_cycle_note(cycle, days_left, share) if remaining > 0 else [])
    recent = book.recent.get(rep, dict.fromkeys(ACTIVITIES, 0.0))
    requirements = _requirements(needed.weekly, best, recent)
    feasible, worst = _feasibility(remaining, needed.impossible, requirements)
    levers: tuple[Lever, ...] = ()
    if remaining > 0 and win_rate and average:
        lift = _open_lift(pipeline, book.funnel, remaining)
        meetings = needed.weekly["meetings"]
        levers = _levers(
            own, benchmark, used, meetings, needed.pipeline, weeks_left, settings, lift
        )
    return RepPlan(
        rep_id=rep,
        name=name,
        team_id=book.rep_teams.get(rep),
        period=period,
        as_of=as_of,
        target=float(target),
        booked=pipeline.booked,
        open_deals=pipeline.open_deals,
        open_value=pipeline.open_value,
        expected_open=pipeline.expected_open,
        pipeline_source=pipeline.source,
        gap=gap,
        remaining_gap=remaining,
        weeks_left=weeks_left,
        rates_source=source,
        thin=thin,
        closed_deals=own.closed,
        win_rate=win_rate,
        average_won=average,
        median_cycle_days=cycle,
        share_won_in_period=share,
        win_rate_in_period=None if win_rate is None or share is None else win_rate * share,
        deals_needed=needed.deals,
        opportunities_needed=needed.opportunities,
        pipeline_needed=needed.pipeline,
        requirements=requirements,
        feasible=feasible,
        feasibility_ratio=worst,
        best_lever=max(levers, key=lambda lever: lever.factor) if levers else None,
        levers=levers,
        notes=tuple(notes),
        overridden=pipeline.overridden,
    )


def _thin_note(own: Rates, book: RateBook, settings: PlanSettings, source: str) -> str:
    return (
        f"{own.closed} closed deal{'s' if own.closed != 1 else ''} from "
        f"{book.window.start} to {book.window.end} (fewer than "
        f"{settings.min_closed_deals}) is too few to trust the rep's own rates: "
        f"the {source}'s are used"
    )


def _best_weeks(own: Rates, benchmark: Rates, source: str, notes: list[str]) -> Mapping[str, float]:
    """The rep's best usual week of each activity, or the benchmark's for a rep with no past
    weeks (a new rep has no usual week to compare the plan with)."""
    if own.weeks > 0:
        return own.best_week
    # A thin rep's benchmark is named by `source`; a rep with enough closed deals of their own
    # but no past weeks is compared with the benchmark, named "team" here.
    best_source = source if source != "rep" else "team"
    notes.append(
        f"no past weeks of the rep's own: required weeks are compared with the {best_source}'s"
    )
    return benchmark.best_week


def _gap_notes(gap: float, remaining: float, pipeline: PipelineValue, target: float) -> list[str]:
    """Why nothing new is needed: the rep is above target, or the open pipeline covers the gap."""
    if gap <= 0:
        return [f"already above target: {pipeline.booked:,.0f} booked of {target:,.0f}"]
    if remaining == 0:
        return [
            f"the open pipeline's expected {pipeline.expected_open:,.0f} covers the "
            f"{gap:,.0f} still to book"
        ]
    return []


def _cycle_note(cycle: float | None, days_left: int, share: float | None) -> list[str]:
    """A cycle longer than the days left: most new deals would be won after the period."""
    if cycle is None or cycle <= days_left or not share:
        return []
    return [
        f"the median cycle ({cycle:.0f} days) is longer than the {days_left} days left: only "
        f"{share:.0%} of the deals created from now on would be won before the period ends, "
        "which multiplies the activity needed"
    ]


@dataclass(frozen=True)
class _Needed:
    """What the remaining gap takes: deals, new opportunities, pipeline and weekly activity."""

    deals: float | None
    opportunities: float | None
    pipeline: float | None
    weekly: dict[str, float | None]
    impossible: bool = False
    """No deal created from now on can be won before the period ends."""


def _needed(
    remaining: float,
    used: Rates,
    share: float | None,
    days_left: int,
    weeks_left: float,
    notes: list[str],
) -> _Needed:
    if remaining == 0:
        return _Needed(0.0, 0.0, 0.0, dict.fromkeys(ACTIVITIES, 0.0))
    unknown: dict[str, float | None] = dict.fromkeys(ACTIVITIES)
    win_rate, average = used.win_rate, used.average_won
    if not win_rate or not average or share is None:
        notes.append("no won deals in the history: the deals and activity needed are unknown")
        return _Needed(None, None, None, unknown)
    deals = remaining / average
    # Only the share of new deals won before the period ends counts towards this period.
    in_period = win_rate * share
    if in_period > 0:
        opportunities = deals / in_period
        weekly = _weekly(opportunities / weeks_left, used, notes)
        return _Needed(deals, opportunities, remaining / in_period, weekly)
    notes.append(
        "no deal created from now on can be won before the period ends "
        f"({days_left} days left, the shortest cycle is {min(used.cycle_days):.0f} days): "
        "only the open pipeline can close the gap"
    )
    return _Needed(deals, None, None, unknown, impossible=True)


def _requirements(
    weekly: Mapping[str, float | None], best: Mapping[str, float], recent: Mapping[str, float]
) -> tuple[Requirement, ...]:
    return tuple(
        Requirement(
            activity,
            weekly[activity],
            float(best.get(activity, 0.0)),
            float(recent.get(activity, 0.0)),
            _ratio(weekly[activity], float(best.get(activity, 0.0))),
        )
        for activity in ACTIVITIES
    )


def _feasibility(
    remaining: float, impossible: bool, requirements: tuple[Requirement, ...]
) -> tuple[bool | None, float | None]:
    """Whether no required week exceeds the best usual one, and the largest ratio; None when
    no ratio is known."""
    ratios = [found.ratio for found in requirements if found.ratio is not None]
    worst = max(ratios) if ratios else None
    if remaining == 0:
        return True, worst
    if impossible:
        return False, worst
    if worst is None:
        return None, worst
    return worst <= 1.0, worst


def _weekly(opportunities: float, used: Rates, notes: list[str]) -> dict[str, float | None]:
    per_meeting, per_contact = used.opportunities_per_meeting, used.meetings_per_contact
    meetings = opportunities / per_meeting if per_meeting else None
    contacts = meetings / per_contact if meetings is not None and per_contact else None
    if meetings is None:
        notes.append("no meetings recorded: meetings and contacts needed are unknown")
    elif contacts is None:
        notes.append("no first contacts to leads recorded: contacts needed are unknown")
    return {"opportunities": opportunities, "meetings": meetings, "contacts": contacts}


def _ratio(needed: float | None, best: float) -> float | None:
    if needed is None or best <= 0:
        return None
    return needed / best


def _levers(
    own: Rates,
    benchmark: Rates,
    used: Rates,
    meetings: float | None,
    pipeline_needed: float | None,
    weeks_left: float,
    settings: PlanSettings,
    open_lift: Callable[[str, float], float],
) -> tuple[Lever, ...]:
    """The three levers sized by the benchmark (none of the first two for a thin rep, whose
    rates are already the benchmark's). `open_lift(stage, factor)` is the share of the
    remaining gap left once the open deals at or before `stage` convert `factor` times better."""
    levers = []
    leak = _leakiest_stage(own, benchmark, settings) if used is own else None
    if leak is not None:
        levers.append(_win_rate_lever(used, leak, meetings, open_lift))
    average, team_average = used.average_won, benchmark.average_won
    if used is own and average and team_average and team_average > average:
        factor = team_average / average
        levers.append(
            Lever(
                "deal_size",
                f"raise the average won deal from {average:,.0f} to the benchmark's "
                f"{team_average:,.0f}",
                average,
                team_average,
                factor,
                _divide(meetings, factor),
            )
        )
    per_week = pipeline_needed / weeks_left if pipeline_needed is not None and weeks_left else None
    pipeline_lever = _pipeline_lever(own, benchmark, used, meetings, per_week)
    if pipeline_lever is not None:
        levers.append(pipeline_lever)
    elif not any(lever.factor > 1 for lever in levers):
        # Nothing the team does better: the plan still names one lever, more new pipeline.
        levers.append(
            Lever(
                "add_pipeline",
                f"add pipeline: create {per_week:,.0f} of new pipeline a week"
                if per_week is not None
                else "add pipeline",
                None,
                None,
                1.0,
                meetings,
                pipeline_per_week=per_week,
            )
        )
    return tuple(levers)


def _win_rate_lever(
    used: Rates,
    leak: tuple[str, float, float, int],
    meetings: float | None,
    open_lift: Callable[[str, float], float],
) -> Lever:
    """Convert at the leakiest stage as the benchmark does; the open deals at or before that
    stage convert better too, so the lever also shrinks the gap still to fill."""
    stage, rate, team_rate, entered = leak
    # A stage where the rep converted none counts as half a deal converted, so the factor
    # stays finite.
    factor = team_rate / max(rate, 0.5 / entered)
    win_rate = used.win_rate or 0.0
    left = open_lift(stage, factor)
    effect = factor / left if left > 0 else float("inf")
    after = None if meetings is None else meetings / effect
    closes = " (the open pipeline then closes the gap)" if left == 0 else ""
    return Lever(
        "win_rate",
        f"raise conversion at {stage} from {rate:.0%} to the benchmark's "
        f"{team_rate:.0%} (win rate {win_rate:.0%} → {min(win_rate * factor, 1.0):.0%})" + closes,
        rate,
        team_rate,
        effect,
        after,
        stage=stage,
    )


def _pipeline_lever(
    own: Rates, benchmark: Rates, used: Rates, meetings: float | None, per_week: float | None
) -> Lever | None:
    """Turn as many meetings into opportunities as the benchmark, if the rep turns fewer."""
    per_meeting = used.opportunities_per_meeting
    team_per_meeting = benchmark.opportunities_per_meeting
    if not (per_meeting and team_per_meeting and team_per_meeting > per_meeting and used is own):
        return None
    factor = team_per_meeting / per_meeting
    return Lever(
        "add_pipeline",
        f"add pipeline: open {team_per_meeting:.2f} opportunities per meeting as the "
        f"benchmark does, not {per_meeting:.2f}",
        per_meeting,
        team_per_meeting,
        factor,
        _divide(meetings, factor),
        pipeline_per_week=per_week,
    )


def _divide(value: float | None, factor: float) -> float | None:
    return None if value is None else value / factor


def _open_lift(
    pipeline: PipelineValue, funnel: tuple[str, ...], remaining: float
) -> Callable[[str, float], float]:
    """For the win-rate lever: the share of the remaining gap left when the expected value of
    the open deals at or before `stage` grows `factor` times (at most to their value)."""

    def left(stage: str, factor: float) -> float:
        if remaining <= 0 or stage not in funnel:
            return 1.0
        early = funnel[: funnel.index(stage) + 1]
        lift = sum(
            min(
                pipeline.expected_by_stage.get(name, 0.0) * (factor - 1),
                max(
                    pipeline.value_by_stage.get(name, 0.0)
                    - pipeline.expected_by_stage.get(name, 0.0),
                    0.0,
                ),
            )
            for name in early
        )
        return max(remaining - lift, 0.0) / remaining

    return left


def _leakiest_stage(
    own: Rates, benchmark: Rates, settings: PlanSettings
) -> tuple[str, float, float, int] | None:
    """The stage where the rep converts the smallest share of the benchmark's rate (with at
    least `min_stage_deals` entered), if the rep converts less than the benchmark there."""
    worst: tuple[str, float, float, int] | None = None
    for mine in own.stages:
        theirs = benchmark.stage(mine.stage)
        if mine.entered < settings.min_stage_deals or theirs is None or not theirs.rate:
            continue
        rate = mine.rate or 0.0
        if rate >= theirs.rate:
            continue
        if worst is None or rate / theirs.rate < worst[1] / worst[2]:
            worst = (mine.stage, rate, theirs.rate, mine.entered)
    return worst


def _nothing(book: RateBook) -> Rates:
    return Rates(0, 0, 0.0, (), (), 0, 0, 0, 0, dict.fromkeys(ACTIVITIES, 0.0))


def _moment(period: Period, as_of: date, zone: str) -> pd.Timestamp:
    start = pd.Timestamp(end_of_day_utc(period.start - timedelta(days=1), zone))
    end = pd.Timestamp(end_of_day_utc(period.end, zone))
    return min(max(pd.Timestamp(end_of_day_utc(as_of, zone)), start), end)
