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

    `bookings` and `meetings` hold what each selling rep did in each covered quarter.
    """
    timeline = org.timeline
    reps = np.arange(org.selling)
    starts = timeline.quarter_starts[:-1]
    ends = timeline.quarter_starts[1:] - 1
    length = ends - starts + 1
    hire, end = org.hire_day[reps, None], org.end_day[reps, None]
    overlap = np.clip(
        np.minimum(end, ends[None, :]) - np.maximum(hire, starts[None, :]) + 1, 0, None
    )
    share = overlap / length[None, :]
    middle = (np.maximum(hire, starts[None, :]) + ends[None, :]) // 2
    ramp = org.ramp(reps[:, None], middle)
    season = quarter_season(org)

    clean = (
        (plants.cause[reps, None] < 0)
        & (hire <= starts[None, :] - 182)
        & (end > ends[None, :])
        & (np.arange(timeline.quarters)[None, :] < timeline.quarters - 1)
    )
    capacity = _capacity(bookings / season[None, :], clean, FALLBACK_BOOKINGS) * QUOTA_FACTOR
    meeting_capacity = _capacity(meetings, clean, FALLBACK_MEETINGS) * MEETINGS_FACTOR
    # Full-period quotas, as CRMs store them: Attain pro-rates for days employed itself.
    standard = np.round(capacity * season[None, :] * ramp, -3)
    meeting_target = np.round(meeting_capacity * ramp)

    set_day = np.maximum(starts[None, :] - rng.integers(3, 13, share.shape), hire)
    set_at = business_time(rng, set_day.ravel(), np.repeat(org.utc_offset[reps], timeline.quarters))
    set_at = set_at.reshape(share.shape)

    rep_rows: list[Ints] = []
    quarter_rows: list[Ints] = []
    metric_rows: list[Ints] = []
    target_rows: list[Floats] = []
    set_rows: list[Ints] = []
    valid = share > 0
    valid_rep, valid_quarter = np.nonzero(valid)
    for metric_code, target in enumerate((standard, meeting_target)):
        rep_rows.append(valid_rep)
        quarter_rows.append(valid_quarter)
        metric_rows.append(np.full(valid_rep.size, metric_code))
        target_rows.append(np.maximum(target[valid_rep, valid_quarter], 1.0))
        set_rows.append(set_at[valid_rep, valid_quarter])

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
            first_row = np.flatnonzero((rep_rows[0] == person) & (quarter_rows[0] == period))
            target_rows[0][first_row] = changes[0][1]
            for when, value in changes[1:]:
                rep_rows.append(np.array([person]))
                quarter_rows.append(np.array([period]))
                metric_rows.append(np.array([0]))
                target_rows.append(np.array([value]))
                set_rows.append(np.array([when]))
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

    rep = np.concatenate(rep_rows)
    quarter = np.concatenate(quarter_rows)
    metric = np.concatenate(metric_rows)
    target = np.concatenate(target_rows)
    moment = np.concatenate(set_rows)
    order = np.lexsort((moment, metric, quarter, rep))
    rep, quarter, metric, moment = rep[order], quarter[order], metric[order], moment[order]
    target = target[order]
    columns = {
        "rep_id": pick(org.person_ids, rep),
        "period_start": dates(starts[quarter]),
        "period_end": dates(ends[quarter]),
        "metric": labels(METRICS, metric),
        "target": np.asarray(target, dtype=np.float64),
        "set_at": timestamps(moment),
    }
    return columns, revisions


def _capacity(values: Floats, clean: np.ndarray, fallback: float) -> float:
    """Median of the clean rep-quarters, or `fallback` when there are too few."""
    sample = values[clean]
    return float(np.median(sample)) if sample.size >= 5 else fallback
