"""docs/workflow.md documents every workflow setting with its default."""

from pathlib import Path

from attain.workflow.settings import WorkflowSettings

DOC = (Path(__file__).parents[2] / "docs" / "workflow.md").read_text()


def test_every_setting_has_a_row_with_its_default() -> None:
    defaults = WorkflowSettings()
    for name in WorkflowSettings.model_fields:
        assert f"| `{name}` | {getattr(defaults, name)} |" in DOC, name
