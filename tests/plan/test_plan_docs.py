"""docs/plan.md documents every plan setting with its default, and every override kind."""

from pathlib import Path

from attain.appdb.models import OverrideKind
from attain.plan.plan import LEVERS
from attain.plan.settings import PlanSettings

DOC = (Path(__file__).parents[2] / "docs" / "plan.md").read_text()


def test_every_setting_has_a_row_with_its_default() -> None:
    defaults = PlanSettings()
    for name in PlanSettings.model_fields:
        assert f"| `{name}` | {getattr(defaults, name)} |" in DOC, name


def test_every_override_kind_is_documented() -> None:
    for kind in OverrideKind:
        assert f"| `{kind.value}` |" in DOC, kind


def test_every_lever_is_documented() -> None:
    for lever in LEVERS:
        assert f"| `{lever}` |" in DOC, lever
