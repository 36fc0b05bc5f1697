"""The report renders as JSON, CSV, Markdown and HTML from the same hand-built store."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from attain.ingest.importer import import_files
from attain.metrics.report import performance_report
from attain.reports.jsonable import dumps
from attain.reports.performance import rep_lines, to_csv, to_html, to_markdown

AS_OF = date(2026, 2, 13)


@pytest.fixture
def report(
    store: Any, con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> Any:
    """Two reps with Q1 2026 bookings quotas of 100,000: R1 has booked 60,000, R2 nothing."""
    write_csv("teams.csv", "team_id,name,manager_rep_id\nT1,East,M1")
    write_csv(
        "reps.csv",
        "rep_id,name,team_id,role,hire_date\n"
        "M1,Mia,T1,manager,2020-01-01\nR1,Ray,T1,rep,2020-01-01\nR2,Rae,T1,rep,2020-01-01",
    )
    write_csv(
        "quotas.csv",
        "rep_id,period_start,period_end,metric,target\n"
        "R1,2026-01-01,2026-03-31,bookings,100000\nR2,2026-01-01,2026-03-31,bookings,100000",
    )
    write_csv(
        "opportunities.csv",
        "opportunity_id,owner_rep_id,created_at,closed_at,stage,is_won,amount,expected_close_date\n"
        "O1,R1,2026-01-05,2026-02-02 10:00,Closed Won,true,60000,\n"
        "O2,R2,2026-01-05,2026-02-03 10:00,Closed Lost,false,0,\n"
        "O3,R2,2026-01-20,,Proposal,,90000,2026-03-20",
    )
    import_files(con, [tmp_path / "in"])
    return performance_report(store, as_of=AS_OF)


def test_rep_lines_put_the_rep_most_behind_first(report: Any) -> None:
    lines = rep_lines(report)
    assert [(line.rep_id, line.status) for line in lines] == [("R2", "at_risk"), ("R1", "ahead")]
    assert lines[1].actual == 60_000 and lines[1].win_rate == 1.0
    assert lines[0].coverage == pytest.approx(0.9)


def test_json_holds_every_section_with_dates_as_text(report: Any) -> None:
    parsed = json.loads(dumps(report))
    assert parsed["as_of"] == "2026-02-13"
    assert parsed["period"] == {"start": "2026-01-01", "end": "2026-03-31", "label": "2026-Q1"}
    assert {row["id"] for row in parsed["pacing"] if row["scope"] == "rep"} == {"R1", "R2"}
    assert "frame" not in parsed["attainment"]


def test_csv_has_one_row_per_rep(report: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [(row["rep_id"], row["target"], row["actual"]) for row in rows] == [
        ("R2", "100000.0", "0.0"),
        ("R1", "100000.0", "60000.0"),
    ]


def test_markdown_and_html_state_the_company_pace(report: Any) -> None:
    markdown = to_markdown(report)
    assert "# Performance report — 2026-Q1, as of 2026-02-13" in markdown
    assert "**Company:** 60,000 booked of 200,000" in markdown
    assert "| Rae (R2) | T1 |" in markdown
    html = to_html(report)
    assert "<h1>Performance report — 2026-Q1, as of 2026-02-13</h1>" in html
    assert "http" not in html  # self-contained: nothing fetched from elsewhere
