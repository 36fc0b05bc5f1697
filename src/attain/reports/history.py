"""JSON and CSV renderings of the change record, the pipeline waterfall and the call accuracy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attain.history.calls import CallAccuracy
from attain.history.changes import ChangeRecord
from attain.history.waterfall import Waterfall
from attain.reports.csv_safe import write_csv
from attain.reports.jsonable import dumps, jsonable

CHANGE_COLUMNS = (
    "kind",
    "opportunity_id",
    "owner_rep_id",
    "amount",
    "before",
    "after",
    "owner_name",
)
WATERFALL_COLUMNS = ("week", "week_start", "week_end", "line", "deals", "amount")
CALL_COLUMNS = (
    "week",
    "as_of",
    "won",
    "commit",
    "best_case",
    "pipeline",
    "commit_call",
    "best_case_call",
    "pipeline_call",
    "attain_p50",
    "actual",
)
CHANGED_TEAM = "changed_team"
"""The kind of a CSV row about a rep who changed team (owner_rep_id: the rep; before/after:
the teams)."""


def currency_note(currency: str | None) -> str:
    """Which currency the amounts are in, in words."""
    if currency is None:
        return "amounts as the CRM recorded them (no currency named)"
    return f"amounts in {currency}, the corporate currency"


def changes_json(record: ChangeRecord) -> str:
    """The change record, totals, every deal change and every team change."""
    return dumps(record)


def changes_csv(record: ChangeRecord, rep_names: Mapping[str, str] | None = None) -> str:
    """One row per deal change, then one per rep who changed team; ids as stored, and the
    rep's name beside them when `rep_names` knows it."""
    names = rep_names or {}
    rows: list[Sequence[Any]] = [
        (c.kind.value, c.opportunity_id, c.owner_rep_id, c.amount, c.before, c.after)
        for c in record.deals
    ]
    rows += [(CHANGED_TEAM, None, r.rep_id, None, r.team_before, r.team_after) for r in record.reps]
    named = [(*row, names.get(row[2] or "", "")) for row in rows]
    return _csv(CHANGE_COLUMNS, named)


def waterfall_json(waterfall: Waterfall) -> str:
    """Every week with its bars and the deals behind each."""
    return dumps(waterfall)


def waterfall_csv(waterfall: Waterfall) -> str:
    """Per week: a start line, one line per movement, an end line."""
    rows: list[Sequence[Any]] = []
    for week in waterfall.weeks:
        span = (week.week, week.start.isoformat(), week.end.isoformat())
        rows.append((*span, "start", week.start_deals, week.start_amount))
        rows += [(*span, bar.movement.value, bar.deals, bar.amount) for bar in week.bars]
        rows.append((*span, "end", week.end_deals, week.end_amount))
    return _csv(WATERFALL_COLUMNS, rows)


def calls_json(accuracy: CallAccuracy) -> str:
    """The period's actual and every week's calls."""
    return dumps(accuracy)


def calls_csv(accuracy: CallAccuracy) -> str:
    """One row per week, the period's actual repeated on each."""
    rows = [
        [*(jsonable(vars(week))[column] for column in CALL_COLUMNS[:-1]), accuracy.actual]
        for week in accuracy.weeks
    ]
    return _csv(CALL_COLUMNS, rows)


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return write_csv(rows, columns)
