"""The output formats of Attain's results, one enum for the command line and the web app.

Each command or route accepts only the formats it can write, named as a `Literal` of members,
e.g. `Literal[Format.TEXT, Format.JSON]`: Typer and FastAPI offer exactly those choices (and
list them in `--help` and the OpenAPI schema), and the value is still a `Format`.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """An output format."""

    TEXT = "text"
    """Tables on the terminal."""
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
