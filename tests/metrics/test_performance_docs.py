"""docs/performance.md documents every performance setting."""

from pathlib import Path

from attain.metrics.settings import PerformanceSettings

DOC = (Path(__file__).parents[2] / "docs" / "performance.md").read_text()


def test_every_setting_has_a_row_in_the_settings_table() -> None:
    for name in PerformanceSettings.model_fields:
        assert f"| `{name}` |" in DOC, name
