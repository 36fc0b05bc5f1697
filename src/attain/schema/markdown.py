"""Render the canonical schema as Markdown, so docs/schema.md cannot drift from the code."""

from __future__ import annotations

from attain.schema.model import Column, Table
from attain.schema.tables import TABLES


def schema_markdown() -> str:
    """One section per table: key, row rules and a table of its columns."""
    return "\n".join(_table_section(table) for table in TABLES.values())


def _table_section(table: Table) -> str:
    lines = [
        f"### `{table.name}.csv`",
        "",
        table.description,
        "",
        f"Key: {', '.join(f'`{part}`' for part in table.key)}.",
    ]
    if table.rules:
        lines.append(
            "Rows are rejected when: " + "; ".join(rule.reason for rule in table.rules) + "."
        )
    lines += [
        "",
        "| column | type | required | empty allowed | checks | description |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_column_row(column) for column in table.columns]
    return "\n".join(lines) + "\n"


def _column_row(column: Column) -> str:
    checks = []
    if column.allowed:
        checks.append("one of " + ", ".join(f"`{value}`" for value in column.allowed))
    if column.min_value is not None:
        checks.append(f"≥ {column.min_value:g}")
    if column.references:
        checks.append(f"in `{column.references}`")
    cells = (
        f"`{column.name}`",
        column.type.value,
        "yes" if column.required else "",
        "" if not column.nullable else "yes",
        "; ".join(checks),
        column.description,
    )
    return "| " + " | ".join(cells) + " |"
