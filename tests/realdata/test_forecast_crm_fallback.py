"""The forecast on a real Salesforce export without stage history (issue 19): the CRM's own
weighted pipeline shows beside Attain's, and each open deal's CRM probability and amount stand
in for the win model, so the open pipeline adds to the forecast instead of counting as lost.

The expected weighted pipeline is computed here from Opportunity.csv with pandas: open deals
(IsClosed empty) whose CloseDate falls in the quarter, Σ Amount × Probability / 100. The export
has one currency (no CurrencyIsoCode column), so no conversion is needed. In 2024-Q1 (the data's
last day, 2024-01-23) every open deal closing in the quarter has probability 0; in 2024-Q2
three Qualification deals at 10% give 255,762.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from realdata_support import dataset, imported
from typer.testing import CliRunner

from attain.cli.main import app
from attain.metrics.periods import quarter_of

pytestmark = pytest.mark.realdata

NAME = "salesforce_datacloud"
LAST_DAY = date(2024, 1, 23)


def crm_weighted(period_day: date) -> float:
    deals = pd.read_csv(dataset(NAME) / "Opportunity.csv", encoding="utf-8-sig")
    quarter = quarter_of(period_day)
    due = pd.to_datetime(deals["CloseDate"]).dt.date
    open_in_quarter = deals["IsClosed"].isna() & (due >= quarter.start) & (due <= quarter.end)
    chosen = deals.loc[open_in_quarter]
    return float((chosen["Amount"] * chosen["Probability"] / 100).sum())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported(tmp_path_factory.mktemp("sf"), NAME, "salesforce")


def forecast_json(store: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["forecast", "--db", str(store), "-f", "json", *extra])
    assert result.exit_code == 0, result.output
    found: dict = json.loads(result.output)
    return found


@pytest.mark.parametrize("as_of", [None, date(2024, 5, 1)])
def test_the_crm_weighted_pipeline_is_shown_as_the_crm_computes_it(
    store: Path, as_of: date | None
) -> None:
    found = forecast_json(store, *(["--as-of", str(as_of)] if as_of else []))
    expected = crm_weighted(as_of or date(2024, 1, 23))
    assert found["crm"]["weighted_pipeline"] == pytest.approx(expected, rel=0.01, abs=1.0)
    assert (expected > 0) == (as_of is not None)  # Q1's open deals closing in it are all at 0%


def test_the_p50_includes_the_open_pipeline_at_its_crm_probability(store: Path) -> None:
    found = forecast_json(store, "--as-of", "2024-05-01")
    company = found["rows"][0]
    assert found["method"] == "crm probability"
    assert "no stage history" in found["method_note"]
    # Every open deal keeps its own amount (no longer one imputed value for all) and stage.
    deals = {deal["opportunity_id"]: deal for deal in found["deals"]}
    assert deals["006Ec00000AieKOIAZ"]["value"] == pytest.approx(1604899.94)
    assert deals["006Ec00000AieKOIAZ"]["stage"] == "Qualification"
    # Open deals expected to close by the quarter's end: the Q2 ones at 10% and one overdue
    # Qualification deal (CloseDate 2023-12-11) at 10%.
    assert company["expected_open"] == pytest.approx(crm_weighted(date(2024, 5, 1)) + 160489.994)
    assert company["p50"] > company["booked"] + company["expected_new"] * 0.5
    assert company["mean"] == pytest.approx(
        company["booked"] + company["expected_open"] + company["expected_new"], rel=0.05
    )


def test_forecast_takes_a_flat_target_as_report_does(store: Path) -> None:
    found = forecast_json(store, "--target", "1000000")
    assert found["target_source"] == "flat target of 1,000,000 per rep"
    assert found["rows"][0]["target"] == 1_000_000
    assert found["rows"][0]["chance_of_target"] is not None


def test_without_the_crm_probabilities_the_open_pipeline_would_count_as_lost(store: Path) -> None:
    """On the data's last day no past window holds an open deal (every deal was created on
    2024-01-22), so without the CRM's probabilities the open deals would count as lost."""
    from attain.config import load_settings
    from attain.forecast.crm_pipeline import open_crm_deals
    from attain.forecast.forecast import forecast_period
    from attain.forecast.history import load_history
    from attain.store import connect

    settings = load_settings()
    backend = connect(str(store), read_only=True)
    try:
        history, crm = load_history(backend), open_crm_deals(backend, LAST_DAY)
    finally:
        backend.disconnect()
    quarter = quarter_of(LAST_DAY)
    common = {
        "targets": {},
        "names": {},
        "zone": settings.performance.timezone,
        "settings": settings.forecast,
        "simulations": 4000,
    }
    with_crm = forecast_period(history, quarter, LAST_DAY, crm=crm, **common)
    without = forecast_period(history, quarter, LAST_DAY, **common)
    assert without.method == "no history"
    assert without.row("company").expected_open == 0
    # One open deal expected by the quarter's end has a probability: 1,604,899.94 at 10%
    # (Qualification, CloseDate 2023-12-11, overdue); every other one is at 0% or due later.
    assert with_crm.row("company").expected_open == pytest.approx(160_489.994)
    assert with_crm.row("company").p50 > without.row("company").p50
