"""The `map` preset reads any export through a column map; `attain map suggest` drafts one."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.errors import InputError
from attain.ingest.importer import ImportResult, import_files
from attain.ingest.mapping import load_map
from attain.ingest.readers import ReadOptions
from attain.ingest.suggest import detect_layout, name_score
from attain.schema.tables import LEAD_STATUSES

# Day-first dates; Beta has no actual close date, Foxtrot neither date, Echo no owner, and
# Hotel is an exact copy of Golf.
DEALS = """
Deal Name,Owner,Client,Status,Close Date (A),Tentative Close,Value,Created,Stage,Chance
Alpha,OWNER_1,C1,Won,02/03/2024,,1000,01/01/2024,Closed,High
Beta,OWNER_1,C2,Won,,15/03/2024,2000,05/01/2024,Closed,Low
Gamma,OWNER_2,C1,Dead,,20/02/2024,500,07/01/2024,Lost,
Delta,OWNER_2,C3,Open,,30/04/2024,700,09/01/2024,Proposal,Medium
Echo,,C4,Open,,30/05/2024,100,10/01/2024,Proposal,
Foxtrot,OWNER_3,C2,Won,,,300,11/01/2024,Closed,
Golf,OWNER_1,C5,On Hold,,,50,12/01/2024,Paused,
Golf,OWNER_1,C5,On Hold,,,50,12/01/2024,Paused,
"""

MAP = """
date_format = "%d/%m/%Y"

[reps]
files = ["deals*.csv"]
rows = "distinct"
[reps.columns]
rep_id = "Owner"
name = "Owner"
role = { value = "rep" }

[accounts]
files = "deals*.csv"
rows = "distinct"
[accounts.columns]
account_id = ["client_code", "Client"]
name = "Client"

[opportunities]
files = ["deals*.csv"]
[opportunities.columns]
opportunity_id = { hash = ["Deal Name", "Owner", "Client", "Created"], prefix = "d-" }
owner_rep_id = "Owner"
account_id = ["client_code", "client"]
stage = ["dealstage", "STAGE"]
created_at = "Created"
expected_close_date = "Tentative Close"
closed_at = { column = "Close Date (A)", fallback = "Tentative Close" }
is_won = { column = "Status", values = { Won = "won", Dead = "lost", Open = "open", "On Hold" = "open" }, unmapped = "reject" }
amount = "Value"
probability = { column = "Chance", values = { High = 0.75, Medium = 0.5, Low = 0.25 } }
currency = { value = "inr" }
"""  # noqa: E501


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


@pytest.fixture
def deals(write_csv: Callable[..., Path]) -> Path:
    return write_csv("deals.csv", DEALS, folder="board")


def write_map(tmp_path: Path, text: str, name: str = "map.toml") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n")
    return path


def run(
    con: duckdb.DuckDBPyConnection, files: list[Path], column_map: Path, **kwargs: object
) -> ImportResult:
    options = ReadOptions(column_map=column_map)
    return import_files(con, files, preset_name="map", options=options, **kwargs)  # type: ignore[arg-type]


def rejects(result: ImportResult, table: str = "opportunities") -> list[tuple[int, str, str]]:
    return [(r.row, r.column, r.reason) for r in result.sample if r.table == table]


def test_a_board_export_loads_with_outcomes_fallbacks_and_implied_rows(
    con: duckdb.DuckDBPyConnection, deals: Path, tmp_path: Path
) -> None:
    result = run(con, [deals], write_map(tmp_path, MAP))

    # Reps and accounts: one per distinct value, from the first row carrying it; Echo's
    # empty owner implies no rep.
    assert rows(con, "SELECT rep_id, name, role FROM reps ORDER BY 1") == [
        ("OWNER_1", "OWNER_1", "rep"),
        ("OWNER_2", "OWNER_2", "rep"),
        ("OWNER_3", "OWNER_3", "rep"),
    ]
    assert rows(con, "SELECT account_id FROM accounts ORDER BY 1") == [
        ("C1",),
        ("C2",),
        ("C3",),
        ("C4",),
        ("C5",),
    ]
    # Alpha: its own close date; Beta and Gamma: the tentative one; Delta open, so its
    # tentative date is only the expected close. Probability words as numbers.
    assert rows(
        con,
        "SELECT stage, closed_at, is_won, amount, probability, currency, expected_close_date, "
        "created_at FROM opportunities ORDER BY created_at",
    ) == [
        ("Closed", datetime(2024, 3, 2), True, 1000.0, 0.75, "INR", None, datetime(2024, 1, 1)),
        (
            "Closed",
            datetime(2024, 3, 15),
            True,
            2000.0,
            0.25,
            "INR",
            date(2024, 3, 15),
            datetime(2024, 1, 5),
        ),
        (
            "Lost",
            datetime(2024, 2, 20),
            False,
            500.0,
            None,
            "INR",
            date(2024, 2, 20),
            datetime(2024, 1, 7),
        ),
        ("Proposal", None, None, 700.0, 0.5, "INR", date(2024, 4, 30), datetime(2024, 1, 9)),
    ]
    # Echo has no owner, Foxtrot won with no date at all, Golf and its exact copy share a key.
    key = rows(
        con,
        "SELECT 'd-' || substr(md5(concat_ws(chr(31), 'Golf', 'OWNER_1', 'C5', "
        "'12/01/2024')), 1, 16)",
    )[0][0]
    assert rejects(result) == [
        (6, "owner_rep_id", "empty value in a required column"),
        (
            7,
            "closed_at",
            "won deal with no close date: neither Close Date (A) nor Tentative Close is set",
        ),
        (7, "is_won", "is_won set on a deal with no closed_at"),
        (8, "opportunity_id", f"duplicate key {key} in this import (rows 8, 9)"),
        (9, "opportunity_id", f"duplicate key {key} in this import (rows 8, 9)"),
    ]
    opportunities = next(t for t in result.tables if t.table == "opportunities")
    assert (opportunities.rows_read, opportunities.loaded, opportunities.rows_rejected) == (8, 4, 4)
    # Foxtrot's 300 is among the won money the import rejected (Golf's copies have no outcome).
    assert [(w.currency, w.rejected, w.rejected_amount) for w in opportunities.won] == [
        ("INR", 1, 300.0)
    ]
    assert result.notes == [
        "map: deals.csv: opportunities: rejected, closed with neither Close Date (A) nor "
        "Tentative Close set: 1 won (amount 300.00)",
        "map: deals.csv: opportunities: closed_at taken from Tentative Close "
        "(Close Date (A) empty): 1 won (amount 2,000.00), 1 lost (amount 500.00)",
    ]


def test_hashed_ids_are_stable_so_a_reimport_updates_in_place(
    con: duckdb.DuckDBPyConnection, deals: Path, tmp_path: Path
) -> None:
    column_map = write_map(tmp_path, MAP)
    run(con, [deals], column_map)
    before = rows(con, "SELECT opportunity_id FROM opportunities ORDER BY 1")

    again = run(con, [deals], column_map)

    assert rows(con, "SELECT opportunity_id FROM opportunities ORDER BY 1") == before
    assert {t.table: (t.inserted, t.updated) for t in again.tables} == {
        "reps": (0, 3),
        "accounts": (0, 5),
        "opportunities": (0, 4),
    }


def test_row_ids_are_the_file_stem_and_row(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    leads = write_csv("signups.csv", "Signed up,Channel\n2024-01-02,Ads\n2024-01-03,\n")
    column_map = write_map(
        tmp_path,
        """
        [leads.columns]
        lead_id = { row = true, prefix = "web-" }
        created_at = "Signed up"
        source = { column = "Channel", values = { Ads = "paid_search" }, default = "direct" }
        status = { value = "new" }
        """,
    )

    run(con, [leads], column_map)

    assert rows(con, "SELECT lead_id, created_at, source, status FROM leads ORDER BY 1") == [
        ("web-signups-2", datetime(2024, 1, 2), "paid_search", "new"),
        ("web-signups-3", datetime(2024, 1, 3), "direct", "new"),
    ]


@pytest.mark.parametrize(
    ("unmapped", "stored", "reject"),
    [
        # Kept, Hot is judged by the schema, which knows no such lead status.
        ("keep", ["new"], [(2, "status", f"unknown value; allowed: {', '.join(LEAD_STATUSES)}")]),
        ("empty", [None, "new"], []),
        (
            "reject",
            ["new"],
            [
                (
                    2,
                    "status",
                    "Lead Status value not in the column map's values "
                    "(MAP: leads.columns.status.values: fresh)",
                )
            ],
        ),
    ],
)
def test_values_the_value_map_does_not_list_are_kept_emptied_or_rejected(
    con: duckdb.DuckDBPyConnection,
    write_csv: Callable[..., Path],
    tmp_path: Path,
    unmapped: str,
    stored: list[str | None],
    reject: list[tuple[int, str, str]],
) -> None:
    leads = write_csv("leads.csv", "Id,Created,Lead Status\n1,2024-01-02,Hot\n2,2024-01-03,FRESH\n")
    column_map = write_map(
        tmp_path,
        f"""
        [leads.columns]
        lead_id = "Id"
        created_at = "Created"
        status = {{ column = "Lead Status", values = {{ fresh = "new" }}, unmapped = "{unmapped}" }}
        """,
    )

    result = run(con, [leads], column_map)

    assert [
        status for (status,) in rows(con, "SELECT status FROM leads ORDER BY lead_id")
    ] == stored
    expected = [
        (row, column, reason.replace("MAP", str(column_map))) for row, column, reason in reject
    ]
    assert rejects(result, "leads") == expected


def test_a_catch_all_value_and_a_column_date_format(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    deals = write_csv(
        "deals.csv",
        "Id,Owner,Stage,Won?,Closed,Opened\n"
        "1,ann,Done,yes,2024-03-02 10:00,03.01.2024\n"
        "2,ann,Done,no,2024-03-05 09:00,04.01.2024\n"
        "3,ann,Done,yes,2024-03-06 09:00,31.02.2024\n",
    )
    column_map = write_map(
        tmp_path,
        """
        date_format = "%Y-%m-%d %H:%M"
        [reps]
        rows = "distinct"
        [reps.columns]
        rep_id = "Owner"
        name = "Owner"
        role = { value = "rep" }
        [opportunities]
        files = "DEALS.CSV"
        [opportunities.columns]
        opportunity_id = "Id"
        owner_rep_id = "Owner"
        stage = "Stage"
        is_won = { column = "Won?", values = { yes = "won", "*" = "lost" } }
        closed_at = "Closed"
        created_at = { column = "Opened", date_format = "%d.%m.%Y" }
        """,
    )

    result = run(con, [deals], column_map)

    assert rows(con, "SELECT opportunity_id, is_won, closed_at, created_at FROM opportunities") == [
        ("1", True, datetime(2024, 3, 2, 10), datetime(2024, 1, 3)),
        ("2", False, datetime(2024, 3, 5, 9), datetime(2024, 1, 4)),
    ]
    # 31.02 is no date: the text is passed on and the importer rejects it with its value.
    assert [(r.row, r.column, r.value) for r in result.sample] == [(4, "created_at", "31.02.2024")]


def test_skip_rules_drop_rows_and_say_which(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    reps = write_csv("people.csv", "Code,Kind\nA1,seller\nTotal,-\nB2,seller\n")
    column_map = write_map(
        tmp_path,
        """
        [reps]
        skip = [{ column = "Code", values = ["total", "subtotal"] }]
        [reps.columns]
        rep_id = "Code"
        name = "Code"
        role = { column = "Kind", values = { seller = "rep" } }
        """,
    )

    result = run(con, [reps], column_map)

    assert rows(con, "SELECT rep_id, role FROM reps ORDER BY 1") == [("A1", "rep"), ("B2", "rep")]
    assert result.notes == [
        "map: people.csv: skipped 1 row(s) for reps where Code is total or subtotal (rows 3)"
    ]


def test_an_optional_column_the_file_lacks_is_left_absent(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    reps = write_csv("reps.csv", "Code\nA1\n")
    column_map = write_map(
        tmp_path,
        """
        [reps.columns]
        rep_id = "Code"
        name = "Code"
        email = { column = ["E-mail", "email"], optional = true }
        role = { value = "rep" }
        """,
    )

    result = run(con, [reps], column_map)

    assert result.rejects == 0
    assert rows(con, "SELECT rep_id, email FROM reps") == [("A1", None)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[oportunities]\n", "oportunities: not a canonical table or map option"),
        (
            "[reps.columns]\nrep_id = 'Code'\nname = 'Code'\n",
            "reps.columns: required column(s) role",
        ),
        (
            "[reps.columns]\nrep_id = 'Code'\nname = 'Code'\nrole = 'Kind'\nnickname = 'N'\n",
            "reps.columns.nickname: reps has no column 'nickname'",
        ),
        (
            "[reps.columns]\nrep_id = { column = 'Code', value = 'x' }\nname = 'C'\nrole = 'K'\n",
            "reps.columns.rep_id: give exactly one of column, value, hash or row "
            "(found column, value)",
        ),
        (
            "[reps.columns]\nrep_id = { colum = 'Code' }\nname = 'C'\nrole = 'K'\n",
            "reps.columns.rep_id.colum: unknown key",
        ),
        (
            "[reps]\nrows = 'some'\n[reps.columns]\nrep_id = 'C'\nname = 'C'\nrole = 'K'\n",
            "reps.rows: Input should be 'each' or 'distinct'",
        ),
        (
            "[opportunities.columns]\nopportunity_id = 'Id'\nowner_rep_id = 'O'\nstage = 'S'\n"
            "is_won = { column = 'W', values = { Y = 'yes' } }\n",
            "opportunities.columns.is_won.values.Y: is_won values are won, lost or open",
        ),
        (
            "[opportunities.columns]\nopportunity_id = 'Id'\nowner_rep_id = 'O'\nstage = 'S'\n"
            "is_won = { column = 'W', default = 'maybe' }\n",
            "opportunities.columns.is_won.default: is_won values are won, lost or open",
        ),
        (
            "[reps.columns]\nrep_id = { column = 'C', date_format = 'dd/mm' }\nname='C'\nrole='K'",
            "reps.columns.rep_id: date_format 'dd/mm' has no % directive",
        ),
        ("[reps\n", "not valid TOML"),
        ("", "maps no table"),
    ],
)
def test_a_bad_map_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)

    with pytest.raises(InputError) as error:
        load_map(path)

    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_map_naming_a_column_the_file_lacks_says_which_key_and_file(
    con: duckdb.DuckDBPyConnection, deals: Path, tmp_path: Path
) -> None:
    column_map = write_map(tmp_path, MAP.replace('amount = "Value"', 'amount = "Deal Value"'))

    with pytest.raises(
        InputError,
        match=r"map.toml: opportunities.columns.amount: deals.csv "
        r"has no column 'Deal Value'; its columns are Deal Name, Owner",
    ):
        run(con, [deals], column_map)


def test_the_map_preset_needs_a_map(con: duckdb.DuckDBPyConnection, deals: Path) -> None:
    with pytest.raises(InputError, match="needs a column map"):
        import_files(con, [deals], preset_name="map")


def test_suggest_drafts_a_map_that_imports_after_review(
    deals: Path, tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    runner = CliRunner()
    drafted = runner.invoke(app, ["map", "suggest", str(deals)])
    assert drafted.exit_code == 0, drafted.output
    draft = drafted.output

    parsed = tomllib.loads(draft)
    assert parsed["reps"]["rows"] == "distinct"
    assert parsed["opportunities"]["date_format"] == "%d/%m/%Y"
    columns = parsed["opportunities"]["columns"]
    assert columns["owner_rep_id"] == "Owner"
    assert columns["account_id"] == "Client"
    assert columns["amount"] == "Value"
    assert columns["created_at"] == "Created"
    assert columns["closed_at"] == "Close Date (A)"
    assert columns["expected_close_date"] == "Tentative Close"
    assert columns["is_won"]["values"] == {
        "Won": "won",
        "Open": "open",
        "On Hold": "open",
        "Dead": "lost",
    }
    # Golf's exact copy shares a key with it; no other two rows do.
    assert columns["opportunity_id"]["hash"] == ["Deal Name", "Owner", "Client", "Created"]
    assert "# Headers of deals.csv not mapped" in draft
    assert "#   Chance: High (1), Low (1), Medium (1)" in draft

    path = tmp_path / "draft.toml"
    path.write_text(draft)
    result = runner.invoke(
        app,
        [
            "import",
            str(deals),
            "--map",
            str(path),
            "--db",
            str(tmp_path / "s.duckdb"),
            "--rejects",
            str(tmp_path / "rejects.csv"),
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("header", "synonyms", "fits"),
    [
        ("Deal Stage", ("stage", "deal stage"), True),
        ("dealStage", ("deal stage",), True),
        ("Masked Deal value", ("deal value",), True),
        ("Owner id", ("id",), False),
        ("Sector/service", ("source",), False),
    ],
)
def test_header_names_fit_synonyms(header: str, synonyms: tuple[str, ...], fits: bool) -> None:
    assert (name_score(header, synonyms) >= 0.8) is fits


@pytest.mark.parametrize(
    ("samples", "layout"),
    [
        (["2024-01-31", "2024-02-01"], "%Y-%m-%d"),
        (["31/01/2024", "01/02/2024"], "%d/%m/%Y"),
        (["01/31/2024 08:30"], "%m/%d/%Y %H:%M"),
        (["03/04/2024"], None),
        (["soon"], None),
    ],
)
def test_date_layouts_are_detected_only_when_the_samples_decide(
    samples: list[str], layout: str | None
) -> None:
    assert detect_layout(samples) == layout


def test_suggest_takes_won_and_lost_from_the_stage_and_ids_from_unique_names(
    write_csv: Callable[..., Path], tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    # Maven-like: closed stages instead of a status, one close date, accounts named by name.
    write_csv(
        "pipeline.csv",
        "opportunity_id,sales_agent,account,deal_stage,close_date,close_value\n"
        "A1,Ann,Acme,Won,2024-02-01,100\n"
        "A2,Ann,Beta,Lost,2024-02-03,0\n"
        "A3,Bo,Acme,Engaging,2024-03-01,\n",
        folder="crm",
    )
    write_csv("accounts.csv", "account,sector\nAcme,retail\nBeta,tech\n", folder="crm")

    drafted = CliRunner().invoke(app, ["map", "suggest", str(tmp_path / "crm")])

    assert drafted.exit_code == 0, drafted.output
    parsed = tomllib.loads(drafted.output)
    deals = parsed["opportunities"]["columns"]
    assert deals["is_won"]["column"] == "deal_stage"
    assert deals["is_won"]["values"] == {"Won": "won", "Lost": "lost", "Engaging": "open"}
    assert deals["closed_at"] == deals["expected_close_date"] == "close_date"
    assert parsed["accounts"]["columns"]["account_id"] == "account"
    path = tmp_path / "draft.toml"
    path.write_text(drafted.output)
    result = run(con, [tmp_path / "crm"], path)
    assert result.rejects == 0
    assert rows(con, "SELECT opportunity_id, is_won, closed_at FROM opportunities ORDER BY 1") == [
        ("A1", True, datetime(2024, 2, 1)),
        ("A2", False, datetime(2024, 2, 3)),
        ("A3", None, None),
    ]


def test_map_and_another_preset_cannot_both_be_asked_for(deals: Path, tmp_path: Path) -> None:
    args = ["import", str(deals), "--map", str(write_map(tmp_path, MAP)), "--preset", "maven"]

    result = CliRunner().invoke(app, [*args, "--db", str(tmp_path / "s.duckdb")])

    assert isinstance(result.exception, InputError)
    assert str(result.exception) == "--map reads the files with a column map; drop --preset maven"


def test_a_distinct_table_fed_by_two_files_implies_each_key_once(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("contacts.csv", "Contact Owner,Id\nAnn,1\nBo,2\n", folder="crm")
    write_csv("deals.csv", "Deal Owner,Id\nBo,1\nCy,2\n", folder="crm")
    column_map = write_map(
        tmp_path,
        """
        [reps]
        files = ["contacts*.csv", "deals*.csv"]
        rows = "distinct"
        [reps.columns]
        rep_id = ["Contact Owner", "Deal Owner"]
        name = ["Contact Owner", "Deal Owner"]
        role = { value = "rep" }
        """,
    )

    result = run(con, [tmp_path / "crm"], column_map)

    assert result.rejects == 0
    assert rows(con, "SELECT rep_id FROM reps ORDER BY 1") == [("Ann",), ("Bo",), ("Cy",)]
