"""docs/diagnosis.md documents every cause identifier and every diagnosis setting."""

from pathlib import Path

from pydantic import BaseModel

from attain.diagnosis.finding import CAUSES
from attain.diagnosis.settings import DiagnosisSettings

DOC = (Path(__file__).parents[2] / "docs" / "diagnosis.md").read_text()


def test_every_cause_identifier_is_documented() -> None:
    for cause in CAUSES:
        assert f"| `{cause}` |" in DOC, cause


def test_every_setting_has_a_row() -> None:
    defaults = DiagnosisSettings()
    for name in DiagnosisSettings.model_fields:
        value = getattr(defaults, name)
        if isinstance(value, BaseModel):
            for inner in type(value).model_fields:
                assert f"| `{name}.{inner}` |" in DOC, f"{name}.{inner}"
        else:
            assert f"| `{name}` |" in DOC, name
