"""The change record between two data versions of the hand-built history (history_support.py).

Between versions 1 and 2, by hand:

| kind        | deals      | money                       |
|-------------|------------|-----------------------------|
| created     | D8         | 800                         |
| moved stage | D3         | 350 (Qualify → Proposal)    |
| pulled in   | D2         | 200                         |
| pushed out  | D1         | 100                         |
| resized     | D3         | +50 (D4's 420 at its win is no resize) |
| won         | D4         | 420                         |
| lost        | D5         | 500                         |
| deleted     | D6         | 600                         |
| reassigned  | D7         | 700 (r1 → r3)               |

and r2 moved from team A to team B.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from history_support import build_store, deal, write_history

from attain.errors import InputError
from attain.history.changes import ChangeKind, changes
from attain.store import connect, raw_duckdb

EXPECTED = {
    ChangeKind.CREATED: (["D8"], 800.0),
    ChangeKind.MOVED_STAGE: (["D3"], 350.0),
    ChangeKind.PULLED_IN: (["D2"], 200.0),
    ChangeKind.PUSHED_OUT: (["D1"], 100.0),
    ChangeKind.RESIZED: (["D3"], 50.0),
    ChangeKind.WON: (["D4"], 420.0),
    ChangeKind.LOST: (["D5"], 500.0),
    ChangeKind.DELETED: (["D6"], 600.0),
    ChangeKind.REASSIGNED: (["D7"], 700.0),
}


@pytest.fixture(scope="module")
def backend(history_db: str) -> Iterator[Any]:
    opened = connect(history_db, read_only=True)
    yield opened
    opened.disconnect()


@pytest.mark.parametrize(
    ("since", "until"),
    [(1, 2), (date(2026, 10, 1), date(2026, 10, 7)), (datetime(2026, 10, 3), 2)],
    ids=["versions", "days", "instant-and-version"],
)
def test_change_record_between_versions_or_dates_matches_the_hand_computation(
    backend: Any, since: Any, until: Any
) -> None:
    record = changes(backend, since, until)
    for kind, (deals, money) in EXPECTED.items():
        assert [c.opportunity_id for c in record.of(kind)] == deals, kind
        assert record.total(kind).deals == len(deals)
        assert record.total(kind).amount == pytest.approx(money), kind
    assert [(r.rep_id, r.team_before, r.team_after) for r in record.reps] == [("r2", "A", "B")]


def test_each_change_says_what_it_was_before_and_after(backend: Any) -> None:
    record = changes(backend, 1, 2)
    pushed = record.of(ChangeKind.PUSHED_OUT)[0]
    assert (pushed.before, pushed.after) == ("2026-11-15", "2027-01-20")
    moved = record.of(ChangeKind.REASSIGNED)[0]
    assert (moved.before, moved.after, moved.owner_rep_id) == ("r1", "r3", "r3")
    assert [c.amount for c in record.of(ChangeKind.RESIZED)] == [50.0]


def test_up_to_the_latest_version_a_deal_created_and_won_between_is_both(backend: Any) -> None:
    record = changes(backend, 2)
    assert [c.opportunity_id for c in record.of(ChangeKind.CREATED)] == ["D10"]
    assert [c.opportunity_id for c in record.of(ChangeKind.WON)] == ["D10"]
    assert record.total(ChangeKind.WON).amount == 1000.0
    assert record.until is None
    assert len(record.deals) == 2 and record.reps == []


def test_no_change_between_a_version_and_itself(backend: Any) -> None:
    record = changes(backend, 3, 3)
    assert record.deals == [] and record.reps == []


def test_an_unknown_version_is_a_one_line_error(backend: Any) -> None:
    with pytest.raises(InputError, match="no data version 9"):
        changes(backend, 9)


def test_a_deal_in_another_currency_counts_in_the_corporate_one(tmp_path: Path) -> None:
    """D11, created in version 2 at 800 EUR, with 0.8 EUR to the corporate USD: 1,000 USD."""
    location = build_store(tmp_path / "store.duckdb")
    backend = connect(location)
    con = raw_duckdb(backend)
    con.execute(
        "INSERT INTO fx_rates VALUES ('USD', DATE '2026-01-01', 1.0, true), "
        "('EUR', DATE '2026-01-01', 0.8, false)"
    )
    write_history(con, {2: {"D11": deal(800, currency="EUR")}})
    try:
        record = changes(backend, 1, 2)
    finally:
        backend.disconnect()
    assert record.currency == "USD"
    created = {c.opportunity_id: c.amount for c in record.of(ChangeKind.CREATED)}
    assert created == {"D8": 800.0, "D11": pytest.approx(1000.0)}


def test_by_default_the_record_is_what_the_latest_import_changed(backend: Any) -> None:
    record = changes(backend)
    assert [(c.kind, c.opportunity_id) for c in record.deals] == [
        (ChangeKind.CREATED, "D10"),
        (ChangeKind.WON, "D10"),
    ]
