"""Raw lead files: the separator sniffed, placeholders missing, giveaway columns flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attain.errors import InputError
from attain.leads.label_leaks import (
    after_outcome_name,
    kept_and_excluded,
    label_leaks,
    read_lead_csv,
    single_column_auc,
)


def leads(rows: int = 400) -> pd.DataFrame:
    """`won` is random; `copy` is `won` written as words (a giveaway under a harmless name),
    `lead_id` differs on every row, `channel` is noise and `Lead Status` is flagged by name."""
    rng = np.random.default_rng(3)
    won = rng.integers(0, 2, rows)
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(rows)],
            "channel": rng.choice(["web", "event", "Select"], rows),
            "copy": np.where(won == 1, "paid", "none yet"),
            "Lead Status": rng.choice(["open", "closed"], rows),
            "won": won,
        }
    )


def test_a_semicolon_file_is_read_without_sep_and_select_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    leads().to_csv(path, sep=";", index=False)
    frame = read_lead_csv(path)
    assert list(frame.columns) == ["lead_id", "channel", "copy", "Lead Status", "won"]
    assert "Select" not in set(frame["channel"].dropna())
    assert frame["channel"].isna().sum() == (leads()["channel"] == "Select").sum()


def test_a_copy_of_the_label_and_a_status_are_flagged_an_id_is_not() -> None:
    flagged = label_leaks(leads(), "won")
    assert set(flagged) == {"copy", "Lead Status"}
    assert flagged["copy"].startswith("alone predicts won with ROC AUC 1.000")
    assert flagged["Lead Status"] == "the name says it is known after the outcome ('status')"


def test_an_id_alone_predicts_nothing_out_of_fold() -> None:
    frame = leads()
    assert single_column_auc(frame["lead_id"], frame["won"].to_numpy()) < 0.6


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("Last Notable Activity", "last notable activity"),
        ("Lead Quality", "quality"),
        ("duration", "duration"),
        ("poutcome", None),
        ("Total Time Spent on Website", None),
    ],
)
def test_names_known_after_the_outcome(name: str, word: str | None) -> None:
    assert after_outcome_name(name) == word


def test_keep_uses_a_flagged_column_and_refuses_an_unflagged_one() -> None:
    flagged = {"Tags": "the name says it is known after the outcome ('tags')"}
    assert kept_and_excluded(flagged, ["Tags"], ["noise"]) == (["noise"], {})
    assert kept_and_excluded(flagged, [], []) == (["Tags"], flagged)
    with pytest.raises(InputError, match="--keep City: not flagged"):
        kept_and_excluded(flagged, ["City"], [])
