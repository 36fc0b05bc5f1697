"""The salesforce preset on a real org's Data Export: every row accounted for, wins as written.

The export (see ../shared/data/salesforce_datacloud/SOURCE.md) has no User.csv, flags written
as 1 or empty, a byte-order mark on every file, and 15 won deals entered after they closed.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from realdata_support import dataset, imported

from attain.ingest.importer import import_files

pytestmark = pytest.mark.realdata

NAME = "salesforce_datacloud"


def frame(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_won_totals_per_quarter_of_close_match_the_opportunity_file(tmp_path: Path) -> None:
    folder = dataset(NAME)
    deals = frame(folder, "Opportunity.csv")
    won = deals[deals["IsWon"].str.lower().isin(["1", "true"])]
    quarters = pd.PeriodIndex(pd.to_datetime(won["CloseDate"]), freq="Q")
    expected = won["Amount"].astype(float).groupby(quarters).sum()

    db = imported(tmp_path, NAME, "salesforce")

    with duckdb.connect(str(db), read_only=True) as con:
        totals = con.execute(
            "SELECT year(closed_at), quarter(closed_at), sum(amount), count(*) "
            "FROM opportunities WHERE is_won GROUP BY ALL ORDER BY 1, 2"
        ).fetchall()
        backdated = con.execute(
            "SELECT count(*) FROM opportunities WHERE is_won AND closed_at < created_at"
        ).fetchone()
    assert [(year, quarter) for year, quarter, _, _ in totals] == [
        (period.year, period.quarter) for period in expected.index
    ]
    assert [total for _, _, total, _ in totals] == pytest.approx(expected.tolist())
    assert sum(count for *_, count in totals) == len(won)
    # Every win here was entered in January 2024, after it closed in 2023: all load.
    assert backdated == (len(won),)


def test_every_row_is_loaded_rejected_or_counted_in_a_note(
    con: duckdb.DuckDBPyConnection,
) -> None:
    folder = dataset(NAME)
    read = {path.name: len(frame(folder, path.name)) for path in sorted(folder.glob("*.csv"))}

    result = import_files(con, [folder], preset_name="salesforce")

    assert result.rejects == 0
    tables = {table.table: table for table in result.tables}
    for table in result.tables:
        assert table.loaded + table.rows_rejected == table.rows_read, table.table
    loaded = {
        Path(table.files[0]).name: table.rows_read
        for table in result.tables
        if table.table != "reps"
    }
    assert loaded == {name: read[name] for name in loaded}
    assert set(loaded) == {"Account.csv", "Lead.csv", "Opportunity.csv", "Task.csv"}

    # No User.csv: one rep per distinct owner of deals, leads and tasks.
    owners = set().union(
        *(frame(folder, name)["OwnerId"] for name in ("Opportunity.csv", "Lead.csv", "Task.csv"))
    )
    assert tables["reps"].rows_read == len(owners)
    assert f"salesforce: no User.csv: {len(owners)} rep(s) made from owner ids, named by id" in (
        result.notes
    )

    notes = "\n".join(result.notes)
    campaigns = re.search(r"Campaign\.csv: (\d+) campaign\(s\) read", notes)
    assert campaigns is not None and int(campaigns[1]) == read["Campaign.csv"]
    members = frame(folder, "CampaignMember.csv")
    with_lead = members[members["LeadId"] != ""]
    counted = re.search(
        r"CampaignMember\.csv: (\d+) lead\(s\) take their first campaign from (\d+) row\(s\); "
        r"(\d+) later campaign\(s\) of a lead and (\d+) contact member\(s\)",
        notes,
    )
    assert counted is not None
    assert [int(number) for number in counted.groups()] == [
        with_lead["LeadId"].nunique(),
        read["CampaignMember.csv"],
        len(with_lead) - with_lead["LeadId"].nunique(),
        len(members) - len(with_lead),
    ]
    assert "salesforce: ignored 2 other file(s): Case.csv, Contact.csv" in result.notes
    assert set(read) == {*loaded, "Campaign.csv", "CampaignMember.csv", "Case.csv", "Contact.csv"}
