"""Column maps: a TOML file saying how any CRM export maps onto the canonical tables.

The format is documented in docs/column-maps.md; `attain map suggest` writes a first draft and
the `map` preset (attain.ingest.presets.column_map) reads it. This module only parses and
checks the file, so that every mistake is reported with the map file and the key at fault.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from attain.errors import InputError
from attain.schema import TABLES

Scalar = str | int | float | bool
"""A value a map may write into a canonical column (a constant, a value-map target)."""

Aliases = list[str]
"""Names one source column may have (a CRM's label, its API name); the first present wins."""

OUTCOMES = {"won": "true", "true": "true", "lost": "false", "false": "false", "open": None}
"""What `opportunities.is_won` value maps may say: won, lost or open (empty)."""

CATCH_ALL = "*"
"""Value-map key for every value not listed."""


def _aliases(value: Any) -> Any:
    """'Deal Stage' -> ['Deal Stage']; lists are kept as they are."""
    return [value] if isinstance(value, str) else value


def _alias_lists(value: Any) -> Any:
    """'A' -> [['A']]; ['A', ['B', 'b']] -> [['A'], ['B', 'b']]: several columns, each aliased."""
    if isinstance(value, str):
        return [[value]]
    if isinstance(value, list):
        return [_aliases(item) for item in value]
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnRule(_Strict):
    """How one canonical column is filled: from source columns, a constant or a generated id."""

    column: Aliases = Field(default_factory=list)
    """Source column(s): `column = "Deal Stage"` or aliases `["Deal Stage", "dealstage"]`."""
    value: Scalar | None = None
    """A constant for every row (`role = { value = "rep" }`)."""
    hash: list[Aliases] = Field(default_factory=list)
    """A generated id: a hash of these source columns (stable while their values are)."""
    row: bool = False
    """A generated id: `<file stem>-<row number>` (changes when the export's order does)."""
    prefix: str = ""
    """Text put before a generated id."""
    fallback: list[Aliases] = Field(default_factory=list)
    """Source columns used, in order, where the first is empty; counted in a note."""
    values: dict[str, Scalar] = Field(default_factory=dict)
    """A value map, matched case-insensitively; `"*"` catches every value not listed."""
    unmapped: Literal["keep", "reject", "empty"] = "keep"
    """What becomes of values the value map does not list (without a `"*"` entry)."""
    default: Scalar | None = None
    """The value where the source cell (and every fallback) is empty."""
    date_format: str | None = None
    """A strptime layout for this column (and its fallbacks), e.g. `%d/%m/%Y`."""
    optional: bool = False
    """The source column may be absent from a file; the canonical column is then absent too."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """`stage = "Deal Stage"` and `stage = ["Deal Stage", "dealstage"]` name the column."""
        if isinstance(data, str | list):
            return {"column": _aliases(data)}
        if isinstance(data, dict):
            data = dict(data)
            if "column" in data:
                data["column"] = _aliases(data["column"])
            for key in ("hash", "fallback"):
                if key in data:
                    data[key] = _alias_lists(data[key])
        return data

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnRule:
        origins = [
            name
            for name, given in (
                ("column", bool(self.column)),
                ("value", self.value is not None),
                ("hash", bool(self.hash)),
                ("row", self.row),
            )
            if given
        ]
        if len(origins) != 1:
            raise ValueError(
                "give exactly one of column, value, hash or row "
                f"(found {', '.join(origins) or 'none'})"
            )
        if self.fallback and not self.column:
            raise ValueError("fallback needs a column to fall back from")
        lowered = [key.strip().lower() for key in self.values]
        repeated = sorted({key for key in lowered if lowered.count(key) > 1})
        if repeated:
            raise ValueError(f"values lists {', '.join(repeated)} twice (keys ignore case)")
        if self.date_format is not None and "%" not in self.date_format:
            raise ValueError(f"date_format {self.date_format!r} has no % directive, e.g. %Y-%m-%d")
        return self

    def sources(self) -> list[Aliases]:
        """Every source column the rule reads: the column, then its fallbacks."""
        return [self.column, *self.fallback] if self.column else []


class SkipRule(_Strict):
    """Rows to leave out, e.g. a header row the CRM repeated inside the file."""

    column: Aliases
    values: list[str]
    """Trimmed cell values (case-insensitive) that make a row skipped."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "column" in data:
            data = {**data, "column": _aliases(data["column"])}
        if isinstance(data, dict) and isinstance(data.get("values"), str):
            data = {**data, "values": [data["values"]]}
        return data


class TableMap(_Strict):
    """Which files feed one canonical table and how each of its columns is filled."""

    files: list[str] = Field(default_factory=lambda: ["*"])
    """File-name patterns (`deals*.csv`, case-insensitive); default: every file given."""
    rows: Literal["each", "distinct"] = "each"
    """`each`: a row per file row; `distinct`: a row per distinct key (reps from an owner column),
    made from the first file row carrying that key."""
    date_format: str | None = None
    """Layout of this table's date columns, unless a column gives its own."""
    skip: list[SkipRule] = Field(default_factory=list)
    columns: dict[str, ColumnRule] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("files"), str):
            data = {**data, "files": [data["files"]]}
        return data

    def matches(self, path: Path) -> bool:
        """Whether the file's name fits one of the `files` patterns."""
        name = path.name.lower()
        return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in self.files)


class ColumnMap(_Strict):
    """A whole map file: a default date layout and one TableMap per canonical table."""

    path: Path
    date_format: str | None = None
    tables: dict[str, TableMap]

    def where(self, *keys: str) -> str:
        """`map.toml: opportunities.columns.stage`, for messages about one key of the map."""
        return f"{self.path}: {'.'.join(keys)}"


def load_map(path: Path) -> ColumnMap:
    """Read and check a column map; InputError naming the file and the key at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such column map") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from error
    return parse_map(data, path)


def parse_map(data: dict[str, Any], path: Path) -> ColumnMap:
    """Check parsed TOML against the format and the canonical schema."""
    options = {key: data[key] for key in ("date_format",) if key in data}
    unknown = [key for key in data if key not in options and key not in TABLES]
    if unknown:
        raise InputError(
            f"{path}: {unknown[0]}: not a canonical table or map option; tables are "
            f"{', '.join(TABLES)} (docs/schema.md)"
        )
    tables = {name: data[name] for name in TABLES if name in data}
    if not tables:
        raise InputError(f"{path}: maps no table; add e.g. [opportunities] (docs/column-maps.md)")
    try:
        column_map = ColumnMap(path=path, tables=tables, **options)
    except ValidationError as error:
        first = error.errors()[0]
        keys = [str(part) for part in first["loc"] if part != "tables"]
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        message = message.removeprefix("Value error, ")
        raise InputError(f"{path}: {'.'.join(keys)}: {message}") from error
    for name, table in column_map.tables.items():
        _check_table(column_map, name, table)
    return column_map


def _check_table(column_map: ColumnMap, name: str, table: TableMap) -> None:
    spec = TABLES[name]
    for column, rule in table.columns.items():
        where = column_map.where(name, "columns", column)
        if column not in spec.column_names:
            raise InputError(
                f"{where}: {name} has no column {column!r}; its columns are "
                f"{', '.join(spec.column_names)}"
            )
        if column == "is_won":
            targets = {f"values.{key}": target for key, target in rule.values.items()}
            if rule.default is not None:
                targets["default"] = rule.default
            bad = [
                key
                for key, target in targets.items()
                if not isinstance(target, str | bool) or str(target).lower() not in OUTCOMES
            ]
            if bad:
                raise InputError(
                    f"{where}.{bad[0]}: is_won values are won, lost or open (or true and false)"
                )
    missing = [column for column in spec.required_columns if column not in table.columns]
    if missing:
        raise InputError(
            f"{column_map.where(name, 'columns')}: required column(s) {', '.join(missing)} "
            f"of {name} not mapped"
        )
    if table.rows == "distinct" and any(rule.row for rule in table.columns.values()):
        raise InputError(f"{column_map.where(name, 'rows')}: a distinct table cannot use row ids")


def literal(value: Scalar) -> str:
    """SQL text literal for a map value: true/false for booleans, numbers as written."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return "'" + text.replace("'", "''") + "'"
