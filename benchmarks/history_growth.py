"""History storage: bytes per history row and growth over weekly imports (docs/history.md).

Usage: python benchmarks/history_growth.py [--reps 100] [--weeks 12] [--seed 7]

Generates a demo organisation, imports it (deals, their stage history, reps; activities are
left out, they have no history), then imports `--weeks` weekly full exports of the deals and
reps in which, each week and among the deals still open:

- 10% move stage, 8% have their expected close date pushed a month, 5% are resized (+-20%),
  4% close (half won), 1% are deleted in the CRM; as many new deals are created as closed or
  deleted ones, so the open pipeline stays the same size;
- 0.5% of the reps move team.

After each import it checkpoints and prints the history rows, the history tables' size (copied
alone into a fresh DuckDB file, so the measure is theirs) and the store file's used bytes.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb
from attain.store.ddl import OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE

BASE_FILES = (
    "teams.csv",
    "reps.csv",
    "accounts.csv",
    "products.csv",
    "leads.csv",
    "opportunities.csv",
    "opportunity_stages.csv",
)
FIRST_WEEK = datetime(2026, 11, 16)


def churn(con: duckdb.DuckDBPyConnection, week: int) -> None:
    """Apply one week of CRM changes to the tables `deals` and `people` (deterministic)."""
    h = f"hash(opportunity_id || '{week}') % 1000"
    open_deal = "closed_at IS NULL"
    when = f"TIMESTAMP '{FIRST_WEEK + timedelta(weeks=week)}'"
    con.execute(
        f"UPDATE deals SET stage = stage || '+' WHERE {open_deal} AND {h} < 100"  # 10%: stage
    )
    con.execute(
        f"UPDATE deals SET expected_close_date = expected_close_date + INTERVAL 1 MONTH "
        f"WHERE {open_deal} AND {h} >= 100 AND {h} < 180"
    )
    con.execute(
        f"UPDATE deals SET amount = round(amount * (0.8 + ({h} % 40) / 100.0), 2) "
        f"WHERE {open_deal} AND {h} >= 180 AND {h} < 230"
    )
    con.execute(
        f"UPDATE deals SET closed_at = {when}, is_won = {h} % 2 = 0, "
        f"stage = CASE WHEN {h} % 2 = 0 THEN 'Closed Won' ELSE 'Closed Lost' END, "
        f"forecast_category = 'closed' WHERE {open_deal} AND {h} >= 230 AND {h} < 270"
    )
    gone = con.execute(
        f"SELECT count(*) FROM deals WHERE {open_deal} AND {h} >= 270 AND {h} < 280"
    ).fetchone()
    con.execute(f"DELETE FROM deals WHERE {open_deal} AND {h} >= 270 AND {h} < 280")
    closed_now = con.execute(f"SELECT count(*) FROM deals WHERE closed_at = {when}").fetchone()
    new = (gone[0] if gone else 0) + (closed_now[0] if closed_now else 0)
    con.execute(
        f"INSERT INTO deals SELECT * REPLACE ('N{week}-' || opportunity_id AS opportunity_id, "
        f"{when} AS created_at) FROM deals WHERE {open_deal} ORDER BY opportunity_id LIMIT {new}"
    )
    con.execute(
        f"UPDATE people SET team_id = (SELECT min(team_id) FROM people p "
        f"WHERE p.team_id > people.team_id) "
        f"WHERE hash(rep_id || '{week}') % 1000 < 5 AND team_id IS NOT NULL"
    )


def history_bytes(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Used bytes of a fresh DuckDB file holding only the two history tables."""
    target = folder / "history-only.duckdb"
    target.unlink(missing_ok=True)
    con.execute(f"ATTACH '{target}' AS h")
    for name in (OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE):
        con.execute(f"CREATE TABLE h.{name} AS SELECT * FROM {name}")
    con.execute("CHECKPOINT h")
    row = con.execute(
        "SELECT (total_blocks - free_blocks) * block_size FROM pragma_database_size() "
        "WHERE database_name = 'h'"
    ).fetchone()
    con.execute("DETACH h")
    return int(row[0]) if row else 0


def used_bytes(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("CHECKPOINT")
    row = con.execute(
        "SELECT (total_blocks - free_blocks) * block_size FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    table = Table(title=f"History growth, {args.reps} reps, weekly full exports")
    headers = ("week", "import s", "deals", "history rows", "added", "history bytes")
    for header in (*headers, "store bytes"):
        table.add_column(header, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = folder / "demo"
        subprocess.run(
            [
                *(str(Path(sys.executable).parent / "attain"), "demo", "generate", str(demo)),
                *("--reps", str(args.reps), "--seed", str(args.seed)),
            ],
            check=True,
            capture_output=True,
        )
        base = folder / "base"
        base.mkdir()
        for name in BASE_FILES:
            shutil.copy(demo / name, base / name)
        store = connect(str(folder / "store.duckdb"))
        con = raw_duckdb(store)
        started = time.perf_counter()
        import_files(con, [base], taken_at=FIRST_WEEK)
        rows = [(time.perf_counter() - started, *_row(con, folder, 0))]
        con.execute("CREATE TEMP TABLE deals AS SELECT * FROM opportunities")
        con.execute("CREATE TEMP TABLE people AS SELECT * FROM reps")
        for week in range(1, args.weeks + 1):
            churn(con, week)
            export = folder / f"week-{week}"
            export.mkdir()
            shutil.copy(demo / "teams.csv", export / "teams.csv")
            con.execute(f"COPY people TO '{export / 'reps.csv'}' (HEADER)")
            con.execute(f"COPY deals TO '{export / 'opportunities.csv'}' (HEADER)")
            started = time.perf_counter()
            import_files(con, [export], taken_at=FIRST_WEEK + timedelta(weeks=week))
            rows.append((time.perf_counter() - started, *_row(con, folder, week)))
        store.disconnect()
    previous = None
    for seconds, week, deals, history, hist_bytes, store_bytes in rows:
        added = "" if previous is None else f"{history - previous:,}"
        previous = history
        table.add_row(
            str(week),
            f"{seconds:.1f}",
            f"{deals:,}",
            f"{history:,}",
            added,
            f"{hist_bytes:,}",
            f"{store_bytes:,}",
        )
    Console().print(table)
    (_, _, _, h0, b0, s0), (_, _, _, hn, bn, sn) = rows[0], rows[-1]
    if hn > h0:  # the weekly imports after the first one
        weeks = len(rows) - 1
        print(
            f"weeks 1-{weeks}: {(hn - h0) / weeks:,.0f} history rows a week; "
            f"{(bn - b0) / (hn - h0):,.1f} history bytes and {(sn - s0) / (hn - h0):,.1f} "
            "store bytes per history row added (in 256 KiB blocks: coarse over few weeks); "
            f"{b0 / h0:,.1f} history bytes per row after the first import"
        )


def _row(con: duckdb.DuckDBPyConnection, folder: Path, week: int) -> tuple[int, ...]:
    """Week, deals, history rows, history tables' bytes, store file's used bytes."""
    counts = con.execute(
        f"SELECT (SELECT count(*) FROM opportunities), "
        f"(SELECT count(*) FROM {OPPORTUNITY_HISTORY_TABLE}) "
        f"+ (SELECT count(*) FROM {REP_HISTORY_TABLE})"
    ).fetchone()
    assert counts is not None
    return week, int(counts[0]), int(counts[1]), history_bytes(con, folder), used_bytes(con)


if __name__ == "__main__":
    main()
