"""Win probability of open deals, trained on the demo's own closed deals."""

from __future__ import annotations

import pytest
from leads_support import Demo

from attain.errors import InputError
from attain.leads.win_probability import closed_deals, open_deals, win_model, win_probabilities


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
