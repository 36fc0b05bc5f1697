"""Charts of a finding's evidence: Vega-Lite specs built with Altair, rendered to inline SVG.

Rendering runs offline in vl-convert (no CDN, no script in the page), so an HTML report with
charts is one self-contained file.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import vl_convert

from attain.diagnosis.finding import Finding

REP_COLOUR = "#d1495b"
PEER_COLOUR = "#8d99ae"
TOP_COLOUR = "#2e7d5b"
WHO = {"rep": "This rep", "peers": "Peers", "top": "Top performers"}
QUANTILES = ("p25", "median", "p75", "p90")


def funnel_chart(funnel: list[dict[str, Any]]) -> alt.LayerChart:
    """Conversion to the next stage at each stage: the rep beside peers and top performers.

    `funnel` is a stage_leakage finding's evidence: {stage, rep_rate, rep_n, peer_rate,
    top_rate} per stage, in funnel order.
    """
    columns = {"rep": "rep_rate", "peers": "peer_rate", "top": "top_rate"}
    rows = [
        {"stage": step["stage"], "who": WHO[who], "rate": step.get(column)}
        for step in funnel
        for who, column in columns.items()
        if step.get(column) is not None
    ]
    order = [WHO[who] for who in columns]
    stages = [step["stage"] for step in funnel]
    base = alt.Chart(pd.DataFrame(rows)).encode(
        x=alt.X("stage:N", sort=stages, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("who:N", sort=order),
        y=alt.Y(
            "rate:Q",
            title="converted to the next stage",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
    )
    bars = base.mark_bar().encode(color=_colour(order))
    labels = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("rate:Q", format=".0%"))
    return alt.LayerChart(
        layer=[bars, labels], title="Conversion to the next stage", width=420, height=220
    )


def response_time_chart(first_touch_hours: dict[str, dict[str, Any]]) -> alt.LayerChart:
    """Hours from hand-over to first sales touch: the rep's spread beside top performers'.

    `first_touch_hours` is a lead_warming finding's evidence: {"rep": {p25, median, p75, p90,
    n}, "top": {...}}. The box spans p25–p75, the line runs to p90, the tick is the median.
    """
    shown = {
        who: values
        for who, values in first_touch_hours.items()
        if all(values.get(q) is not None for q in QUANTILES)
    }
    order = [f"{WHO.get(who, who)} (n={values.get('n') or 0})" for who, values in shown.items()]
    colours = [REP_COLOUR if who == "rep" else TOP_COLOUR for who in shown]
    rows = [{q: float(values[q]) for q in QUANTILES} for values in shown.values()]
    longest = max((row["p90"] for row in rows), default=1.0)
    base = alt.Chart(pd.DataFrame(rows).assign(who=order)).encode(
        y=alt.Y("who:N", sort=order, title=None),
        color=alt.Color("who:N", scale=alt.Scale(domain=order, range=colours), legend=None),
    )
    hours = alt.Scale(type="symlog", domain=[0, longest * 1.25], nice=False)
    whisker = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("p25:Q", scale=hours, title="hours (p25–p75 box, line to p90, tick at median)"),
        x2="p90:Q",
    )
    box = base.mark_bar(size=18, opacity=0.55).encode(x=alt.X("p25:Q", scale=hours), x2="p75:Q")
    median = base.mark_tick(size=26, thickness=3).encode(
        x=alt.X("median:Q", scale=hours), color=alt.value("#1d2430")
    )
    label = (
        base.transform_calculate(text="'median ' + format(datum.median, '.1f') + ' h'")
        .mark_text(align="left", dx=6)
        .encode(x=alt.X("p90:Q", scale=hours), text="text:N", color=alt.value("#1d2430"))
    )
    return alt.LayerChart(
        layer=[whisker, box, median, label],
        title="Hours to first sales touch",
        width=460,
        height=90,
    )


def finding_charts(finding: Finding) -> list[alt.LayerChart]:
    """The charts a finding's evidence supports (none for most findings)."""
    charts: list[alt.LayerChart] = []
    funnel = finding.evidence.get("funnel")
    if isinstance(funnel, list) and funnel and all(isinstance(s, dict) for s in funnel):
        charts.append(funnel_chart(funnel))
    hours = finding.evidence.get("first_touch_hours")
    if isinstance(hours, dict) and any(
        isinstance(v, dict) and v.get("median") is not None for v in hours.values()
    ):
        charts.append(response_time_chart(hours))
    return charts


def to_svg(chart: alt.LayerChart) -> str:
    """The chart as an SVG string, rendered offline (no data or scripts fetched)."""
    svg: str = vl_convert.vegalite_to_svg(chart.to_dict(), allowed_base_urls=[])
    return svg


def _colour(order: list[str]) -> alt.Color:
    palette = {WHO["rep"]: REP_COLOUR, WHO["peers"]: PEER_COLOUR, WHO["top"]: TOP_COLOUR}
    return alt.Color(
        "who:N",
        sort=order,
        scale=alt.Scale(domain=order, range=[palette[who] for who in order]),
        legend=alt.Legend(title=None, orient="top"),
    )
