"""Two deals whose ids share DuckDB's `hash()` are still two deals in the forecast.

DuckDB's `hash()` of text mixes 8-byte blocks by xor and a multiply, which carries a difference
only towards the high bits: two ids that differ in the last byte of two blocks share a hash
about once in 256 ('OPP00001000001209' and 'OPP00008000001259' do). The same organisation is
imported twice: once with two open deals (different owners, stages and amounts) renamed to
such a pair, once to a pair that does not collide, every other id renamed alike (the order of
the ids, which the forecast's draws follow, is the same in both). Histories and forecasts must
agree, deal for deal and rep for rep.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from forecast_support import imported_history

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.forecast.forecast import forecast_period
from attain.forecast.history import DealHistory, known_at, load_history, make_history
from attain.forecast.settings import ForecastSettings
from attain.forecast.snapshots import open_at
from attain.metrics.periods import quarter_of
from attain.store import connect, raw_duckdb

COLLIDING = ("OPP00001000001209", "OPP00008000001259")
DISTINCT = ("OPP00001000001209", "OPP00008000001260")
ID = re.compile(r"\bOPP(\d{8})\b")


def test_the_pairs_are_what_they_claim() -> None:
    with duckdb.connect() as con:
        same = con.execute("SELECT hash(?) = hash(?), hash(?) = hash(?)", [*COLLIDING, *DISTINCT])
        assert same.fetchone() == (True, False)


def _chosen(folder: Path) -> tuple[str, str]:
    """Two deals open at the end of the data with different owners, stages and amounts."""
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str)
    still_open = deals.loc[deals["closed_at"].isna()]
    first = still_open.iloc[0]
    other = still_open.loc[
        (still_open["owner_rep_id"] != first["owner_rep_id"])
        & (still_open["stage"] != first["stage"])
        & (still_open["amount"] != first["amount"])
    ].iloc[0]
    return str(first["opportunity_id"]), str(other["opportunity_id"])


def _renamed(source: Path, target: Path, chosen: tuple[str, str], pair: tuple[str, str]) -> None:
    """`source`'s CSVs with each id OPPn written OPP and n in 14 digits, the `chosen` as `pair`."""
    names = dict(zip(chosen, pair, strict=True))
    target.mkdir()
    for path in source.iterdir():
        text = path.read_text()
        if path.suffix == ".csv":
            text = ID.sub(lambda m: names.get(m.group(0), f"OPP{int(m.group(1)):014d}"), text)
        (target / path.name).write_text(text)


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> tuple[DealHistory, DealHistory]:
    base = tmp_path_factory.mktemp("collide")
    generate(DemoSpec(reps=4, quarters=3, seed=5), base / "demo")
    chosen = _chosen(base / "demo")
    _renamed(base / "demo", base / "colliding", chosen, COLLIDING)
    _renamed(base / "demo", base / "distinct", chosen, DISTINCT)
    return imported_history(base / "colliding"), imported_history(base / "distinct")


def _as_distinct(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(opportunity_id=frame["opportunity_id"].replace(COLLIDING[1], DISTINCT[1]))


def test_the_history_keeps_both_deals_apart(histories: tuple[DealHistory, DealHistory]) -> None:
    colliding, distinct = histories
    pd.testing.assert_frame_equal(_as_distinct(colliding.deals), distinct.deals)
    pd.testing.assert_frame_equal(_as_distinct(colliding.stages), distinct.stages)
    for frame in ("deals", "stages"):
        assert len(set(colliding.keys_of(frame))) == len(set(distinct.keys_of(frame)))


def _rows(history: DealHistory) -> list[tuple[object, ...]]:
    as_of = history.last_event.date()
    result = forecast_period(
        history,
        quarter_of(as_of),
        as_of,
        targets={},
        names={},
        zone="UTC",
        settings=ForecastSettings(simulations=300),
        simulations=300,
    )
    deals = [
        (d.opportunity_id, d.owner_rep_id, d.stage, d.value, d.probability) for d in result.deals
    ]
    rows = [
        (row.scope, row.id, row.open_deals, row.open_value, row.expected_open, row.p10, row.p90)
        for row in result.rows
    ]
    return [*rows, *[(oid.replace(COLLIDING[1], DISTINCT[1]), *rest) for oid, *rest in deals]]


def test_each_rep_forecast_is_that_of_distinct_ids(
    histories: tuple[DealHistory, DealHistory],
) -> None:
    colliding, distinct = histories
    assert _rows(colliding) == _rows(distinct)


def test_the_colliding_store_alone_is_keyed_strongly(
    histories: tuple[DealHistory, DealHistory],
) -> None:
    colliding, distinct = histories
    assert colliding.strong_keys and not distinct.strong_keys


def test_an_entry_of_a_deal_not_kept_is_not_taken_for_its_namesake() -> None:
    """The stage entries of an id the deals lack (a deal without created_at) stay out of the
    history, though that id shares its plain key with a deal's."""
    at = pd.Timestamp("2026-04-01 10:00")
    deals = pd.DataFrame(
        {
            "opportunity_id": [COLLIDING[0]],
            "owner_rep_id": ["r1"],
            "product_id": [None],
            "created_at": [at],
            "closed_at": [pd.NaT],
            "is_won": [None],
            "amount": [100.0],
        }
    )
    stages = pd.DataFrame(
        {
            "opportunity_id": [COLLIDING[0], COLLIDING[1]],
            "stage": ["Discovery", "Negotiation"],
            "entered_at": [at, at + pd.Timedelta(days=1)],
            "amount": [100.0, 900.0],
        }
    )
    history = make_history(deals, stages, {"r1": "t1"})
    assert history.strong_keys
    assert history.stages["opportunity_id"].tolist() == [COLLIDING[0]]
    assert history.stages["stage"].tolist() == ["Discovery"]


def _store_with_a_deleted_deal(stored: str, deleted: str) -> Any:
    """A store whose deal `stored` (bo's, 100, created 2 January) is open and whose deal
    `deleted` (ada's, 80 in proposal, created 5 January) an export of 10 February left out."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO teams (team_id, name) VALUES ('east', 'East')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role) VALUES "
        "('ada', 'Ada', 'east', 'rep'), ('bo', 'Bo', 'east', 'rep')"
    )
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, account_id, created_at, stage, "
        "amount) VALUES (?, 'bo', 'acme', '2024-01-02', 'prospect', 100)",
        [stored],
    )
    rows = [
        (stored, 1, None, "2024-01-10", None, False, "bo", "prospect", 100.0, "2024-01-02"),
        (deleted, 1, 2, "2024-01-10", "2024-02-10", False, "ada", "proposal", 80.0, "2024-01-05"),
        (deleted, 2, None, "2024-02-10", None, True, "ada", "proposal", 80.0, "2024-01-05"),
    ]
    con.executemany(
        "INSERT INTO attain_opportunity_history (opportunity_id, version_from, version_to, "
        "valid_from, valid_to, deleted, owner_rep_id, stage, amount, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return backend


def _seen_on_20_january(pair: tuple[str, str]) -> list[tuple[object, ...]]:
    """Who owned which open deal of what value on 20 January, the pair named "kept", "gone"."""
    backend = _store_with_a_deleted_deal(*pair)
    try:
        history = load_history(backend)
    finally:
        backend.disconnect()
    names = dict(zip(pair, ("kept", "gone"), strict=True))
    rows = open_at(history, [pd.Timestamp("2024-01-20")])
    deals = known_at(history, pd.Timestamp("2024-01-20")).deals
    opened = zip(rows["opportunity_id"], rows["value"], strict=True)
    owned = zip(deals["opportunity_id"], deals["owner_rep_id"], strict=True)
    return sorted(
        [*[("open", names[d], v) for d, v in opened], *[("deal", names[d], o) for d, o in owned]]
    )


def test_a_deleted_deal_is_not_taken_for_a_stored_one_sharing_its_hash() -> None:
    assert _seen_on_20_january(COLLIDING) == _seen_on_20_january(DISTINCT)
    assert _seen_on_20_january(COLLIDING) == [
        ("deal", "gone", "ada"),
        ("deal", "kept", "bo"),
        ("open", "gone", 80.0),
        ("open", "kept", 100.0),
    ]
