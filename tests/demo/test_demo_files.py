"""The generated files follow the canonical schema and import without a single rejected row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from demo_support import Demo

from attain.demo import CAUSES, DemoSpec, generate
from attain.errors import ConfigError
from attain.ingest.importer import import_files
from attain.schema import TABLES

SMALL = DemoSpec(reps=12, quarters=2, seed=5)


def _contents(path: Path) -> dict[str, bytes]:
    return {file.name: file.read_bytes() for file in sorted(path.iterdir())}


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(SMALL, tmp_path / "a")
    generate(SMALL, tmp_path / "b")
    generate(DemoSpec(reps=12, quarters=2, seed=6), tmp_path / "c")
    first, second, other = (_contents(tmp_path / name) for name in "abc")
    # attain.toml names the plan by its absolute path, the one difference between a and b
    config = first.pop("attain.toml").replace(str(tmp_path / "a").encode(), b"DIR")
    assert second.pop("attain.toml").replace(str(tmp_path / "b").encode(), b"DIR") == config
    assert first == second
    assert len(first) == len(TABLES) + 2  # the CSVs, truth.json and comp-plan.toml
    assert first["activities.csv"] != other["activities.csv"]
    assert first["truth.json"] != other["truth.json"]


def test_every_file_has_exactly_the_canonical_header(demo: Demo) -> None:
    for name, table in TABLES.items():
        header = (demo.path / f"{name}.csv").open().readline().rstrip("\n")
        assert header == ",".join(table.column_names), name


def test_the_importer_rejects_no_row(demo: Demo, tmp_path: Path) -> None:
    result = import_files(duckdb.connect(), [demo.path], strict=True)
    assert result.rejects == 0
    assert {t.table for t in result.tables} == set(TABLES)
    assert all(t.rows_rejected == 0 for t in result.tables)
    # Every table has rows but the exchange rates of a one-currency organisation.
    assert {t.table for t in result.tables if not t.rows_read} == {"fx_rates"}


def test_keys_are_unique_and_every_reference_exists(demo: Demo) -> None:
    for name, table in TABLES.items():
        key = ", ".join(table.key)
        duplicates = demo.scalar(
            f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY ALL HAVING count(*) > 1)"
        )
        assert duplicates == 0, name
        for column in table.columns:
            if column.references:
                target, target_key = column.references.split(".")
                missing = demo.scalar(
                    f"SELECT count(*) FROM {name} WHERE {column.name} IS NOT NULL AND "
                    f"{column.name} NOT IN (SELECT {target_key} FROM {target})"
                )
                assert missing == 0, f"{name}.{column.name}"


def test_values_obey_the_schema_rules(demo: Demo) -> None:
    checks = {
        "negative amount": "SELECT count(*) FROM opportunities WHERE amount < 0",
        "negative stage amount": "SELECT count(*) FROM opportunity_stages WHERE amount < 0",
        "closed before created": "SELECT count(*) FROM opportunities WHERE closed_at < created_at",
        "is_won without close": "SELECT count(*) FROM opportunities "
        "WHERE (is_won IS NULL) <> (closed_at IS NULL)",
        "loss reason on a won deal": "SELECT count(*) FROM opportunities "
        "WHERE loss_reason IS NOT NULL AND is_won IS DISTINCT FROM false",
        "period ends before it starts": "SELECT count(*) FROM quotas "
        "WHERE period_end < period_start",
        "left before hired": "SELECT count(*) FROM reps WHERE end_date < hire_date",
        "negative target": "SELECT count(*) FROM quotas WHERE target < 0",
    }
    for rule, sql in checks.items():
        assert demo.scalar(sql) == 0, rule
    for column, table in (("role", "reps"), ("status", "leads"), ("type", "activities")):
        allowed = TABLES[table].column(column).allowed
        assert allowed is not None
        values = {
            v for (v,) in demo.con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()
        }
        assert values <= set(allowed), column


def test_nothing_happens_on_or_after_as_of_except_what_is_due(demo: Demo) -> None:
    moments = {
        "leads": [
            "created_at",
            "mql_at",
            "sql_at",
            "accepted_at",
            "rejected_at",
            "converted_at",
            "first_marketing_touch_at",
            "first_sales_touch_at",
        ],
        "opportunities": ["created_at", "closed_at"],
        "opportunity_stages": ["entered_at"],
        "activities": ["occurred_at", "completed_at"],
        "coaching_sessions": ["occurred_at"],
        "quotas": ["set_at"],
    }
    for table, columns in moments.items():
        for column in columns:
            late = demo.scalar(
                f"SELECT count(*) FROM {table} WHERE {column} >= CAST(? AS DATE)", demo.as_of
            )
            assert late == 0, f"{table}.{column}"
    open_due = demo.scalar(
        "SELECT count(*) FROM activities WHERE due_at >= CAST(? AS DATE) AND completed_at IS NULL",
        demo.as_of,
    )
    open_deals_due = demo.scalar(
        "SELECT count(*) FROM opportunities WHERE closed_at IS NULL "
        "AND expected_close_date >= CAST(? AS DATE)",
        demo.as_of,
    )
    assert open_due > 0 and open_deals_due > 0


def test_the_window_covers_the_quarters_up_to_as_of(demo: Demo) -> None:
    first = demo.scalar("SELECT min(occurred_at)::DATE FROM activities")
    assert demo.truth.window["start"] == "2026-01-01"
    assert date(2026, 1, 1) <= first <= date(2026, 1, 7)
    periods = demo.scalar("SELECT count(DISTINCT period_start) FROM quotas")
    assert periods == 4


def test_lead_statuses_agree_with_their_timestamps_and_links(demo: Demo) -> None:
    wrong = demo.scalar(
        """SELECT count(*) FROM leads WHERE
        (status = 'converted') <> (converted_at IS NOT NULL)
        OR (status = 'rejected') <> (rejected_at IS NOT NULL AND converted_at IS NULL)
        OR (converted_at IS NOT NULL) <> (opportunity_id IS NOT NULL)
        OR sql_at < mql_at OR accepted_at < sql_at OR rejected_at < sql_at
        OR converted_at < accepted_at
        OR (source = 'outbound') <> (first_marketing_touch_at IS NULL AND source = 'outbound')"""
    )
    assert wrong == 0
    unlinked = demo.scalar(
        """SELECT count(*) FROM leads l JOIN opportunities o USING (opportunity_id)
        WHERE o.lead_id IS DISTINCT FROM l.lead_id OR o.created_at <> l.converted_at"""
    )
    assert unlinked == 0
    outbound_touched = demo.scalar(
        "SELECT count(*) FROM leads "
        "WHERE source = 'outbound' AND first_marketing_touch_at IS NOT NULL"
    )
    assert outbound_touched == 0
    statuses = {s for (s,) in demo.con.execute("SELECT DISTINCT status FROM leads").fetchall()}
    assert {"converted", "rejected", "working", "nurturing", "qualified"} <= statuses


def test_every_deal_has_a_stage_history_in_order_ending_in_its_stage(demo: Demo) -> None:
    mismatched = demo.scalar(
        """WITH last AS (SELECT opportunity_id, arg_max(stage, entered_at) stage, count(*) n,
                                 max(entered_at) t FROM opportunity_stages GROUP BY 1)
        SELECT count(*) FROM opportunities o LEFT JOIN last l USING (opportunity_id)
        WHERE l.stage IS DISTINCT FROM o.stage
           OR (o.closed_at IS NOT NULL AND l.t <> o.closed_at)"""
    )
    assert mismatched == 0
    stage_counts = dict(
        demo.con.execute("SELECT stage, count(*) FROM opportunities GROUP BY 1").fetchall()
    )
    assert {"Closed Won", "Closed Lost", "Prospecting", "Proposal"} <= set(stage_counts)
    assert (
        0.2
        <= stage_counts["Closed Won"] / (stage_counts["Closed Won"] + stage_counts["Closed Lost"])
        <= 0.4
    )


def test_the_organisation_has_teams_managers_sdrs_and_marketers(demo: Demo) -> None:
    roles = dict(demo.con.execute("SELECT role, count(*) FROM reps GROUP BY 1").fetchall())
    assert (
        roles["rep"] == 60
        and roles["manager"] >= 6
        and roles["sdr"] >= 2
        and roles["marketing"] >= 1
    )
    sizes = [
        n
        for (n,) in demo.con.execute(
            "SELECT count(*) FROM reps WHERE role = 'rep' GROUP BY team_id"
        ).fetchall()
    ]
    assert all(6 <= n <= 10 for n in sizes)
    managed = demo.scalar(
        "SELECT count(*) FROM teams t JOIN reps r ON r.rep_id = t.manager_rep_id "
        "WHERE r.team_id = t.team_id AND r.role IN ('manager', 'marketing')"
    )
    assert managed == demo.scalar("SELECT count(*) FROM teams")
    new_hires = demo.scalar(
        "SELECT count(*) FROM reps WHERE role = 'rep' AND hire_date >= '2026-01-01'"
    )
    leavers = demo.scalar("SELECT count(*) FROM reps WHERE end_date IS NOT NULL")
    assert new_hires >= 2 and leavers >= 1
    after_leaving = demo.scalar(
        "SELECT count(*) FROM activities a JOIN reps r USING (rep_id) "
        "WHERE a.occurred_at::DATE > r.end_date"
    )
    assert after_leaving == 0


def test_products_have_priority_tiers_and_accounts_firmographics(demo: Demo) -> None:
    tiers = dict(demo.con.execute("SELECT priority, count(*) FROM products GROUP BY 1").fetchall())
    assert set(tiers) == {"priority", "standard", "loss_leader"}
    assert demo.scalar("SELECT count(*) FROM products") == 8
    incomplete = demo.scalar(
        "SELECT count(*) FROM accounts WHERE industry IS NULL OR employees IS NULL "
        "OR annual_revenue IS NULL OR country IS NULL"
    )
    assert incomplete == 0


def test_activities_happen_on_working_days_in_business_hours(demo: Demo) -> None:
    local = """(SELECT a.occurred_at + to_hours(CASE t.region
            WHEN 'North America East' THEN -5 WHEN 'North America West' THEN -8
            WHEN 'Central Europe' THEN 1 WHEN 'Southern Europe' THEN 1
            WHEN 'Asia Pacific' THEN 10 ELSE 0 END) AS t
        FROM activities a JOIN reps r USING (rep_id) JOIN teams t USING (team_id)
        WHERE r.role = 'rep')"""
    weekend = demo.scalar(f"SELECT avg((isodow(t) >= 6)::INT) FROM {local}")
    office = demo.scalar(f"SELECT avg((hour(t) BETWEEN 8 AND 17)::INT) FROM {local}")
    assert weekend < 0.01
    assert office > 0.97


def test_volumes_are_those_of_a_busy_sales_floor(demo: Demo) -> None:
    rep_days = demo.scalar(
        """SELECT sum(least(coalesce(end_date, DATE '2026-11-12'), DATE '2026-11-12')
                      - greatest(hire_date, DATE '2026-01-01') + 1)
           FROM reps WHERE role = 'rep'"""
    )
    selling = demo.scalar(
        "SELECT count(*) FROM activities JOIN reps USING (rep_id) WHERE role = 'rep'"
    )
    per_rep_quarter = selling / rep_days * 91
    assert 1800 <= per_rep_quarter <= 3200
    linked = demo.scalar("SELECT avg((opportunity_id IS NOT NULL)::INT) FROM activities")
    assert 0.1 <= linked <= 0.5


def test_truth_names_the_planted_reps_and_the_icp(demo: Demo) -> None:
    data = json.loads((demo.path / "truth.json").read_text())
    assert data["seed"] == 11 and data["as_of"] == "2026-11-13"
    assert set(data["icp"]) == {"industries", "employees", "countries"}
    causes = [p["cause"] for p in data["planted"]]
    assert set(causes) == set(CAUSES)
    assert all(causes.count(cause) >= 2 for cause in CAUSES)
    reps = [p["rep_id"] for p in data["planted"]]
    assert len(reps) == len(set(reps))
    roles = dict(demo.con.execute("SELECT rep_id, role FROM reps").fetchall())
    assert {roles[rep] for rep in reps} == {"rep"}
    hired = dict(demo.con.execute("SELECT rep_id, hire_date FROM reps").fetchall())
    assert all(hired[rep] <= date(2025, 10, 1) for rep in reps)


def test_named_reps_carry_the_cause_and_bad_names_are_refused(tmp_path: Path) -> None:
    spec = DemoSpec(reps=12, quarters=2, seed=5, plants={"coaching": ("R0002",)}, plant_share=0)
    assert [(p.rep_id, p.cause) for p in generate(spec, tmp_path).planted] == [
        ("R0002", "coaching")
    ]
    with pytest.raises(ConfigError, match="not a selling rep"):
        generate(DemoSpec(reps=12, quarters=2, seed=5, plants={"coaching": ("R0999",)}), tmp_path)
    with pytest.raises(ConfigError, match="unknown cause"):
        DemoSpec(reps=12, quarters=2, seed=5, plants={"laziness": ("R0002",)})
