"""docs/forecast.md documents every forecast setting with its default."""

from pathlib import Path

from attain.forecast.settings import ForecastSettings

DOC = (Path(__file__).parents[2] / "docs" / "forecast.md").read_text()


def test_every_setting_has_a_row_with_its_default() -> None:
    defaults = ForecastSettings()
    for name in ForecastSettings.model_fields:
        assert f"| `{name}` | {getattr(defaults, name)} |" in DOC, name


def test_the_backtest_results_section_is_there_to_fill_in() -> None:
    assert "\n## Backtest results\n" in DOC
