"""Win probability of open deals, trained on the demo's own closed deals."""

from __future__ import annotations

from typing import Any

import pytest
from leads_support import Demo

from attain.errors import InputError
from attain.leads.win_probability import (
    closed_deals,
    open_deals,
    owner_record,
    win_model,
    win_probabilities,
)
from attain.store import raw_duckdb


def test_the_win_model_uses_only_fields_known_when_a_deal_opens(demo: Demo) -> None:
    model = win_model(demo.backend, demo.truth.as_of)
    assert not {"closed_at", "is_won", "stage"} & set(model.card.features)
    assert model.card.split.startswith("time-based on created_at")
    assert model.card.roc_auc > 0.6


def test_every_open_deal_gets_a_probability_and_reasons(demo: Demo) -> None:
    scored = win_probabilities(demo.backend, demo.truth.as_of)
    assert len(scored) == len(open_deals(demo.backend, demo.truth.as_of)) > 0
    assert scored["probability"].between(0, 1).all()
    assert scored["reasons"].str.len().gt(0).all()


def test_too_little_history_is_a_clear_error(demo: Demo) -> None:
    first = closed_deals(demo.backend, demo.truth.as_of)["created_at"].min().date()
    with pytest.raises(InputError, match="a win model needs at least"):
        win_model(demo.backend, first)


def test_the_owner_record_counts_only_deals_closed_before_a_deal_opened(store: Any) -> None:
    con = raw_duckdb(store)
    con.execute("INSERT INTO reps (rep_id, name, role) VALUES ('R1', 'Ray', 'rep')")
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, stage, created_at, closed_at, "
        "is_won, amount) VALUES "
        "('O1', 'R1', 'Won', '2025-01-01', '2025-02-01 10:00', true, 10), "
        "('O2', 'R1', 'Lost', '2025-01-02', '2025-03-01 10:00', false, 0), "
        "('O3', 'R1', 'Open', '2025-03-01 10:00', NULL, NULL, 5), "
        "('O4', 'R1', 'Open', '2025-03-02', NULL, NULL, 5)"
    )
    record = store.execute(owner_record(store)).set_index("opportunity_id")
    assert record.loc["O1", "owner_closed_before"] == 0
    assert (record.loc["O3", "owner_won_before"], record.loc["O3", "owner_closed_before"]) == (1, 1)
    assert (record.loc["O4", "owner_won_before"], record.loc["O4", "owner_closed_before"]) == (1, 2)
    assert record.loc["O4", "owner_win_rate"] == 0.5
