"""Reading the store as of a past data version or date, from history rows written by hand.

Three imports, taken on 10 January, 10 February and 10 March 2024:

    deal  v1 (10 Jan)           v2 (10 Feb)            v3 (10 Mar)
    d1    prospect 100 ada      proposal 150 bo        won 150 bo, closed 5 March
    d2    prospect 80 ada       prospect 80 ada        deleted (no longer stored)
    d3    -                     prospect 40 bo         prospect 60 bo

Before v1, d1 was a lead of 90 since 2 January (a row seeded from the stage history, without
version). Rep bo moves from team east to team west with v3. The deals were created on 2 January
(d1), 5 January (d2) and 1 February (d3); d3 grew from 40 to 60 without changing stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from attain.forecast.history import booked, known_at, load_history
from attain.forecast.snapshots import open_at
from attain.store import connect, raw_duckdb
from attain.store.point_in_time import at, credited_at_close

TAKEN = {1: "2024-01-10", 2: "2024-02-10", 3: "2024-03-10"}
CREATED = {"d1": "2024-01-02", "d2": "2024-01-05", "d3": "2024-02-01"}

# (deal, version_from, version_to, deleted, owner, stage, amount, closed_at, is_won)
DEAL_ROWS = [
    ("d1", 1, 2, False, "ada", "prospect", 100.0, None, None),
    ("d1", 2, 3, False, "bo", "proposal", 150.0, None, None),
    ("d1", 3, None, False, "bo", "won", 150.0, "2024-03-05", True),
    ("d2", 1, 3, False, "ada", "prospect", 80.0, None, None),
    ("d2", 3, None, True, "ada", "prospect", 80.0, None, None),
    ("d3", 2, 3, False, "bo", "prospect", 40.0, None, None),
    ("d3", 3, None, False, "bo", "prospect", 60.0, None, None),
]


def _fill(con: Any, *, history: bool) -> None:
    con.execute("INSERT INTO teams (team_id, name) VALUES ('east', 'East'), ('west', 'West')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role) VALUES "
        "('ada', 'Ada', 'east', 'rep'), ('bo', 'Bo', 'west', 'rep')"
    )
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, account_id, created_at, stage, "
        "amount, closed_at, is_won) VALUES "
        "('d1', 'bo', 'acme', '2024-01-02', 'won', 150, '2024-03-05', true), "
        "('d3', 'bo', 'initech', '2024-02-01', 'prospect', 60, NULL, NULL)"
    )
    if not history:
        return
    for deal, first, last, deleted, owner, stage, amount, closed, won in DEAL_ROWS:
        con.execute(
            "INSERT INTO attain_opportunity_history (opportunity_id, version_from, version_to, "
            "valid_from, valid_to, deleted, owner_rep_id, stage, amount, closed_at, is_won, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                deal,
                first,
                last,
                TAKEN[first],
                TAKEN.get(last) if last else None,
                deleted,
                owner,
                stage,
                amount,
                closed,
                won,
                CREATED[deal],
            ],
        )
    con.execute(  # seeded from the export's stage history: no version, before the first
        "INSERT INTO attain_opportunity_history (opportunity_id, valid_from, valid_to, deleted, "
        "owner_rep_id, stage, amount) VALUES ('d1', '2024-01-02', '2024-01-10', false, 'ada', "
        "'lead', 90)"
    )
    con.execute(
        "INSERT INTO attain_rep_history (rep_id, version_from, version_to, valid_from, valid_to, "
        "deleted, team_id, role) VALUES "
        "('ada', 1, NULL, '2024-01-10', NULL, false, 'east', 'rep'), "
        "('bo', 1, 3, '2024-01-10', '2024-03-10', false, 'east', 'rep'), "
        "('bo', 3, NULL, '2024-03-10', NULL, false, 'west', 'rep')"
    )


@pytest.fixture(scope="module")
def store() -> Iterator[Any]:
    backend = connect(":memory:")
    _fill(raw_duckdb(backend), history=True)
    yield backend
    backend.disconnect()


def _deals(backend: Any) -> dict[str, tuple[Any, ...]]:
    frame = backend.execute(backend.table("opportunities")).sort_values("opportunity_id")
    return {
        row.opportunity_id: (
            row.stage,
            row.amount,
            row.owner_rep_id,
            None if pd.isna(row.account_id) else row.account_id,
        )
        for row in frame.itertuples()
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (1, {"d1": ("prospect", 100.0, "ada", "acme"), "d2": ("prospect", 80.0, "ada", None)}),
        (
            2,
            {
                "d1": ("proposal", 150.0, "bo", "acme"),
                "d2": ("prospect", 80.0, "ada", None),
                "d3": ("prospect", 40.0, "bo", "initech"),
            },
        ),
        (3, {"d1": ("won", 150.0, "bo", "acme"), "d3": ("prospect", 60.0, "bo", "initech")}),
    ],
)
def test_deals_read_as_of_each_version(
    store: Any, version: int, expected: dict[str, tuple[Any, ...]]
) -> None:
    """Stage, amount and owner as each version held them; untracked columns as stored; d2 is
    back before its deletion (its account unknown: it is no longer stored), d3 absent before
    it was created."""
    assert _deals(at(store, version=version)) == expected


def test_dates_read_like_the_versions_in_force_then(store: Any) -> None:
    """Before the first version, the row seeded from the stage history is in force."""
    assert _deals(at(store, when=datetime(2024, 1, 5)))["d1"] == ("lead", 90.0, "ada", "acme")
    assert _deals(at(store, when=datetime(2024, 2, 1))) == _deals(at(store, version=1))
    assert _deals(at(store, when=datetime(2024, 3, 1))) == _deals(at(store, version=2))
    assert set(_deals(at(store, when=datetime(2024, 3, 11)))) == {"d1", "d3"}


def test_reps_teams_read_as_they_were_and_other_tables_pass_through(store: Any) -> None:
    def teams(backend: Any) -> dict[str, str]:
        frame = backend.execute(backend.table("reps"))
        return dict(zip(frame["rep_id"], frame["team_id"], strict=True))

    assert teams(at(store, version=2)) == {"ada": "east", "bo": "east"}
    assert teams(at(store, when=datetime(2024, 3, 11))) == {"ada": "east", "bo": "west"}
    past = at(store, version=1)
    assert past.table("teams") is store.table("teams")
    assert past.stored_table("opportunities") is store.stored_table("opportunities")


def test_a_store_without_history_reads_as_today() -> None:
    backend = connect(":memory:")
    try:
        _fill(raw_duckdb(backend), history=False)
        today = _deals(backend)
        assert _deals(at(backend, version=1)) == today
        assert _deals(at(backend, when=datetime(2024, 1, 1))) == today
        # Plain reads: the view is the stored table itself, no join added.
        assert (
            at(backend, version=1)
            .table("opportunities")
            .equals(backend.stored_table("opportunities"))
        )
    finally:
        backend.disconnect()


@contextmanager
def _changed(*changes: str) -> Iterator[Any]:
    """The store of the module's table after `changes` (SQL)."""
    backend = connect(":memory:")
    try:
        con = raw_duckdb(backend)
        _fill(con, history=True)
        for change in changes:
            con.execute(change)
        yield backend
    finally:
        backend.disconnect()


def _credited_owners(*changes: str) -> dict[str, str]:
    """Each stored deal's owner as the analysis view credits it, after `changes` (SQL) to the
    store of the module's table."""
    with _changed(*changes) as backend:
        deals = backend.execute(backend.table("opportunities"))
        return dict(zip(deals["opportunity_id"], deals["owner_rep_id"], strict=True))


def test_a_closed_deal_is_credited_to_its_owner_at_close_time() -> None:
    """d1 closed on 5 March while bo owned it; reassigned to ada since, it stays bo's."""
    owners = _credited_owners(
        "UPDATE opportunities SET owner_rep_id = 'ada' WHERE opportunity_id = 'd1'",
        "UPDATE attain_opportunity_history SET version_to = 4, valid_to = '2024-04-10' "
        "WHERE opportunity_id = 'd1' AND version_from = 3",
        "INSERT INTO attain_opportunity_history (opportunity_id, version_from, valid_from, "
        "deleted, owner_rep_id, stage, amount, closed_at, is_won) VALUES "
        "('d1', 4, '2024-04-10', false, 'ada', 'won', 150, '2024-03-05', true)",
    )
    assert owners == {"d1": "bo", "d3": "bo"}


def test_a_deal_closed_before_its_history_is_credited_by_its_first_row() -> None:
    """d3 was won on 20 January, before its first history row (10 February, ada's; bo's from 10
    March) and is stored as ada's: the first row's owner, ada's, stays. d1, stored as ada's too
    but closed on 5 March while bo owned it, goes to bo."""
    owners = _credited_owners(
        "UPDATE opportunities SET owner_rep_id = 'ada', closed_at = '2024-01-20', "
        "is_won = true, stage = 'won' WHERE opportunity_id = 'd3'",
        "UPDATE opportunities SET owner_rep_id = 'ada' WHERE opportunity_id = 'd1'",
        "UPDATE attain_opportunity_history SET owner_rep_id = 'ada' "
        "WHERE opportunity_id = 'd3' AND version_from = 2",
    )
    assert owners == {"d1": "bo", "d3": "ada"}


def test_the_forecast_history_knows_each_week_the_stage_and_owner_the_imports_saw(
    store: Any,
) -> None:
    """No stage history was exported: the stages come from the versions that showed them."""
    history = load_history(store)

    def seen(day: str) -> tuple[list[str], str]:
        known = known_at(history, pd.Timestamp(day))
        stages = known.stages.loc[known.stages["opportunity_id"] == "d1", "stage"].tolist()
        owners = known.deals.set_index("opportunity_id")["owner_rep_id"]
        return stages, str(owners["d1"])

    assert seen("2024-02-01") == (["prospect"], "ada")
    assert seen("2024-02-15") == (["prospect", "proposal"], "bo")


def test_the_backtest_sees_a_deleted_deal_until_its_deletion(store: Any) -> None:
    """d2 was open from 5 January until the export of 10 March left it out: past weeks count
    it in the open pipeline, with its owner and amount then; later weeks and bookings do not."""
    history = load_history(store)

    def open_deals(day: str) -> dict[str, float]:
        rows = open_at(history, [pd.Timestamp(day)])
        return dict(zip(rows["opportunity_id"], rows["value"], strict=True))

    assert open_deals("2024-01-20") == {"d1": 100.0, "d2": 80.0}
    assert "d2" in set(known_at(history, pd.Timestamp("2024-03-09")).deals["opportunity_id"])
    assert "d2" not in set(known_at(history, pd.Timestamp("2024-03-11")).deals["opportunity_id"])
    assert open_deals("2024-03-11") == {"d3": 60.0}
    quarter = booked(history, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-01"))
    assert quarter.to_dict() == {"bo": 150.0}


def test_the_backtest_values_an_open_deal_at_the_amount_each_version_saw(store: Any) -> None:
    """d3 stayed in prospect while it grew from 40 to 60 (v3, 10 March): no stage entry says
    so, the data versions do."""
    history = load_history(store)

    def value(day: str) -> float:
        rows = open_at(history, [pd.Timestamp(day)]).set_index("opportunity_id")
        return float(rows.at["d3", "value"])

    assert value("2024-02-20") == 40.0
    assert value("2024-03-20") == 60.0


@pytest.mark.parametrize(
    ("changes", "unnamed"),
    [
        # d1's rows name ada before bo, its stored owner; d2's deal is no longer stored.
        ((), {"d1", "d2"}),
        # Only d3 left, every row naming bo: the read finds nothing, and neither the deals'
        # view nor the forecast's owner spans join the history again.
        (("DELETE FROM attain_opportunity_history WHERE opportunity_id <> 'd3'",), set()),
    ],
)
def test_one_read_of_the_history_tells_the_view_and_the_forecast_whose_rows_to_read(
    changes: tuple[str, ...], unnamed: set[str]
) -> None:
    """The deals whose rows do not all name their stored owner are read once per store
    (`backend.unnamed_owners()`); the deals' view and the forecast's owner spans are the ones
    each finds by its own join."""
    with _changed(*changes) as backend:
        found = backend.unnamed_owners()
        assert set(found) == unnamed
        stored = backend.stored_table
        views = [
            backend.execute(credited_at_close(stored, stored("opportunities"), known))
            for known in (found, None)
        ]
        pd.testing.assert_frame_equal(*views)
        spans = load_history(backend).owner_spans
        backend.unnamed_owners = lambda: None  # each its own join, as a past version's reading
        pd.testing.assert_frame_equal(spans, load_history(backend).owner_spans)
        assert spans.empty == (not unnamed)
