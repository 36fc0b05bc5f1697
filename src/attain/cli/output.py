"""Where a command's result goes: the terminal or `--output`, as a rich text view or as
rendered JSON, CSV, Markdown or HTML."""

from __future__ import annotations

import io
from pathlib import Path

import typer
from rich.console import Console


def text_console(output: Path | None, *, width: int = 120, highlight: bool = True) -> Console:
    """A console for a text view, recording when it goes to a file.

    Written to a file or a pipe it is at least `width` columns wide: rich would otherwise take
    80 and wrap the tables' columns."""
    # Written to a file, the view goes there instead of the terminal (the options say so):
    # the console records into a buffer no one shows.
    console = Console(
        record=output is not None, highlight=highlight, file=io.StringIO() if output else None
    )
    if output is not None or not console.is_terminal:
        console.width = max(console.width, width)
    return console


def finish(console: Console, output: Path | None) -> None:
    """Write what the console recorded to `output`, if given."""
    if output is not None:
        output.write_text(console.export_text())


def write(rendered: str, output: Path | None) -> None:
    """Rendered JSON, CSV, Markdown or HTML to the terminal or `output`."""
    if output is None:
        typer.echo(rendered, nl=not rendered.endswith("\n"))
    else:
        output.write_text(rendered)
