"""Analyses add money only in one currency: converted at dated rates, or refused with one line.

The organisation below sells in USD (corporate), MXN and COP. By hand, with MXN at 20 per USD
from 2024-01-01 and 16 from 2024-04-01, and COP at 4,000 per USD:

| deal | rep | closed     | amount     | rate       | USD   | quarter |
|------|-----|------------|------------|------------|-------|---------|
| O1   | R1  | 2024-02-01 | 100 USD    | 1          | 100   | Q1      |
| O2   | R1  | 2024-02-10 | 2,000 MXN  | 20         | 100   | Q1      |
| O3   | R2  | 2024-02-10 | 4,000 MXN  | 20         | 200   | Q1 (backdated: created 03-05) |
| O4   | R2  | open       | 50,000 COP | 4,000      | 12.5  | open    |
| O5   | R2  | 2024-04-10 | 2,000 MXN  | 16         | 125   | Q2      |

Q1 bookings: R1 200, R2 200. R2's Q1 target is 8,000 MXN at the period start's rate 20: 400 USD.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from attain.errors import ConfigError
from attain.ingest.importer import import_files
from attain.metrics.attainment import rep_attainment
from attain.metrics.classification import _deal_stats
from attain.metrics.targets import quota_targets
from attain.store import connect
from attain.store.currency import CurrencyError, CurrencySettings, read_rates_file
from attain.store.inventory import data_quality, inventory

ATTAIN = (sys.executable, "-c", "from attain.cli.main import main; main()")

REPS = """
rep_id,name,role
R1,Ana,rep
R2,Bo,rep
"""

DEALS = """
opportunity_id,owner_rep_id,created_at,closed_at,stage,is_won,amount,currency
O1,R1,2024-01-05,2024-02-01,Won,true,100,USD
O2,R1,2024-01-05,2024-02-10,Won,true,2000,mxn
O3,R2,2024-03-05,2024-02-10,Won,true,4000,MXN
O4,R2,2024-01-05,,Open,,50000,COP
O5,R2,2024-01-05,2024-04-10,Won,true,2000,MXN
"""

QUOTAS = """
rep_id,period_start,period_end,metric,target,currency
R1,2024-01-01,2024-03-31,bookings,300,USD
R2,2024-01-01,2024-03-31,bookings,8000,MXN
R2,2024-01-01,2024-03-31,meetings,10,MXN
"""

RATES = """
currency,start_date,rate,is_corporate
USD,2020-01-01,1,true
MXN,2024-01-01,20,
MXN,2024-04-01,16,
COP,2024-01-01,4000,
"""


@pytest.fixture
def files(write_csv: Callable[..., Path], tmp_path: Path) -> Path:
    for name, text in (
        ("reps.csv", REPS),
        ("opportunities.csv", DEALS),
        ("quotas.csv", QUOTAS),
    ):
        write_csv(name, text)
    return tmp_path / "in"


def q1_bookings(backend: Any) -> dict[str, tuple[float, float]]:
    """(actual, target) of each rep's Q1 2024 bookings."""
    frame = rep_attainment(backend, quota_targets(backend, "bookings", prorate=False))
    q1 = frame.loc[frame["period_start"] == date(2024, 1, 1)]
    return {
        str(r.rep_id): (round(float(r.actual), 6), round(float(r.target), 6))
        for r in q1.itertuples()
    }


def test_rates_in_the_store_convert_bookings_at_the_close_day_and_targets_at_the_period_start(
    files: Path, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("fx_rates.csv", RATES)
    backend = connect(tmp_path / "s.duckdb")
    assert import_files(backend, [files]).rejects == 0

    assert q1_bookings(backend) == {"R1": (200.0, 300.0), "R2": (200.0, 400.0)}
    deals = backend.table("opportunities").to_pandas().set_index("opportunity_id")
    assert deals["amount"].round(6).to_dict() == {
        "O1": 100.0,
        "O2": 100.0,
        "O3": 200.0,
        "O4": 12.5,
        "O5": 125.0,
    }
    assert deals.loc["O2", "currency"] == "MXN"  # upper-cased on import
    assert deals.loc["O2", "original_amount"] == 2000.0
    # The meetings target is a count: no currency, no conversion.
    quotas = backend.table("quotas").to_pandas().set_index("metric")
    assert quotas.loc["meetings", "target"] == 10.0


def test_two_currencies_without_rates_load_but_are_never_added(files: Path, tmp_path: Path) -> None:
    backend = connect(tmp_path / "s.duckdb")
    result = import_files(backend, [files])
    assert result.rejects == 0
    assert backend.stored_table("opportunities").count().execute() == 5

    with pytest.raises(CurrencyError, match="no corporate currency is set"):
        q1_bookings(backend)

    usd = connect(tmp_path / "s.duckdb", currency=CurrencySettings(corporate="usd"))
    with pytest.raises(
        CurrencyError,
        match=r"amounts in COP, MXN cannot be added to USD: no exchange rates for COP, MXN; "
        r"import the export's CurrencyType\.csv",
    ):
        usd.table("opportunities")


def test_report_fails_with_one_line_naming_the_currencies_and_how_to_give_rates(
    files: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    backend = connect(db)
    import_files(backend, [files])
    backend.disconnect()
    (tmp_path / "attain.toml").write_text('[currency]\ncorporate = "USD"\n')

    report = subprocess.run(
        [*ATTAIN, "report", "--db", str(db), "--as-of", "2024-03-31"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert report.returncode == 2
    (line,) = report.stderr.strip().splitlines()
    assert line.startswith("error: amounts in COP, MXN cannot be added to USD")
    assert "[currency] table of attain.toml" in line


def test_a_rates_file_in_the_settings_converts_and_wins_over_stored_rates(
    files: Path, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("fx_rates.csv", RATES)
    rates = write_csv(
        "rates.csv", "currency,start_date,rate\nMXN,2023-01-01,10\nCOP,2023-01-01,5000\n", "cfg"
    )
    backend = connect(tmp_path / "s.duckdb")
    import_files(backend, [files])
    settings = CurrencySettings(corporate="USD", rates=rates)
    converted = connect(tmp_path / "s.duckdb", currency=settings)

    # MXN at 10 throughout: R1 100 + 200, R2 400; R2's target 8,000 MXN is 800 USD.
    assert q1_bookings(converted) == {"R1": (300.0, 300.0), "R2": (400.0, 800.0)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("currency,start_date\nMXN,2024-01-01\n", "missing column(s) rate"),
        ("currency,start_date,rate\nPESO,2024-01-01,20\n", "row 2, column currency"),
        ("currency,start_date,rate\nMXN,01/02/2024,20\n", "row 2, column start_date"),
        ("currency,start_date,rate\nMXN,2024-01-01,20\nMXN,2024-02-01,0\n", "row 3, column rate"),
    ],
)
def test_a_bad_rates_file_names_file_row_and_column(
    text: str, message: str, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("rates.csv", text, "cfg")
    with pytest.raises(
        ConfigError, match=rf"{path}.*{message}".replace("(", r"\(").replace(")", r"\)")
    ):
        read_rates_file(path)


def test_backdated_deals_keep_their_booking_are_counted_and_have_no_cycle(
    files: Path, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("fx_rates.csv", RATES)
    backend = connect(tmp_path / "s.duckdb")
    result = import_files(backend, [files])

    (deals,) = [t for t in result.tables if t.table == "opportunities"]
    assert (deals.loaded, deals.rows_rejected, deals.backdated) == (5, 0, 1)
    view = backend.table("opportunities").to_pandas().set_index("opportunity_id")
    assert view["backdated"].to_dict() == {
        "O1": False,
        "O2": False,
        "O3": True,
        "O4": False,
        "O5": False,
    }
    # Counted as created when it closed; the store keeps the recorded creation.
    assert str(view.loc["O3", "created_at"]) == "2024-02-10 00:00:00"
    stored = backend.stored_table("opportunities").to_pandas().set_index("opportunity_id")
    assert str(stored.loc["O3", "created_at"]) == "2024-03-05 00:00:00"
    # R2's only Q1 win is backdated: no cycle to measure; R1's wins took 27 and 36 days.
    stats = _deal_stats(backend, date(2024, 1, 1), date(2024, 3, 31), "UTC").set_index("rep_id")
    assert stats.loc["R1", "cycle_days"] == pytest.approx(31.5)
    assert stats.loc["R2", "cycle_days"] != stats.loc["R2", "cycle_days"]  # NaN: none measured

    note = data_quality(backend).note()
    assert note == (
        "Data quality: 1 closed deal(s) were entered after they closed (backdated; won MXN "
        "4,000): they count when they closed, but no sales cycle is measured for them."
    )


def test_rejected_wins_are_counted_in_money_per_currency_in_the_log_and_the_note(
    write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("reps.csv", REPS)
    write_csv(
        "opportunities.csv",
        "opportunity_id,owner_rep_id,closed_at,stage,is_won,amount,currency\n"
        "W1,R1,2024-02-01,Won,true,100,USD\n"
        "W2,NOBODY,2024-02-01,Won,true,250,USD\n"
        "W3,R1,2024-02-01,Won,true,7000,MXN\n"
        "W4,NOBODY,2024-02-01,Won,true,3000,MXN\n"
        "L1,NOBODY,2024-02-01,Lost,false,900,USD\n",
    )
    backend = connect(tmp_path / "s.duckdb")
    import_files(backend, [tmp_path / "in"])

    stored = inventory(backend)
    assert [
        (w.currency, w.loaded, w.loaded_amount, w.rejected, w.rejected_amount) for w in stored.won
    ] == [
        ("MXN", 1, 7000.0, 1, 3000.0),
        ("USD", 1, 100.0, 1, 250.0),
    ]
    lines = {line.table: line for line in stored.latest}
    assert (lines["opportunities"].rows_read, lines["opportunities"].loaded) == (5, 2)
    assert lines["opportunities"].rejected == 3
    assert data_quality(backend).note() == (
        "Data quality: 2 won deal(s) (MXN 3,000; USD 250) were rejected at import and are not "
        "counted (see the rejects report)."
    )


@pytest.mark.parametrize("command", ["report", "forecast", "diagnose"])
def test_report_forecast_and_diagnose_say_what_the_data_lacks_in_one_line(
    command: str, files: Path, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("fx_rates.csv", RATES)
    db = tmp_path / "s.duckdb"
    backend = connect(db)
    import_files(backend, [files])
    backend.disconnect()

    shown = subprocess.run(
        [*ATTAIN, command, "--db", str(db), "--as-of", "2024-03-29", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert shown.returncode == 0, shown.stderr
    assert (
        "Data quality: 1 closed deal(s) were entered after they closed (backdated; won MXN "
        "4,000)" in shown.stdout
    )
