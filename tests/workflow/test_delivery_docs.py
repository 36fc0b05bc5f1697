"""docs/workflow.md shows the week (#25): every [delivery] setting with its default, and the
commands it tells users to run exist."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from attain.cli.main import app
from attain.workflow.delivery.settings import DeliverySettings

DOC = (Path(__file__).parents[2] / "docs" / "workflow.md").read_text()


def test_the_week_lists_every_delivery_setting_with_its_default() -> None:
    assert "## The week: what arrives when" in DOC
    defaults = DeliverySettings()
    for name in DeliverySettings.model_fields:
        assert f"| `{name}` | {getattr(defaults, name)} |" in DOC, name


def test_the_commands_the_week_names_exist() -> None:
    for command in ("send", "schedule", "alerts"):
        assert f"attain digest {command}" in DOC
        result = CliRunner().invoke(app, ["digest", command, "--help"])
        assert result.exit_code == 0, result.output
