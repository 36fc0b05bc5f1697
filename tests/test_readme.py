"""The README documents every setting and every command it promises."""

from pathlib import Path

from attain.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_starts_with_the_two_commands_for_a_fresh_machine() -> None:
    block = README.split("```")[1]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()[1:]] == [
        "make run",
        "make test",
    ]


def test_every_top_level_setting_is_in_the_readme_table() -> None:
    for name in Settings.model_fields:
        assert f"| `{name}` | `ATTAIN_{name.upper()}" in README, name
