"""The rates an activity plan is built from, per rep, per team and for the company.

All of them come from the last `history_quarters` completed calendar quarters (the window),
read from the store through Ibis; timestamps are taken as the store keeps them (UTC):

- *closed deals, win rate*: deals closed in the window with an outcome; won ÷ closed.
- *average won amount*: the mean amount of the deals won in the window.
- *cycle*: days from created to won of the deals won in the window (their median is shown;
  all of them say which share of new deals can still close before the period ends).
- *stage conversion*: of the deals closed in the window that entered a funnel stage, the share
  that entered a later funnel stage or were won. Funnel stages are those where the deals now
  sitting in them are mostly open (closing stages such as Closed Won are left out), ordered by
  where they usually come in a deal's history.
- *opportunities created*, *meetings* (activities of type meeting or demo) and *first
  contacts*: the first call or e-mail anyone logged to a lead (an activity with a lead_id),
  credited to the rep who made it. Opportunities per meeting and meetings per first contact are
  their ratios over the window.
- *weekly counts*: each of the three per week (seven-day weeks from the window's first day; the
  leftover days at its end are not a week), from the rep's hire week or the window's start to
  their last day or the window's end, weeks without any counting as 0. Their `percentile`
  (90th by default) is the rep's best usual week; a team's is over all its reps' weeks.
- *recent*: the same three per week over the `recent_days` up to the as-of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from attain.forecast.forecast import previous_periods
from attain.metrics.periods import Period, quarter_of
from attain.metrics.targets import team_or_none
from attain.plan.settings import PlanSettings
from attain.store.currency import has_real_creation
from attain.store.handle import Store

ACTIVITIES = ("meetings", "opportunities", "contacts")
MEETING_TYPES = ("meeting", "demo")
CONTACT_TYPES = ("call", "email")
CLOSING_SHARE = 0.5
"""A stage where at least this share of the deals now in it are closed is a closing stage."""


@dataclass(frozen=True)
class StageConversion:
    """Closed deals that entered a funnel stage, and of those the ones that got past it."""

    stage: str
    entered: int
    converted: int

    @property
    def rate(self) -> float | None:
        """converted ÷ entered; None when no deal entered the stage."""
        return self.converted / self.entered if self.entered else None


@dataclass(frozen=True)
class Rates:
    """One rep's, one team's or the company's record over the window."""

    closed: int
    won: int
    won_amount: float
    cycle_days: tuple[float, ...]
    """Days from created to won of each deal won in the window, sorted."""
    stages: tuple[StageConversion, ...]
    meetings: int
    opportunities: int
    contacts: int
    weeks: int
    """Weeks of the window counted (per rep; summed over a team's reps)."""
    best_week: Mapping[str, float]
    """The `percentile` week of each activity (meetings, opportunities, contacts)."""

    @property
    def win_rate(self) -> float | None:
        """Won ÷ closed; None with nothing closed."""
        return self.won / self.closed if self.closed else None

    @property
    def average_won(self) -> float | None:
        """Mean amount of the won deals; None with none won."""
        return self.won_amount / self.won if self.won else None

    @property
    def median_cycle_days(self) -> float | None:
        """Median days from created to won; None with none won."""
        return float(np.median(self.cycle_days)) if self.cycle_days else None

    @property
    def opportunities_per_meeting(self) -> float | None:
        """Opportunities created per meeting held; None without meetings."""
        return self.opportunities / self.meetings if self.meetings else None

    @property
    def meetings_per_contact(self) -> float | None:
        """Meetings held per first contact made; None without first contacts."""
        return self.meetings / self.contacts if self.contacts else None

    def share_closing_within(self, days: float) -> float | None:
        """Of deals created evenly over the next `days` and won, the share won within them:
        the mean over past cycles c of max(days − c, 0) ÷ days. None with no cycles."""
        if not self.cycle_days:
            return None
        if days <= 0:
            return 0.0
        cycles = np.asarray(self.cycle_days, dtype=float)
        return float(np.clip(days - cycles, 0.0, None).mean() / days)

    def stage(self, name: str) -> StageConversion | None:
        """The conversion at stage `name`, if it is a funnel stage."""
        return next((found for found in self.stages if found.stage == name), None)


@dataclass(frozen=True)
class RateBook:
    """Every rep's, team's and the company's rates over one window, and recent activity."""

    window: Period
    funnel: tuple[str, ...]
    reps: Mapping[str, Rates]
    teams: Mapping[str, Rates]
    company: Rates
    rep_teams: Mapping[str, str | None]
    recent: Mapping[str, Mapping[str, float]]
    """Per rep: meetings, opportunities and contacts per week over the recent days."""
    recent_days: int


def history_window(as_of: date, quarters: int) -> Period:
    """The `quarters` completed calendar quarters before the one containing `as_of`."""
    periods = previous_periods(quarter_of(as_of), quarters)
    return Period(periods[-1].start, periods[0].end)


def load_rates(backend: Store, as_of: date, settings: PlanSettings) -> RateBook:
    """Read the window's deals, stage entries and activities through Ibis and build the rates."""
    window = history_window(as_of, settings.history_quarters)
    start, stop = _instant(window.start), _instant(window.end + timedelta(days=1))
    reps = backend.execute(
        backend.table("reps").select("rep_id", "team_id", "hire_date", "end_date")
    )
    deals = backend.table("opportunities")
    closed = deals.filter(
        deals.is_won.notnull(), deals.closed_at >= start, deals.closed_at < stop
    ).select(
        opportunity_id=deals.opportunity_id,
        rep_id=deals.owner_rep_id,
        is_won=deals.is_won,
        amount=deals.amount,
        # None for backdated deals: entered after they closed, they have no real cycle.
        cycle_days=ibis.cases(
            (
                has_real_creation(deals),
                (deals.closed_at.epoch_seconds() - deals.created_at.epoch_seconds()) / 86400.0,
            ),
            else_=None,
        ),
    )
    closed_frame = backend.execute(closed)
    history = backend.table("opportunity_stages")
    entries = backend.execute(
        history.join(closed, history.opportunity_id == closed.opportunity_id).select(
            opportunity_id=history.opportunity_id,
            stage=history.stage,
            entered_at=history.entered_at,
        )
    )
    now = deals.group_by("stage").aggregate(
        deals=deals.count(), closed=deals.count(where=deals.closed_at.notnull())
    )
    closing = {
        str(stage)
        for stage, count, done in backend.execute(now).itertuples(index=False)
        if done >= CLOSING_SHARE * count
    }
    events = _weekly_events(backend, start, stop)
    recent_start = _instant(as_of - timedelta(days=settings.recent_days - 1))
    recent = _counts(backend, recent_start, _instant(as_of + timedelta(days=1)))
    return build_rates(
        window,
        reps,
        closed_frame,
        entries,
        closing,
        events,
        recent,
        settings,
    )


def build_rates(
    window: Period,
    reps: pd.DataFrame,
    closed: pd.DataFrame,
    entries: pd.DataFrame,
    closing: set[str],
    events: pd.DataFrame,
    recent: pd.DataFrame,
    settings: PlanSettings,
) -> RateBook:
    """The rate book from plain frames: reps (rep_id, team_id, hire_date, end_date); deals
    closed in the window (opportunity_id, rep_id, is_won, amount, cycle_days); their stage
    entries (opportunity_id, stage, entered_at); events in the window (rep_id, kind, at) and
    recent counts (rep_id, kind, count)."""
    rep_teams = {
        str(rep): team_or_none(team)
        for rep, team in zip(reps["rep_id"], reps["team_id"], strict=True)
    }
    funnel = _funnel(entries, closing)
    converted = _conversions(closed, entries, funnel)
    weekly = _weekly(window, reps, events)
    members: dict[str, list[str]] = {}
    for rep, team in rep_teams.items():
        if team is not None:
            members.setdefault(team, []).append(rep)
    deals, stages, done, weeks = (_RepRows.of(f) for f in (closed, converted, events, weekly))

    def rates_of(group: set[str]) -> Rates:
        return _rates(
            deals.rows(group),
            stages.rows(group),
            done.rows(group),
            weeks.rows(group),
            funnel,
            settings,
        )

    own = {rep: rates_of({rep}) for rep in rep_teams}
    teams = {team: rates_of(set(reps_)) for team, reps_ in members.items()}
    company = rates_of(set(rep_teams))
    per_week = settings.recent_days / 7
    recent_rates: dict[str, dict[str, float]] = {rep: dict.fromkeys(ACTIVITIES, 0.0) for rep in own}
    for rep, kind, count in recent[["rep_id", "kind", "count"]].itertuples(index=False):
        recent_rates.setdefault(str(rep), dict.fromkeys(ACTIVITIES, 0.0))[str(kind)] = (
            float(count) / per_week
        )
    return RateBook(
        window=window,
        funnel=tuple(funnel),
        reps=own,
        teams=teams,
        company=company,
        rep_teams=rep_teams,
        recent=recent_rates,
        recent_days=settings.recent_days,
    )


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _event_tables(backend: Store) -> list[Any]:
    """Ibis tables of (rep_id, kind, at): meetings, opportunities created, first contacts."""
    acts = backend.table("activities")
    deals = backend.table("opportunities")
    meetings = acts.filter(acts.type.isin(MEETING_TYPES)).select(
        rep_id=acts.rep_id, kind=ibis.literal("meetings"), at=acts.occurred_at
    )
    created = deals.filter(deals.created_at.notnull()).select(
        rep_id=deals.owner_rep_id, kind=ibis.literal("opportunities"), at=deals.created_at
    )
    touches = acts.filter(acts.type.isin(CONTACT_TYPES) & acts.lead_id.notnull())
    first = touches.group_by(touches.lead_id).aggregate(
        rep_id=touches.rep_id.argmin(touches.occurred_at), at=touches.occurred_at.min()
    )
    contacts = first.select(rep_id=first.rep_id, kind=ibis.literal("contacts"), at=first.at)
    return [meetings, created, contacts]


def _weekly_events(backend: Store, start: datetime, stop: datetime) -> pd.DataFrame:
    """Per rep, kind and week index (7-day weeks from `start`): how many events."""
    frames = []
    for table in _event_tables(backend):
        inside = table.filter((table.at >= start) & (table.at < stop))
        origin = int(start.replace(tzinfo=UTC).timestamp())
        week = ((inside.at.epoch_seconds() - origin) / (7 * 86400)).floor()
        frames.append(
            backend.execute(
                inside.group_by(
                    rep_id=inside.rep_id, kind=inside.kind, week=week.cast("int64")
                ).aggregate(count=inside.count())
            )
        )
    found: pd.DataFrame = pd.concat(frames, ignore_index=True).astype({"rep_id": str, "kind": str})
    return found


def _counts(backend: Store, start: datetime, stop: datetime) -> pd.DataFrame:
    """Per rep and kind: events in [start, stop)."""
    frames = []
    for table in _event_tables(backend):
        inside = table.filter((table.at >= start) & (table.at < stop))
        frames.append(
            backend.execute(
                inside.group_by(rep_id=inside.rep_id, kind=inside.kind).aggregate(
                    count=inside.count()
                )
            )
        )
    found: pd.DataFrame = pd.concat(frames, ignore_index=True).astype({"rep_id": str, "kind": str})
    return found


def _funnel(entries: pd.DataFrame, closing: set[str]) -> list[str]:
    """Open stages in the order they usually come: by their mean position in deals' histories."""
    rows = entries.loc[~entries["stage"].astype(str).isin(closing)].copy()
    if rows.empty:
        return []
    rows["stage"] = rows["stage"].astype(str)
    rows = rows.sort_values(["opportunity_id", "entered_at", "stage"])
    rows["position"] = rows.groupby("opportunity_id").cumcount()
    order = rows.groupby("stage")["position"].mean().sort_values(kind="stable")
    return [str(stage) for stage in order.index]


def _conversions(closed: pd.DataFrame, entries: pd.DataFrame, funnel: list[str]) -> pd.DataFrame:
    """Per closed deal and funnel stage it entered: rep_id, stage, converted (0/1)."""
    rank = {stage: k for k, stage in enumerate(funnel)}
    rows = entries.assign(stage=entries["stage"].astype(str))
    rows = rows.loc[rows["stage"].isin(rank)].drop_duplicates(["opportunity_id", "stage"])
    if rows.empty:
        return pd.DataFrame({"rep_id": [], "stage": [], "converted": []})
    rows = rows.assign(k=rows["stage"].map(rank))
    furthest = rows.groupby("opportunity_id")["k"].max()
    deals = closed.set_index("opportunity_id")
    rows = rows.loc[rows["opportunity_id"].isin(deals.index)]
    won = rows["opportunity_id"].map(deals["is_won"].astype(bool))
    later = rows["opportunity_id"].map(furthest) > rows["k"]
    return pd.DataFrame(
        {
            "rep_id": rows["opportunity_id"].map(deals["rep_id"]).astype(str),
            "stage": rows["stage"],
            "converted": (later | won).astype(int),
        }
    )


def _weekly(window: Period, reps: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """(rep, week) rows for every week each rep was employed, with each activity's count."""
    weeks = window.days // 7
    rows: list[tuple[str, int]] = []
    for rep, hired, left in reps[["rep_id", "hire_date", "end_date"]].itertuples(index=False):
        first = (
            0 if pd.isna(hired) else max((pd.Timestamp(hired).date() - window.start).days // 7, 0)
        )
        last = (
            weeks - 1
            if pd.isna(left)
            else min((pd.Timestamp(left).date() - window.start).days // 7, weeks - 1)
        )
        rows.extend((str(rep), week) for week in range(first, last + 1))
    frame = pd.DataFrame(rows, columns=["rep_id", "week"])
    counts = (
        events.loc[events["week"] < weeks]
        .pivot_table(index=["rep_id", "week"], columns="kind", values="count", aggfunc="sum")
        .reindex(columns=list(ACTIVITIES))
    )
    frame = frame.merge(counts.reset_index(), on=["rep_id", "week"], how="left")
    return frame.fillna(dict.fromkeys(ACTIVITIES, 0.0))


@dataclass(frozen=True)
class _RepRows:
    """A frame's row positions per rep, found once: a rep's or a team's rows are then a lookup,
    not a scan of the whole frame per rep (which took 20 s for 1,000 reps)."""

    frame: pd.DataFrame
    positions: dict[str, np.ndarray]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _RepRows:
        keys = frame["rep_id"].astype(str)
        groups = keys.groupby(keys).indices
        return cls(frame, {str(rep): np.asarray(rows) for rep, rows in groups.items()})

    def rows(self, reps: set[str]) -> pd.DataFrame:
        """The rows of `reps`, in the frame's order."""
        found = [self.positions[rep] for rep in reps if rep in self.positions]
        picked = np.sort(np.concatenate(found)) if found else np.array([], dtype=np.intp)
        rows: pd.DataFrame = self.frame.iloc[picked]
        return rows


def _rates(
    mine: pd.DataFrame,
    stages: pd.DataFrame,
    events: pd.DataFrame,
    weeks: pd.DataFrame,
    funnel: list[str],
    settings: PlanSettings,
) -> Rates:
    """The rates of a group of reps from their rows of the closed deals, stage conversions,
    events and weekly counts."""
    won = mine.loc[mine["is_won"].astype(bool)]
    grouped = stages.groupby("stage")["converted"]
    entered = {str(stage): int(count) for stage, count in grouped.size().items()}
    converted_ = {str(stage): int(count) for stage, count in grouped.sum().items()}
    done = events.groupby("kind")["count"].sum()
    best = {
        kind: float(np.quantile(weeks[kind], settings.percentile)) if len(weeks) else 0.0
        for kind in ACTIVITIES
    }
    return Rates(
        closed=len(mine),
        won=len(won),
        won_amount=float(won["amount"].fillna(0.0).sum()),
        cycle_days=tuple(sorted(float(days) for days in won["cycle_days"].dropna())),
        stages=tuple(
            StageConversion(stage, entered.get(stage, 0), converted_.get(stage, 0))
            for stage in funnel
        ),
        meetings=int(done.get("meetings", 0)),
        opportunities=int(done.get("opportunities", 0)),
        contacts=int(done.get("contacts", 0)),
        weeks=len(weeks),
        best_week=best,
    )
