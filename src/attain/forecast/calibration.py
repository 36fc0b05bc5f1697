"""Forecast bands calibrated on the organisation's own backtest, and the better method per week.

A Monte Carlo band is only as honest as the model under it: on a small or unusual organisation
it can miss the actual four times in five. So, for each scope (company, teams, reps) and week
of the quarter, Attain looks at how its own forecasts at the same week of *earlier* quarters
fared (a rolling origin: never the quarter being forecast) and:

1. **Chooses the method** with the lower mean absolute percentage error there: Attain's model
   (the P50), the run-rate (bookings so far ÷ share of the quarter elapsed), or a blend (their
   mean). The chosen value becomes the P50 and the band moves with it.
2. **Calibrates the band** by split-conformal prediction on the band's misses (conformalised
   quantile regression, Romano, Patterson and Candès 2019): each earlier forecast scores
   `max(P10 − actual, actual − P90) ÷ scale` (negative when the actual fell inside), and the
   band widens on each side by the ⌈(n + 1) × 0.8⌉-th smallest score × scale (narrows where it
   is negative), so that about 80% of actuals land inside, as a P10–P90 promises. The scale is
   the larger of the chosen P50 and the average P50 of the scope's kind at that week (the
   average rep's, for a rep): a rep with no open pipeline and little history borrows the width
   of their peers (partial pooling) and gets a band, not a point at zero.
3. **Says how much it knows.** With fewer than `MIN_QUARTERS` (4) earlier quarters at that
   week, the few quarters' largest miss sets the widening (the conformal rank is beyond them),
   and each quarter missing adds `THIN_HISTORY_WIDEN` (25%) × scale ÷ 4 on each side (25% with
   none, 12.5% with two) while any of the quarter is left: forecast as of its last day, the
   quarter is over and nothing can still close in it (a closed quarter of the Maven sample,
   2.80 M booked, showed a P90 of 3.33 M before). Every surface that shows the band says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from attain.metrics.periods import quarter_of

if TYPE_CHECKING:  # the backtest makes forecasts, whose module applies calibrations
    from attain.forecast.backtest import BacktestPoint

COVERAGE = 0.8
"""What a P10–P90 band promises: the actual inside it 80% of the time."""
MIN_QUARTERS = 4
"""Earlier quarters at a week below which the calibration is called thin."""
THIN_HISTORY_WIDEN = 0.25
"""Widening of each side, as a share of the scale, with no earlier quarter; each earlier
quarter short of MIN_QUARTERS adds a quarter of it to what the conformal rank asks (none once
the quarter is over: `Calibration.over`)."""
METHODS = ("model", "run_rate", "blend")
"""The methods a week can choose between."""
METHOD_NAMES = {"model": "Attain's model", "run_rate": "the run-rate", "blend": "a blend of both"}


@dataclass(frozen=True)
class Calibration:
    """How one scope kind's forecasts at one week of the quarter are centred and widened."""

    scope: str
    week: int
    method: str
    """'model', 'run_rate' or 'blend': the lowest backtested error at this week."""
    errors: dict[str, float]
    """Each method's mean absolute percentage error at this week over earlier quarters."""
    quarters: int
    """Earlier quarters behind it."""
    points: int
    """Earlier forecasts scored (a quarter has one per team or rep)."""
    widen: float
    """Added to each side of the band, as a share of the scale (negative: narrowed),
    `thin_widen` included."""
    thin_widen: float = 0.0
    """The part of `widen` that stands for too few earlier quarters."""
    quarter_over: bool = False
    """Applied as of the quarter's last day: `over` took `thin_widen` out."""

    def over(self) -> Calibration:
        """This calibration for a forecast as of the quarter's last day: nothing can still
        close in the quarter, so nothing is widened for too few earlier quarters (the
        conformal part, measured on earlier quarters' last weeks, stands)."""
        return replace(self, widen=self.widen - self.thin_widen, thin_widen=0.0, quarter_over=True)

    @property
    def thin(self) -> bool:
        """Whether fewer than MIN_QUARTERS earlier quarters back it."""
        return self.quarters < MIN_QUARTERS

    @property
    def error(self) -> float | None:
        """The chosen method's backtested error at this week (None without history)."""
        return self.errors.get(self.method)

    def line(self) -> str:
        """One sentence a sales leader reads beside the band."""
        if not self.points and self.quarter_over:
            return (
                f"{self.scope}: no earlier quarter to calibrate week {self.week} on; the band "
                "is the model's, not widened: the quarter is over"
            )
        if not self.points:
            return (
                f"{self.scope}: no earlier quarter to calibrate week {self.week} on; the band "
                f"is the model's, widened by {self.widen:.0%} of the P50 on each side"
            )
        said = (
            f"{self.scope}, week {self.week}: {METHOD_NAMES[self.method]}, backtested error "
            f"{self.error:.0%} over {self.quarters} earlier quarter(s); band "
            f"{'widened' if self.widen >= 0 else 'narrowed'} by {abs(self.widen):.0%} of the "
            "P50 on each side to hold the actual 80% of the time"
        )
        if self.thin and self.quarter_over:
            said += (
                f" (fewer than {MIN_QUARTERS} quarters, but the quarter is over: not widened "
                "for them)"
            )
        elif self.thin:
            said += (
                f" (fewer than {MIN_QUARTERS} quarters: too few to trust, so widened further "
                "for each quarter missing)"
            )
        return said


def centre(method: str, p50: float, run_rate: float) -> float:
    """The forecast `method` gives from the model's P50 and the run-rate."""
    if method == "run_rate":
        return run_rate
    if method == "blend":
        return (p50 + run_rate) / 2.0
    return p50


def calibrate(
    points: Sequence[BacktestPoint], scope: str, week: int, before: str | None = None
) -> Calibration:
    """The calibration of `scope` forecasts at `week`, from the `points` of periods before
    `before` (a period label; None: all of them)."""
    rows = [
        p
        for p in points
        if p.scope == scope and p.week == week and (before is None or p.period < before)
    ]
    scored = [p for p in rows if p.actual > 0]
    errors = {
        method: float(
            np.mean([abs(centre(method, p.p50, p.run_rate) - p.actual) / p.actual for p in scored])
        )
        for method in METHODS
        if scored
    }
    method = min(errors, key=lambda name: errors[name]) if errors else "model"
    pools = _pools(rows)
    scores = [_score(p, method, pools[(p.period, p.week)]) for p in rows]
    quarters = len({p.period for p in rows})
    widen = _conformal(scores)
    if quarters < MIN_QUARTERS:
        # With few quarters the conformal rank is their largest miss, which can still be too
        # small: each quarter short of MIN_QUARTERS adds a quarter of THIN_HISTORY_WIDEN.
        thin = THIN_HISTORY_WIDEN * (MIN_QUARTERS - quarters) / MIN_QUARTERS
        return Calibration(scope, week, method, errors, quarters, len(rows), widen + thin, thin)
    return Calibration(scope, week, method, errors, quarters, len(rows), widen)


def calibrated_band(
    calibration: Calibration,
    *,
    booked: float,
    p10: float,
    p50: float,
    p90: float,
    run_rate: float,
    pool: float,
) -> tuple[float, float, float]:
    """(P10, P50, P90) centred on the calibration's method and widened by it; never below what
    is already booked. `pool` is the average P50 of the scope's kind (see the module)."""
    middle = max(centre(calibration.method, p50, run_rate), booked)
    shift = middle - p50
    scale = max(middle, pool)
    low = max(booked, min(p10 + shift - calibration.widen * scale, middle))
    high = max(p90 + shift + calibration.widen * scale, middle)
    return low, middle, high


def chance_at_least(target: float, p10: float, p50: float, p90: float) -> float:
    """The chance of reaching `target` read off a band: linear between P10 (0.9), P50 (0.5) and
    P90 (0.1), and beyond them along the same slopes, within 0–1."""
    if p90 <= p10:
        return 1.0 if target <= p50 else 0.0
    if target <= p50:
        slope = 0.4 / (p50 - p10) if p50 > p10 else math.inf
        return float(min(1.0, 0.5 + (p50 - target) * slope))
    slope = 0.4 / (p90 - p50) if p90 > p50 else math.inf
    return float(max(0.0, 0.5 - (target - p50) * slope))


def calibrated_points(points: Sequence[BacktestPoint]) -> list[BacktestPoint]:
    """Every backtest point re-centred and widened by the calibration of its scope kind and
    week from the periods before its own (a rolling origin), as a live forecast would be."""
    cache: dict[tuple[str, int, str], Calibration] = {}
    pools = _pools(points)
    result = []
    for point in points:
        key = (point.scope, point.week, point.period)
        if key not in cache:
            cache[key] = calibrate(points, point.scope, point.week, before=point.period)
        found = cache[key]
        low, middle, high = calibrated_band(
            found.over() if point.as_of >= quarter_of(point.as_of).end else found,
            booked=point.booked,
            p10=point.p10,
            p50=point.p50,
            p90=point.p90,
            run_rate=point.run_rate,
            pool=pools[(point.period, point.week)].get(point.scope, 0.0),
        )
        result.append(replace(point, p10=low, p50=middle, p90=high))
    return result


def _pools(points: Sequence[BacktestPoint]) -> dict[tuple[str, int], dict[str, float]]:
    """Per period and week, the average P50 of each scope kind (the average rep, team)."""
    sums: dict[tuple[str, int], dict[str, list[float]]] = {}
    for p in points:
        sums.setdefault((p.period, p.week), {}).setdefault(p.scope, []).append(p.p50)
    return {
        key: {scope: float(np.mean(values)) for scope, values in kinds.items()}
        for key, kinds in sums.items()
    }


def _score(point: BacktestPoint, method: str, pools: dict[str, float]) -> float:
    """How far outside its band (shifted to `method`) the actual fell, as a share of the
    scale; negative when inside."""
    middle = max(centre(method, point.p50, point.run_rate), point.booked)
    shift = middle - point.p50
    scale = max(middle, pools.get(point.scope, 0.0))
    if scale <= 0:
        return 0.0
    return max(point.p10 + shift - point.actual, point.actual - point.p90 - shift) / scale


def _conformal(scores: Sequence[float]) -> float:
    """The split-conformal widening: the ⌈(n + 1) × COVERAGE⌉-th smallest score (the largest
    when n is too small for that rank); 0 without scores."""
    if not scores:
        return 0.0
    ordered = sorted(scores)
    rank = math.ceil((len(ordered) + 1) * COVERAGE)
    return float(ordered[min(rank, len(ordered)) - 1])
