"""`attain` starts without loading the analysis libraries (#23 part 5): a command imports what it
needs when it runs, so `attain --help` and every command's start-up take a fraction of a second
instead of the 4 s that importing SciPy, scikit-learn, Ibis, pandas and SQLAlchemy took."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "alembic",
    "altair",
    "duckdb",
    "fastapi",
    "ibis",
    "jinja2",
    "lightgbm",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "sklearn",
    "sqlalchemy",
    "starlette",
)
"""Libraries a command loads when it runs, never when `attain` starts."""

LOADED = f"""
import json, sys
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({list(HEAVY)!r}))))
"""


def heavy_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter holds after running `code`."""
    result = subprocess.run(
        [sys.executable, "-c", code + LOADED], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_importing_the_command_line_loads_no_analysis_library() -> None:
    assert heavy_after("import attain.cli.main") == []


def test_every_commands_help_loads_no_analysis_library() -> None:
    """Typer reads every command's signature (its options' types and defaults) to build the
    help; none of them may need a heavy module."""
    walk = """
import click, typer.main
from attain.cli.main import app

def visit(command, context):
    command.get_help(context)
    if isinstance(command, click.Group):
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            visit(sub, click.Context(sub, parent=context, info_name=name))

root = typer.main.get_command(app)
visit(root, click.Context(root, info_name="attain"))
"""
    assert heavy_after(walk) == []


def test_help_texts_written_out_agree_with_the_core() -> None:
    """Defaults that `--help` shows without importing their heavy home module."""
    from attain.cli.forecast import HELP_WEEKS
    from attain.cli.imports import HELP_MEMORY_LIMIT, PRESET_NAMES
    from attain.forecast.backtest import WEEKS
    from attain.ingest.importer import IMPORT_MEMORY_LIMIT
    from attain.ingest.presets import PRESETS

    assert tuple(PRESETS) == PRESET_NAMES
    assert HELP_MEMORY_LIMIT == IMPORT_MEMORY_LIMIT
    assert ",".join(str(week) for week in WEEKS) == HELP_WEEKS


def test_loading_the_settings_loads_no_analysis_library() -> None:
    """Every command loads the settings first; each package's settings module holds only its
    settings, apart from the code that uses them."""
    assert heavy_after("from attain.config import load_settings\nload_settings()") == []
