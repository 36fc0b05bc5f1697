"""Honest silence: on an organisation without activities, leads or coaching, the diagnosis
lists for each rep at risk what it checked, what it could not and the data that would let it,
and never prints "No findings" (issue 19).

Team T1, Q1 2025 bookings quota 100,000 each, as of 2025-02-28 (59 of 90 days gone, so about
65,500 is on pace). Won so far: R1 10,000 and R2 20,000 (behind or at risk), R3–R5 90,000
each (ahead). No activities, leads, coaching sessions, stage history or products; the deals'
creation still lets the activity drop be checked (new opportunities week by week).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from diagnosis_support import five_sellers
from typer.testing import CliRunner

from attain.cli.main import app
from attain.diagnosis.run import diagnose
from attain.store import raw_duckdb

WON = {"R1": 10_000, "R2": 20_000, "R3": 90_000, "R4": 90_000, "R5": 90_000}
AS_OF = date(2025, 2, 28)
NEVER_CHECKED = {"follow_up", "coaching", "lead_warming", "stage_leakage", "product_mix"}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    backend = five_sellers(tmp_path)
    con = raw_duckdb(backend)
    for rep, amount in WON.items():
        con.execute(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "is_won, stage, amount) VALUES (?, ?, '2024-12-01', '2025-01-20', true, 'Won', ?)",
            [f"W{rep}", rep, amount],
        )
        con.execute(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "is_won, stage, amount) VALUES (?, ?, '2024-11-01', '2025-01-10', false, 'Lost', 5000)",
            [f"L{rep}", rep],
        )
    backend.disconnect()
    return tmp_path / "store.duckdb"


def test_each_rep_at_risk_gets_what_was_not_checked_and_why(store: Path) -> None:
    from attain.store import connect

    backend = connect(str(store), read_only=True)
    try:
        found = diagnose(backend, as_of=AS_OF)
    finally:
        backend.disconnect()
    assert {check.rep_id for check in found.checks} == {"R1", "R2"}
    for check in found.checks:
        unchecked = {item.cause: item for item in check.unchecked}
        assert set(unchecked) >= NEVER_CHECKED
        assert not set(check.checked) & set(unchecked)
        assert len(check.checked) + len(unchecked) == 9
        assert unchecked["follow_up"].needs.startswith("activities")
        assert unchecked["coaching"].reason == "no coaching sessions are recorded"


def test_the_text_never_says_no_findings_and_names_the_missing_data(store: Path) -> None:
    args = ["diagnose", "--db", str(store), "--as-of", str(AS_OF)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "No findings" not in text
    assert "could not be checked" in text
    assert "not checked follow up:" in text and "(needs activities" in text
    assert "not checked coaching: no coaching sessions are recorded (needs coaching" in text
    for rep in ("R1", "R2"):
        assert f"at risk {rep} (" in text
    assert "at risk R3" not in text


@pytest.mark.parametrize("output_format", ["json", "markdown", "html"])
def test_json_markdown_and_html_say_what_was_checked(store: Path, output_format: str) -> None:
    args = ["diagnose", "--db", str(store), "--as-of", str(AS_OF), "-f", output_format]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "No findings" not in result.output
    if output_format == "json":
        found = json.loads(result.output)
        assert "could not be checked" in found["headline"]
        checks = {check["rep_id"]: check for check in found["checks"]}
        assert set(checks) == {"R1", "R2"}
        assert {item["cause"] for item in checks["R1"]["unchecked"]} >= NEVER_CHECKED
    else:
        assert "Reps at risk: what was checked" in result.output
        assert "not checked:" in result.output
