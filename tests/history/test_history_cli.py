"""`attain changes` and `attain pipeline waterfall|calls` on the hand-built history store
(history_support.py): the text tables, JSON equal to the core's result, CSV rows, one-line
errors."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from attain.cli.main import app
from attain.errors import InputError

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_changes_text_groups_by_kind_with_counts_and_money(history_db: str) -> None:
    out = run("changes", "--since", "1", "--until", "2", "--db", history_db)
    assert "Changes from 2026-10-01 00:00:00 to 2026-10-08 00:00:00" in out
    assert "│ resized               │     1 │    +50 │" in out
    assert "│ deleted               │     1 │    600 │" in out
    assert "D2 (r1): 200 2027-02-01 → 2026-12-01" in out
    assert "changed team: r2 A → B" in out
    assert "no currency named" in out


def test_changes_json_and_csv_list_every_change(history_db: str) -> None:
    data = json.loads(
        run(
            "changes",
            "--since",
            "2026-10-01",
            "--until",
            "2026-10-07",
            "--db",
            history_db,
            "--format",
            "json",
        )
    )
    totals = {t["kind"]: (t["deals"], t["amount"]) for t in data["totals"]}
    assert totals["won"] == (1, 420.0) and totals["reassigned"] == (1, 700.0)
    assert data["reps"] == [{"rep_id": "r2", "team_before": "A", "team_after": "B"}]
    rows = list(
        csv.DictReader(
            io.StringIO(
                run("changes", "--since", "1", "--until", "2", "--db", history_db, "-f", "csv")
            )
        )
    )
    assert len(rows) == 10
    assert rows[-1] == {
        "kind": "changed_team",
        "opportunity_id": "",
        "owner_rep_id": "r2",
        "amount": "",
        "before": "A",
        "after": "B",
        "owner_name": "Rep r2",
    }


def test_changes_refuses_a_moment_it_cannot_read(history_db: str) -> None:
    result = runner.invoke(app, ["changes", "--since", "last week", "--db", history_db])
    assert isinstance(result.exception, InputError)
    assert "--since takes a data version" in str(result.exception)


def test_waterfall_text_json_and_csv(history_db: str) -> None:
    common = ["--period", "2026-Q4", "--through", "2026-10-21", "--db", history_db]
    out = run("pipeline", "waterfall", *common)
    assert "Pipeline waterfall 2026-Q4 for the company, weeks through 2026-10-21" in out
    assert "3,500" in out and "2,950" in out
    data = json.loads(run("pipeline", "waterfall", *common, "--team", "A", "-f", "json"))
    first = data["weeks"][0]
    assert (first["start_amount"], first["end_amount"]) == (2600.0, 1350.0)
    out_bar = next(b for b in first["bars"] if b["movement"] == "reassigned_out")
    assert out_bar["moved"] == [{"opportunity_id": "D7", "owner_rep_id": "r3", "amount": -700.0}]
    rows = list(csv.DictReader(io.StringIO(run("pipeline", "waterfall", *common, "-f", "csv"))))
    assert rows[0] == {
        "week": "1",
        "week_start": "2026-10-01",
        "week_end": "2026-10-07",
        "line": "start",
        "deals": "7",
        "amount": "3500.0",
    }
    assert [r["amount"] for r in rows if r["line"] == "end"] == ["2950.0"] * 3


def test_waterfall_takes_a_team_or_a_rep_not_both(history_db: str) -> None:
    result = runner.invoke(
        app,
        [
            "pipeline",
            "waterfall",
            "--period",
            "2026-Q4",
            "--team",
            "A",
            "--rep",
            "r1",
            "--db",
            history_db,
        ],
    )
    assert isinstance(result.exception, InputError)
    assert "not both" in str(result.exception)


def test_calls_text_and_csv_without_p50(history_db: str) -> None:
    common = ["--period", "2026-Q4", "--through", "2026-10-21", "--no-p50", "--db", history_db]
    out = run("pipeline", "calls", *common)
    assert "actual closed won 1,420" in out
    assert "2026-Q4 has not ended: the actual is what is won so far" in out
    assert "770 (-46%)" in out and "3,470 (+144%)" in out
    rows = list(csv.DictReader(io.StringIO(run("pipeline", "calls", *common, "-f", "csv"))))
    assert next((r["commit_call"], r["actual"]) for r in rows) == ("770.0", "1420.0")
    assert rows[0]["attain_p50"] == ""


def test_changes_without_since_shows_what_the_latest_import_changed(history_db: str) -> None:
    rows = list(csv.DictReader(io.StringIO(run("changes", "--db", history_db, "-f", "csv"))))
    assert [(r["kind"], r["opportunity_id"]) for r in rows] == [("created", "D10"), ("won", "D10")]
