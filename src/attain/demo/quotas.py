"""Quarterly quotas: a bookings and a meetings target per selling rep, set before each quarter.

Targets come from a capacity model: what a healthy, fully ramped rep books in a full quarter
(the median of such rep-quarters), times QUOTA_FACTOR, adjusted for season, ramp and days
employed. That makes ordinary reps hit in roughly two quarters out of three, top performers
nearly always. Reps planted with target_setting get ratcheted targets and mid-period raises.
"""

from __future__ import annotations

import numpy as np

from attain.demo import causes as c
from attain.demo.causes import Plants
from attain.demo.organisation import Organisation
from attain.demo.quota_periods import regroup
from attain.demo.timeline import MONTH_SEASON, Floats, Ints, as_date, business_time, month_index
from attain.demo.writer import Array, dates, labels, pick, timestamps

QUOTA_FACTOR = 0.82
"""Bookings target as a share of the median healthy rep-quarter."""
MEETINGS_FACTOR = 0.9
FALLBACK_BOOKINGS = 100_000.0
"""Quarterly bookings capacity when the window has no full quarter to learn from."""
FALLBACK_MEETINGS = 80.0
CLOSE_LAG_MONTHS = 2
"""Deals close about two months after demand arrives, so bookings follow season late."""
METRICS = ("bookings", "meetings")


def quarter_season(org: Organisation) -> Floats:
    """Seasonal index of bookings in each covered quarter."""
    starts = org.timeline.quarter_starts[:-1]
    months = month_index(starts)[:, None] + np.arange(3)[None, :] - CLOSE_LAG_MONTHS
    season: Floats = MONTH_SEASON[months % 12].mean(axis=1)
    return season


def quota_columns(
    org: Organisation,
    plants: Plants,
    bookings: Floats,
    meetings: Floats,
    rng: np.random.Generator,
) -> tuple[dict[str, Array], dict[int, list[dict[str, object]]]]:
    """quotas.csv rows, and the revisions of each ratcheted rep (person -> revisions).

    `bookings` and `meetings` hold what each selling rep did in each covered quarter. Quotas
    are planned per quarter; a variant with monthly or annual quotas regroups them
    (see quota_periods).
    """
    timeline = org.timeline
    standard, meeting_target, share = _standard_targets(org, plants, bookings, meetings)
    set_day = np.maximum(
        timeline.quarter_starts[:-1][None, :] - rng.integers(3, 13, share.shape),
        org.hire_day[: org.selling, None],
    )
    offsets = np.repeat(org.utc_offset[: org.selling], timeline.quarters)
    set_at = business_time(rng, set_day.ravel(), offsets).reshape(share.shape)

    rows = _Rows()
    valid_rep, valid_quarter = np.nonzero(share > 0)
    for metric_code, target in enumerate((standard, meeting_target)):
        rows.add(
            valid_rep,
            valid_quarter,
            metric_code,
            np.maximum(target[valid_rep, valid_quarter], 1.0),
            set_at[valid_rep, valid_quarter],
        )
    revisions = _ratchet(org, plants, standard, set_at, rows, rng)
    columns = rows.columns(org)
    period = org.spec.variant.quota_period
    return regroup(columns, period) if period != "quarter" else columns, revisions


def _standard_targets(
    org: Organisation, plants: Plants, bookings: Floats, meetings: Floats
) -> tuple[Floats, Floats, Floats]:
    """Full-period bookings and meetings targets per rep and quarter, and the share of each
    quarter the rep is employed (0 where no quota is set)."""
    timeline = org.timeline
    reps = np.arange(org.selling)
    starts = timeline.quarter_starts[:-1]
    ends = timeline.quarter_starts[1:] - 1
    length = ends - starts + 1
    hire, end = org.hire_day[reps, None], org.end_day[reps, None]
    overlap = np.clip(
        np.minimum(end, ends[None, :]) - np.maximum(hire, starts[None, :]) + 1, 0, None
    )
    share: Floats = overlap / length[None, :]
    middle = (np.maximum(hire, starts[None, :]) + ends[None, :]) // 2
    ramp = org.ramp(reps[:, None], middle)
    season = quarter_season(org)
    # Capacity is learnt from healthy, ramped rep-quarters that were complete.
    clean = (
        (plants.cause[reps, None] < 0)
        & (hire <= starts[None, :] - 182)
        & (end > ends[None, :])
        & (np.arange(timeline.quarters)[None, :] < timeline.quarters - 1)
    )
    capacity = _capacity(bookings / season[None, :], clean, FALLBACK_BOOKINGS) * QUOTA_FACTOR
    meeting_capacity = _capacity(meetings, clean, FALLBACK_MEETINGS) * MEETINGS_FACTOR
    # Full-period quotas, as CRMs store them: Attain pro-rates for days employed itself.
    standard: Floats = np.round(capacity * season[None, :] * ramp, -3)
    meeting_target: Floats = np.round(meeting_capacity * ramp)
    return standard, meeting_target, share


class _Rows:
    """Quota rows collected in parts: rep, quarter, metric, target and when it was set."""

    def __init__(self) -> None:
        self.parts: list[tuple[Ints, Ints, Ints, Floats, Ints]] = []

    def add(self, rep: Ints, quarter: Ints, metric: int, target: Floats, set_at: Ints) -> None:
        self.parts.append((rep, quarter, np.full(rep.size, metric), target, set_at))

    def columns(self, org: Organisation) -> dict[str, Array]:
        """The rows in (rep, quarter, metric, set_at) order as quotas.csv columns."""
        rep, quarter, metric, target, moment = (
            np.concatenate([part[k] for part in self.parts]) for k in range(5)
        )
        order = np.lexsort((moment, metric, quarter, rep))
        starts = org.timeline.quarter_starts[:-1]
        ends = org.timeline.quarter_starts[1:] - 1
        return {
            "rep_id": pick(org.person_ids, rep[order]),
            "period_start": dates(starts[quarter[order]]),
            "period_end": dates(ends[quarter[order]]),
            "metric": labels(METRICS, metric[order]),
            "target": np.asarray(target[order], dtype=np.float64),
            "set_at": timestamps(moment[order]),
        }


def _ratchet(
    org: Organisation,
    plants: Plants,
    standard: Floats,
    set_at: Ints,
    rows: _Rows,
    rng: np.random.Generator,
) -> dict[int, list[dict[str, object]]]:
    """Ratchet the targets of target-setting reps from the onset on: a higher target each
    period and a mid-period raise. Changes `rows` in place; returns each rep's revisions."""
    timeline = org.timeline
    starts = timeline.quarter_starts[:-1]
    first_rep, first_quarter, _, first_target, _ = rows.parts[0]
    revisions: dict[int, list[dict[str, object]]] = {}
    recent = np.flatnonzero(starts >= plants.onset_day)
    for person in np.flatnonzero(plants.has("target_setting")[: org.selling]).tolist():
        revisions[person] = []
        previous = float(standard[person, recent[0] - 1]) if recent.size and recent[0] > 0 else 0.0
        for j, period in enumerate(recent.tolist()):
            initial = float(standard[person, period]) * c.RATCHET[min(j, len(c.RATCHET) - 1)]
            if j == 0:
                initial = max(initial, previous * 1.25)
            raised = round(initial * c.MID_PERIOD_RAISE, -3)
            revised_at = int(
                business_time(
                    rng,
                    np.array([starts[period] + rng.integers(28, 43)]),
                    org.utc_offset[[person]],
                )[0]
            )
            changes = [(int(set_at[person, period]), round(initial, -3))]
            if revised_at < timeline.cutoff:
                changes.append((revised_at, raised))
            first_target[(first_rep == person) & (first_quarter == period)] = changes[0][1]
            for when, value in changes[1:]:
                rows.add(
                    np.array([person]), np.array([period]), 0, np.array([value]), np.array([when])
                )
            for when, value in changes:
                revisions[person].append(
                    {
                        "period_start": str(as_date(int(starts[period]))),
                        "set_at": str(np.datetime64(when, "s")).replace("T", " "),
                        "target": value,
                        "previous_target": previous,
                    }
                )
                previous = value
    return revisions


def _capacity(values: Floats, clean: np.ndarray, fallback: float) -> float:
    """Median of the clean rep-quarters, or `fallback` when there are too few."""
    sample = values[clean]
    return float(np.median(sample)) if sample.size >= 5 else fallback
