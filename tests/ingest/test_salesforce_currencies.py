"""A Salesforce export with deals in two currencies: loads without rates, but is only added up
with them. By hand, with CurrencyType's USD corporate and MXN at 17.5 per USD:

| deal | owner | closed     | amount        | USD    |
|------|-------|------------|---------------|--------|
| 006A | 005R  | 2024-02-01 | 1,000 USD     | 1,000  |
| 006B | 005R  | 2024-02-20 | 35,000 MXN    | 2,000  |
| 006C | 005S  | 2024-03-05 | 70,000 MXN    | 4,000  |
| 006D | 005S  | open       | 17,500 MXN    | 1,000 (pipeline) |

2024-Q1 bookings: 005R 3,000, 005S 4,000, company 7,000.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from attain.ingest.importer import import_files
from attain.metrics.attainment import rep_attainment
from attain.metrics.periods import quarter_of
from attain.metrics.targets import synthetic_targets
from attain.store import connect

ATTAIN = (sys.executable, "-c", "from attain.cli.main import main; main()")

USERS = """
Id,Name,IsActive,UserType,ManagerId
005R,Rosa Ríos,true,Standard,000000000000000AAA
005S,Sam Soto,true,Standard,000000000000000AAA
"""

OPPORTUNITIES = """
Id,OwnerId,AccountId,StageName,CreatedDate,CloseDate,IsClosed,IsWon,Amount,CurrencyIsoCode
006A,005R,000000000000000AAA,Closed Won,2024-01-10T10:00:00.000+0000,2024-02-01,true,true,1000,USD
006B,005R,,Closed Won,2024-01-12T10:00:00.000+0000,2024-02-20,true,true,35000,MXN
006C,005S,,Closed Won,2024-01-15T10:00:00.000+0000,2024-03-05,true,true,70000,MXN
006D,005S,,Prospecting,2024-02-15T10:00:00.000+0000,2024-05-30,false,false,17500,MXN
"""

CURRENCY_TYPE = """
Id,IsoCode,ConversionRate,IsCorporate,IsActive
01L1,USD,1,true,true
01L2,MXN,17.5,false,true
"""


def export(write_csv: Callable[..., Path], tmp_path: Path, *, rates: bool) -> Path:
    write_csv("User.csv", USERS, "export")
    write_csv("Opportunity.csv", OPPORTUNITIES, "export")
    if rates:
        write_csv("CurrencyType.csv", CURRENCY_TYPE, "export")
    return tmp_path / "export"


def report(db: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ATTAIN, "report", "--db", str(db), "--as-of", "2024-03-29", "--target", "5000"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_without_rates_the_import_loads_and_the_report_refuses_in_one_line(
    write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    backend = connect(db)
    result = import_files(
        backend, [export(write_csv, tmp_path, rates=False)], preset_name="salesforce"
    )
    backend.disconnect()
    assert result.rejects == 0
    (deals,) = [t for t in result.tables if t.table == "opportunities"]
    assert [(m.currency, m.loaded, m.loaded_amount) for m in deals.won] == [
        ("MXN", 2, 105000.0),
        ("USD", 1, 1000.0),
    ]

    refused = report(db, tmp_path)

    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("error: amounts are in MXN, USD and no corporate currency is set")
    (tmp_path / "attain.toml").write_text('[currency]\ncorporate = "USD"\n')
    refused = report(db, tmp_path)
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("error: amounts in MXN cannot be added to USD: no exchange rates")
    assert "CurrencyType.csv" in line


def test_with_the_exports_rates_totals_equal_the_hand_computation(
    write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    backend = connect(tmp_path / "s.duckdb")
    result = import_files(
        backend, [export(write_csv, tmp_path, rates=True)], preset_name="salesforce"
    )
    assert result.rejects == 0

    targets = synthetic_targets(backend, 5000.0, [quarter_of(date(2024, 1, 1))])
    frame = rep_attainment(backend, targets)
    q1 = frame.loc[frame["metric"] == "bookings"].set_index("rep_id")["actual"]
    assert q1.round(6).to_dict() == {"005R": 3000.0, "005S": 4000.0}
    backend.open_deals_day = date(2024, 3, 29)
    deals = backend.table("opportunities").to_pandas().set_index("opportunity_id")
    assert deals.loc["006D", "amount"] == 1000.0
    backend.disconnect()

    ok = report(tmp_path / "s.duckdb", tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "Company: 7,000 booked of 10,000" in ok.stdout
