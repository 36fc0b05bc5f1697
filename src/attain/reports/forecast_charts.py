"""Charts of the forecast: the cone of a period narrowing week by week towards its target, and
a backtested period's cone against what actually closed. Built with Altair; `to_svg` in
`attain.reports.charts` renders them to inline SVG offline, like the diagnosis charts.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from attain.forecast.backtest import BacktestPoint
from attain.forecast.forecast import Forecast
from attain.reports.templating import short

BAND_COLOUR = "#9cc3e6"
P50_COLOUR = "#1f5f99"
BOOKED_COLOUR = "#1d2430"
TARGET_COLOUR = "#d1495b"
WEIGHTED_COLOUR = "#e09f3e"
RUN_RATE_COLOUR = "#8d99ae"
MONEY_AXIS = alt.Axis(format="~s", title=None)


def cone_chart(
    cone: Sequence[Forecast],
    scope: str,
    id: str,
    *,
    title: str,
    width: int = 560,
    height: int = 260,
) -> alt.LayerChart:
    """P10–P90 band and P50 line of one row's forecast at each point of `cone` over the days of
    the period, bookings to date as a line and the target (when there is one) as a rule."""
    period = cone[-1].period
    points = []
    target = None
    for forecast in cone:
        try:
            row = forecast.row(scope, id)
        except KeyError:
            continue
        target = row.target if row.target is not None else target
        points.append(
            {
                "day": forecast.as_of.isoformat(),
                "p10": row.p10,
                "p50": row.p50,
                "p90": row.p90,
                "booked": row.booked,
            }
        )
    frame = pd.DataFrame(points, columns=["day", "p10", "p50", "p90", "booked"])
    x = alt.X(
        "day:T",
        title=None,
        scale=alt.Scale(domain=[period.start.isoformat(), period.end.isoformat()]),
        axis=alt.Axis(format="%b %d", labelAngle=0),
    )
    band = _band(frame, x)
    names = {"p50": "P50 forecast", "booked": "booked to date"}
    lines = _lines(frame, "day", x, names, [P50_COLOUR, BOOKED_COLOUR])
    layers: list[alt.Chart] = [band, lines]
    if target is not None:
        layers += _rule(target, f"target {short(target, tenths=True)}", TARGET_COLOUR)
    return alt.LayerChart(
        layer=layers,
        title=alt.Title(title, subtitle="band: P10–P90", anchor="start"),
        width=width,
        height=height,
    )


def backtest_chart(
    points: Sequence[BacktestPoint], *, title: str, width: int = 460, height: int = 230
) -> alt.LayerChart:
    """One backtested period's forecasts by week (P10–P90 band, P50 line) beside the weighted
    pipeline and the run-rate, with what actually closed as a rule."""
    frame = pd.DataFrame(
        [
            {
                "week": point.week,
                "p10": point.p10,
                "p50": point.p50,
                "p90": point.p90,
                "weighted": point.weighted_pipeline,
                "run_rate": point.run_rate,
            }
            for point in points
        ],
        columns=["week", "p10", "p50", "p90", "weighted", "run_rate"],
    )
    x = alt.X("week:Q", title="week of the period", axis=alt.Axis(tickMinStep=1))
    band = _band(frame, x)
    names = {"p50": "P50 forecast", "weighted": "weighted pipeline", "run_rate": "run-rate"}
    lines = _lines(frame, "week", x, names, [P50_COLOUR, WEIGHTED_COLOUR, RUN_RATE_COLOUR])
    actual = points[0].actual if points else 0.0
    return alt.LayerChart(
        layer=[band, lines, *_rule(actual, f"actual {short(actual, tenths=True)}", BOOKED_COLOUR)],
        title=alt.Title(title, subtitle="band: P10–P90", anchor="start"),
        width=width,
        height=height,
    )


def _band(frame: pd.DataFrame, x: alt.X) -> alt.Chart:
    """The P10–P90 band."""
    band: alt.Chart = (
        alt.Chart(frame)
        .mark_area(opacity=0.45, color=BAND_COLOUR)
        .encode(x=x, y=alt.Y("p10:Q", axis=MONEY_AXIS), y2="p90:Q")
    )
    return band


def _lines(
    frame: pd.DataFrame, key: str, x: alt.X, names: dict[str, str], colours: list[str]
) -> alt.Chart:
    """A line with points per column of `frame` named in `names`, coloured as given."""
    long = frame.melt(id_vars=key, value_vars=list(names), var_name="series")
    long["series"] = long["series"].map(names)
    lines: alt.Chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", axis=MONEY_AXIS),
            color=alt.Color(
                "series:N",
                sort=list(names.values()),
                scale=alt.Scale(domain=list(names.values()), range=colours),
                legend=alt.Legend(title=None, orient="top"),
            ),
        )
    )
    return lines


def _rule(value: float, text: str, colour: str) -> list[alt.Chart]:
    """A dashed horizontal rule at `value`, labelled at its left end."""
    frame = pd.DataFrame({"value": [value], "text": [text]})
    rule = alt.Chart(frame).mark_rule(strokeDash=[6, 4], color=colour, strokeWidth=2)
    label = alt.Chart(frame).mark_text(align="left", dx=4, dy=-7, color=colour, fontSize=11)
    return [
        rule.encode(y=alt.Y("value:Q", axis=MONEY_AXIS)),
        label.encode(y=alt.Y("value:Q", axis=MONEY_AXIS), x=alt.value(0), text="text:N"),
    ]
