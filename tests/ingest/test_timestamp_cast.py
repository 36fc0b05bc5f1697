"""Timestamps without an offset take DuckDB's plain TIMESTAMP cast, the others the
TIMESTAMPTZ one (dates.timestamp_cast): the values read are those of the TIMESTAMPTZ cast
alone, in a UTC session and in any other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from attain.ingest.dates import timestamp_cast
from attain.ingest.importer import import_files

TEXTS = [
    "2024-01-01",
    "2024-01-01 10:00",
    "2024-01-01 10:00:00",
    "2024-01-01T10:00:00",
    "2024-01-01 10:00:00.123456",
    "2024-01-01 10:00:00.1234567",
    "2024-01-01 10:00:00Z",
    "2024-01-01 10:00:00z",
    "2024-01-01Z",
    "2024-01-01T10:00:00+02:00",
    "2024-01-01T10:00:00-05:00",
    "2024-01-01-05:00",
    "2024-01-01 10:00:00+0530",
    "2024-01-01 10:00:00-03",
    "2024-01-01 10:00:00 +02",
    "2024-01-01 10:00:00 UTC",
    "2024-01-01 10:00:00 utc",
    "2024-01-01 10:00:00 EST",
    "2024-01-01 10:00:00 GMT0",
    "2024-01-01 10:00:00 America/New_York",
    "2024-01-01 10:00:00 Etc/GMT-5",
    "2024-01-01 10:00:00 PM",
    "2024-01-01 10:00:00 BC",
    "2024-03-10 02:30:00",  # no such time in New York (clocks went forward)
    "2024-11-03 01:30:00",  # twice in New York (clocks went back)
    "2024-01-01 24:00:00",
    "2024-02-30",
    "2024-1-1",
    "2024-01-01 1:2:3",
    "20224-01-05",
    "epoch",
    "infinity",
    "garbage",
    "",
    None,
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_every_text_reads_as_the_timestamptz_cast_alone_reads_it(zone: str) -> None:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    con.execute("CREATE TABLE texts (text VARCHAR)")
    con.executemany("INSERT INTO texts VALUES (?)", [[text] for text in TEXTS])
    text = "NULLIF(TRIM(text), '')"
    differ = con.execute(
        f"SELECT text, {timestamp_cast(text)}, "
        f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) AS zoned FROM texts "
        f"WHERE {timestamp_cast(text)} IS DISTINCT FROM zoned"
    ).fetchall()
    assert differ == []


def test_offsets_zones_and_naive_times_are_stored_in_utc(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("teams.csv", "team_id,name\nT1,East")
    write_csv("reps.csv", "rep_id,name,team_id,role\nR1,Ray,T1,rep")
    write_csv(
        "activities.csv",
        "activity_id,rep_id,type,occurred_at\n"
        "A1,R1,call,2024-01-01T00:30:00+02:00\n"
        "A2,R1,call,2024-01-01 10:00:00Z\n"
        "A3,R1,call,2024-01-01 10:00:00-05:00\n"
        "A4,R1,call,2024-01-01 10:00:00 EST\n"
        "A5,R1,call,2024-01-01 10:00:00.25\n"
        "A6,R1,call,2024-01-01\n"
        "A7,R1,call,2024-01-01 10:00:00 PM\n"
        "A8,R1,call,yesterday",
    )
    result = import_files(con, [tmp_path / "in"])
    # Hand-worked: +02:00 is two hours ahead of UTC, -05:00 and EST five hours behind.
    assert con.execute(
        "SELECT activity_id, CAST(occurred_at AS VARCHAR) FROM activities ORDER BY 1"
    ).fetchall() == [
        ("A1", "2023-12-31 22:30:00"),
        ("A2", "2024-01-01 10:00:00"),
        ("A3", "2024-01-01 15:00:00"),
        ("A4", "2024-01-01 15:00:00"),
        ("A5", "2024-01-01 10:00:00.25"),
        ("A6", "2024-01-01 00:00:00"),
    ]
    assert sorted((r.row, r.column, r.value) for r in result.sample) == [
        (8, "occurred_at", "2024-01-01 10:00:00 PM"),
        (9, "occurred_at", "yesterday"),
    ]
