"""Draft a column map (docs/column-maps.md) from the headers and values of any CRM export.

`attain map suggest FILES > map.toml` writes what this module guesses, commented: which
canonical table each file feeds, which header fills each canonical column (names matched with
synonyms and difflib, no training data), value-map skeletons for low-cardinality columns, the
date layout the samples use, repeated header rows to skip, and every header left unmapped.
A person is expected to read and edit the draft; every guess says so where it is made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path

import duckdb

from attain.ingest.presets.exports import text
from attain.ingest.readers import ROW, RawFile, ReadOptions, quote_ident, stage_file
from attain.ingest.sources import expand_paths
from attain.schema import TABLES, ColumnType

LOW_CARDINALITY = 20
"""Columns with at most this many distinct values get a value-map skeleton or a value list."""
MATCH_THRESHOLD = 0.8
"""Least name-match score for a header to be proposed for a canonical column."""
SAMPLES = 500
"""Values per column read to detect a date layout."""

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "opportunities": {
        "opportunity_id": ("opportunity id", "deal id", "record id", "item id", "id"),
        "owner_rep_id": (
            "owner",
            "owner code",
            "owner id",
            "deal owner",
            "rep",
            "sales rep",
            "agent",
            "sales agent",
            "salesperson",
            "assigned to",
        ),
        "account_id": (
            "account",
            "account id",
            "account name",
            "company",
            "company id",
            "client",
            "client code",
            "customer",
        ),
        "product_id": ("product", "product id", "product name", "product deal"),
        "lead_id": ("lead id",),
        "source": ("source", "lead source", "channel", "origin"),
        "created_at": (
            "created",
            "created date",
            "create date",
            "created at",
            "created on",
            "creation date",
            "date created",
            "engage date",
        ),
        "expected_close_date": (
            "expected close date",
            "tentative close date",
            "estimated close date",
            "target close date",
            "close date",
        ),
        "closed_at": (
            "actual close date",
            "close date actual",
            "close date (a)",
            "closed date",
            "closed at",
            "closed on",
            "date closed",
            "won date",
        ),
        "stage": ("stage", "deal stage", "pipeline stage", "stage name", "dealstage"),
        "is_won": ("status", "deal status", "is won", "won", "outcome", "result"),
        "amount": ("amount", "value", "deal value", "deal size", "deal amount", "close value"),
        "loss_reason": ("loss reason", "lost reason", "closed lost reason", "reason lost"),
        "currency": ("currency", "currency code", "currency iso code"),
        "probability": ("probability", "closure probability", "win probability", "likelihood"),
        "forecast_category": ("forecast category", "forecast category name"),
    },
    "reps": {
        "rep_id": ("rep id", "user id", "owner id", "employee id", "id"),
        "name": ("name", "full name", "user", "rep", "owner", "sales agent"),
        "email": ("email", "e-mail", "email address"),
        "team_id": ("team", "team id", "manager"),
        "role": ("role", "job role", "title"),
        "hire_date": ("hire date", "start date", "created date"),
    },
    "accounts": {
        "account_id": ("account id", "company id", "client id", "client code", "id"),
        "name": ("name", "account name", "company name", "account", "company"),
        "industry": ("industry", "sector", "vertical"),
        "employees": ("employees", "number of employees", "head count"),
        "annual_revenue": ("annual revenue", "revenue"),
        "country": ("country", "country region", "office location"),
    },
    "leads": {
        "lead_id": ("lead id", "contact id", "record id", "id"),
        "created_at": ("created", "create date", "created date", "first contact date"),
        "source": ("source", "lead source", "original source", "origin", "channel"),
        "campaign": ("campaign", "utm campaign"),
        "company": ("company", "company name"),
        "industry": ("industry", "sector"),
        "country": ("country", "country region"),
        "title": ("title", "job title"),
        "owner_rep_id": ("owner", "lead owner", "contact owner", "owner id"),
        "status": ("status", "lead status"),
    },
    "products": {
        "product_id": ("product id", "sku", "id"),
        "name": ("product", "product name", "name"),
        "family": ("family", "series", "category", "product family"),
        "list_price": ("price", "list price", "sales price", "unit price"),
    },
}
"""Header names seen for each canonical column in CRM exports, normalised (lower-case words)."""

FILE_HINTS = {
    "opportunities": ("deal", "opportunit", "pipeline"),
    "reps": ("user", "owner", "rep", "team", "agent"),
    "accounts": ("account", "compan", "client"),
    "leads": ("lead", "contact", "mql"),
    "products": ("product",),
}
"""Parts of a file name that suggest a table."""

DERIVED = {"owner_rep_id": "reps", "account_id": "accounts", "product_id": "products"}
"""Deal columns naming things that may have no file of their own: one row per distinct value."""

WON_WORDS = {"won", "closed won", "closedwon", "win", "signed", "booked", "success", "successful"}
LOST_WORDS = {
    "lost",
    "closed lost",
    "closedlost",
    "dead",
    "lose",
    "cancelled",
    "canceled",
    "rejected",
    "abandoned",
}
PROBABILITY_WORDS = {
    "very high": 0.9,
    "high": 0.75,
    "medium": 0.5,
    "mid": 0.5,
    "low": 0.25,
    "very low": 0.1,
}
"""A first guess for probability words; no CRM defines them, so the draft marks them."""

DATE_LAYOUTS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
)
"""Layouts tried, in order, on a date column's samples; the first that reads them all wins."""


@dataclass(frozen=True)
class ColumnProfile:
    """What the draft needs to know about one source column."""

    name: str
    filled: int
    distinct: int
    top: tuple[tuple[str, int], ...]
    """Every value with its count when there are at most LOW_CARDINALITY, else empty."""
    samples: tuple[str, ...]


@dataclass(frozen=True)
class FileProfile:
    """A file's columns and the rows that repeat its header."""

    path: Path
    raw: RawFile
    columns: tuple[ColumnProfile, ...]
    header_rows: tuple[int, ...]
    skip_column: str | None

    def column(self, name: str) -> ColumnProfile:
        """The profile of the column called `name`."""
        return next(column for column in self.columns if column.name == name)


@dataclass
class TableDraft:
    """What the draft proposes for one canonical table."""

    table: str
    files: list[FileProfile]
    matches: dict[str, str]
    """Canonical column -> header of the first file."""
    derived_from: list[str] = field(default_factory=list)
    """For rows = distinct tables: the headers they come from (owners of deals and leads)."""
    hashed: list[str] = field(default_factory=list)
    """Headers the generated key is a hash of."""
    lines: list[str] = field(default_factory=list)


def suggest_map(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> str:
    """A commented TOML column map for the files, to be checked and edited by a person."""
    profiles = [profile_file(con, path, options) for path in expand_paths(paths)]
    drafts: dict[str, TableDraft] = {}
    unplaced: list[Path] = []
    for file in profiles:
        table, matches = guess_table(file)
        if table is None:
            unplaced.append(file.path)
            continue
        draft = drafts.setdefault(table, TableDraft(table, [], matches))
        draft.files.append(file)
    if "opportunities" in drafts:
        _complete_outcomes(drafts["opportunities"])
    for column, table in DERIVED.items():
        naming = [d for d in drafts.values() if column in d.matches and not d.derived_from]
        if table not in drafts and naming:
            drafts[table] = TableDraft(
                table,
                [file for draft in naming for file in draft.files],
                {},
                derived_from=list(dict.fromkeys(draft.matches[column] for draft in naming)),
            )
    lines = _preamble(profiles)
    for name in TABLES:
        if name in drafts:
            lines += ["", *_table_lines(con, drafts[name])]
    if unplaced:
        lines += ["", "# No table guessed for these files; add a section by hand:"]
        lines += [f"#   {path.name}" for path in unplaced]
    return "\n".join(lines) + "\n"


# -- reading the files ----------------------------------------------------------------------


def profile_file(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions) -> FileProfile:
    """Stage the file and profile each column: fill, distinct values, samples."""
    raw = stage_file(con, path, options=options)
    header_rows, skip_column = _repeated_headers(con, raw)
    keep = f"{ROW} NOT IN ({', '.join(map(str, header_rows))})" if header_rows else "true"
    columns = tuple(_profile_column(con, raw, name, keep) for name in raw.columns)
    return FileProfile(path, raw, columns, header_rows, skip_column)


def _profile_column(
    con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, keep: str
) -> ColumnProfile:
    cell = text(quote_ident(name))
    counts = con.execute(
        f"SELECT count({cell}), count(DISTINCT {cell}) FROM {raw.relation} WHERE {keep}"
    ).fetchone()
    assert counts is not None
    filled, distinct = int(counts[0]), int(counts[1])
    top: tuple[tuple[str, int], ...] = ()
    if 0 < distinct <= LOW_CARDINALITY:
        top = tuple(
            (str(value), int(count))
            for value, count in con.execute(
                f"SELECT {cell} AS v, count(*) FROM {raw.relation} WHERE {keep} AND {cell} "
                "IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v"
            ).fetchall()
        )
    samples = tuple(
        str(value)
        for (value,) in con.execute(
            f"SELECT DISTINCT {cell} FROM {raw.relation} WHERE {keep} AND {cell} IS NOT NULL "
            f"LIMIT {SAMPLES}"
        ).fetchall()
    )
    return ColumnProfile(name, filled, distinct, top, samples)


def _repeated_headers(
    con: duckdb.DuckDBPyConnection, raw: RawFile
) -> tuple[tuple[int, ...], str | None]:
    """Rows where at least two cells equal their own column's name, and a column to skip them by.

    Board exports (monday.com groups, spreadsheets pasted together) repeat the header row inside
    the file; such a row is not a record.
    """
    same = [
        f"CASE WHEN lower(TRIM({quote_ident(name)})) = {_sql_text(name.strip().lower())} "
        "THEN 1 ELSE 0 END"
        for name in raw.columns
    ]
    if len(same) < 2:
        return (), None
    rows = tuple(
        int(row)
        for (row,) in con.execute(
            f"SELECT {ROW} FROM {raw.relation} WHERE {' + '.join(same)} >= 2 ORDER BY 1"
        ).fetchall()
    )
    if not rows:
        return (), None
    listed = ", ".join(map(str, rows))
    for name in raw.columns:
        hits = con.execute(
            f"SELECT count(*) FROM {raw.relation} WHERE {ROW} IN ({listed}) "
            f"AND lower(TRIM({quote_ident(name)})) = {_sql_text(name.strip().lower())}"
        ).fetchone()
        if hits is not None and hits[0] == len(rows):
            return rows, name
    return rows, None


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- matching names -------------------------------------------------------------------------


def normalise(name: str) -> str:
    """Lower-case words: 'Close Date (A)' -> 'close date a', 'dealStage' -> 'deal stage'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.strip())
    return " ".join(re.findall(r"[a-z0-9]+", spaced.lower()))


def name_score(header: str, synonyms: Iterable[str]) -> float:
    """How well a header fits a canonical column, 0 to 1.

    1 for a synonym, 0.7 to 0.95 when every word of a synonym is in the header (longer synonyms
    score higher: 'Masked Deal value' holds 'deal value'), else difflib's similarity ratio.
    """
    words = normalise(header)
    best = 0.0
    for synonym in synonyms:
        wanted = normalise(synonym)
        if words == wanted or words.replace(" ", "") == wanted.replace(" ", ""):
            return 1.0
        if set(wanted.split()) <= set(words.split()):
            best = max(best, 0.7 + 0.25 * len(wanted) / len(words))
        best = max(best, SequenceMatcher(None, words, wanted).ratio())
    return best


def match_columns(table: str, headers: Iterable[str]) -> dict[str, tuple[str, float]]:
    """Canonical column -> (header, score): best pairs first, each header used once."""
    pairs = sorted(
        (
            (name_score(header, synonyms), column, header)
            for column, synonyms in SYNONYMS[table].items()
            for header in headers
        ),
        key=lambda pair: -pair[0],
    )
    chosen: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    for score, column, header in pairs:
        if score >= MATCH_THRESHOLD and column not in chosen and header not in used:
            chosen[column] = (header, score)
            used.add(header)
    return chosen


def guess_table(file: FileProfile) -> tuple[str | None, dict[str, str]]:
    """The table whose columns the file's headers fit best (file name as a tie-breaker)."""
    stem = file.path.stem.lower()
    best: tuple[float, str | None, dict[str, str]] = (0.0, None, {})
    for table in SYNONYMS:
        matched = match_columns(table, file.raw.columns)
        required = [c for c in TABLES[table].required_columns if c not in TABLES[table].key]
        if any(column not in matched for column in required):
            continue
        score = sum(score for _, score in matched.values())
        score += 2.0 * any(hint in stem for hint in FILE_HINTS[table])
        if score > best[0]:
            best = (score, table, {column: header for column, (header, _) in matched.items()})
    return best[1], best[2]


# -- writing the draft ----------------------------------------------------------------------


def _preamble(profiles: list[FileProfile]) -> list[str]:
    files = ", ".join(f"{p.path.name} ({p.raw.rows:,} rows)" for p in profiles)
    return [
        f"# Column map drafted by `attain map suggest` from {files}",
        f"# on {datetime.now(UTC):%Y-%m-%d}. Check every line marked 'guessed', then:",
        "#   attain import FILES --map THIS_FILE",
        "# Format: docs/column-maps.md. Canonical tables and columns: docs/schema.md.",
    ]


def _complete_outcomes(deals: TableDraft) -> None:
    """Won and lost from the stage when no status column says it; the one close date for both.

    Many exports (Maven, HubSpot) have closed-won and closed-lost stages instead of a status,
    and a single close date that is the expected one while a deal is open and the real one
    once it closes: the map's outcome rule keeps it as closed_at only for closed deals.
    """
    stage = deals.matches.get("stage")
    if "is_won" not in deals.matches and stage is not None:
        profile = deals.files[0].column(stage)
        if any(_outcome(value) != "open" for value, _ in profile.top):
            deals.matches["is_won"] = stage
    expected = deals.matches.get("expected_close_date")
    if "closed_at" not in deals.matches and expected is not None and "is_won" in deals.matches:
        deals.matches["closed_at"] = expected


def _table_lines(con: duckdb.DuckDBPyConnection, draft: TableDraft) -> list[str]:
    patterns = sorted({_pattern(file.path) for file in draft.files})
    lines = [f"[{draft.table}]", f"files = {_toml_list(patterns)}"]
    if draft.derived_from:
        return lines + _derived_lines(draft)
    first = draft.files[0]
    layouts = _date_layouts(draft)
    shared = set(layouts.values())
    if len(shared) == 1 and None not in shared:
        lines.append(f"date_format = {_q(next(iter(shared)) or '')}   # detected from the values")
    if first.raw.header_repeats:
        shown = ", ".join(map(str, first.raw.header_repeats[:10]))
        lines.append(f"# The reader drops the rows repeating the header (rows {shown}).")
    if first.header_rows:
        lines += _skip_lines(first)
    lines.append("")
    lines.append(f"[{draft.table}.columns]")
    key = TABLES[draft.table].key[0]
    if key not in draft.matches and _unique_names(draft):
        lines.append(f"# No {key} column; the names are unique, so each name is its id.")
        lines.append(f"{key} = {_q(draft.matches['name'])}")
    elif key not in draft.matches:
        lines += _hash_lines(con, draft)
    for column in TABLES[draft.table].column_names:
        if column in draft.matches:
            layout = layouts.get(column) if len(shared) > 1 else None
            lines += _column_lines(draft, column, draft.matches[column], layout)
    lines += _unmapped_lines(draft)
    return lines


def _unique_names(draft: TableDraft) -> bool:
    """Whether the table's name column is filled and unique: other files likely refer by it."""
    name = draft.matches.get("name")
    if name is None or len(draft.files) > 1:
        return False
    file = draft.files[0]
    column = file.column(name)
    return column.filled == column.distinct == file.raw.rows


def _derived_lines(draft: TableDraft) -> list[str]:
    headers = draft.derived_from
    names = _q(headers[0]) if len(headers) == 1 else _toml_list(headers)
    key = TABLES[draft.table].key[0]
    lines = [
        'rows = "distinct"   # one row per distinct value, made from the first row carrying it',
        "",
        f"[{draft.table}.columns]",
        f"{key} = {names}",
        f"name = {names}   # the files have no other name for them",
    ]
    if draft.table == "reps":
        lines.append('role = { value = "rep" }   # guessed: everyone who owns a deal sells')
    return lines


def _skip_lines(file: FileProfile) -> list[str]:
    rows = ", ".join(map(str, file.header_rows[:10]))
    if file.skip_column is None:
        return [f"# Rows {rows} repeat the header; add a skip rule (docs/column-maps.md)."]
    column = _q(file.skip_column)
    return [
        f"# {len(file.header_rows)} row(s) repeat the header inside the file (rows {rows}):",
        f"skip = [{{ column = {column}, values = [{column}] }}]",
    ]


def _hash_lines(con: duckdb.DuckDBPyConnection, draft: TableDraft) -> list[str]:
    """A generated key from the fewest columns that tell the file's different rows apart."""
    file = draft.files[0]
    key = TABLES[draft.table].key[0]
    chosen = _hash_columns(con, file, draft.matches)
    draft.hashed = chosen
    duplicates = _collisions(con, file, list(file.raw.columns))
    lines = [
        f"# The file has no {key}: one is made from a hash of these columns, so it stays the",
        "# same when the same deal is imported again. It changes when one of these values",
        "# changes in a later export (the deal then loads as a new one): prefer a real id",
        "# column if the CRM can export one (monday.com: add an Item ID column).",
    ]
    if duplicates:
        lines.append(
            f"# {duplicates} row(s) repeat an earlier row exactly: all copies share one key and "
            "are rejected as duplicate keys."
        )
    prefix = _q(re.sub(r"[^a-z0-9]+", "-", file.path.stem.lower()).strip("-") + "-")
    lines.append(f"{key} = {{ hash = {_toml_list(chosen)}, prefix = {prefix} }}")
    return lines


def _hash_columns(
    con: duckdb.DuckDBPyConnection, file: FileProfile, matches: dict[str, str]
) -> list[str]:
    """Name-like, owner, account and creation columns, then others until rows differ."""
    headers = list(file.raw.columns)
    names = [h for h in headers if re.search(r"\bname\b|\btitle\b", normalise(h))]
    core = [matches[c] for c in ("owner_rep_id", "account_id", "created_at") if c in matches]
    chosen = list(dict.fromkeys([*names[:1], *core]))
    extra = [matches[c] for c in ("amount", "expected_close_date", "closed_at") if c in matches]
    rest = [h for h in dict.fromkeys([*extra, *headers]) if h not in chosen]
    floor = _collisions(con, file, headers)
    while rest and (not chosen or _collisions(con, file, chosen) > floor):
        chosen.append(rest.pop(0))
    return chosen


def _collisions(con: duckdb.DuckDBPyConnection, file: FileProfile, columns: list[str]) -> int:
    """Rows beyond the first sharing the same values in `columns` (header repeats left out)."""
    keep = f"{ROW} NOT IN ({', '.join(map(str, file.header_rows))})" if file.header_rows else "true"
    listed = ", ".join(f"coalesce({text(quote_ident(c))}, '')" for c in columns)
    row = con.execute(
        f"SELECT count(*) - count(DISTINCT ({listed})) FROM {file.raw.relation} WHERE {keep}"
    ).fetchone()
    return int(row[0]) if row else 0


def _column_lines(draft: TableDraft, column: str, header: str, layout: str | None) -> list[str]:
    """The mapping of one canonical column, with a value map or value list where useful."""
    spec = TABLES[draft.table].column(column)
    profile = draft.files[0].column(header)
    names = _aliases(draft, column, header)
    if column == "is_won":
        return _outcome_lines(names, profile)
    if column == "probability" and profile.top and not _numeric(profile):
        return _probability_lines(names, profile)
    if spec.allowed and profile.top:
        return _allowed_lines(column, names, profile, spec.allowed)
    options = [f"column = {names}"]
    if layout:
        options.append(f"date_format = {_q(layout)}")
    line = f"{column} = {{ {', '.join(options)} }}" if len(options) > 1 else f"{column} = {names}"
    lines = [line]
    if profile.top and spec.type is ColumnType.STRING and column not in DERIVED:
        lines.insert(0, f"# {header} values: {_value_list(profile)}")
    if column == "closed_at" and header == draft.matches.get("expected_close_date"):
        lines.insert(0, "# The only close date: the close of won and lost deals (open ones keep")
        lines.insert(1, "# it only as their expected close date).")
    elif column == "closed_at" and "expected_close_date" in draft.matches:
        fallback = _q(draft.matches["expected_close_date"])
        lines.insert(0, "# A closed deal with no close date is rejected; to take the expected")
        lines.insert(1, f"# one instead (counted in a note), add: fallback = {fallback}")
    return lines


def _outcome_lines(names: str, profile: ColumnProfile) -> list[str]:
    guesses = {value: _outcome(value) for value, _ in profile.top}
    pairs = ", ".join(f"{_key(value)} = {_q(outcome)}" for value, outcome in guesses.items())
    return [
        "# Won / lost / open from the status words (guessed; check): a won or lost deal needs",
        "# a close date, an open one keeps none.",
        f'is_won = {{ column = {names}, values = {{ {pairs} }}, unmapped = "reject" }}',
    ]


def _outcome(value: str) -> str:
    words = normalise(value)
    if words in WON_WORDS or words.replace(" ", "") in WON_WORDS:
        return "won"
    if words in LOST_WORDS or words.replace(" ", "") in LOST_WORDS:
        return "lost"
    return "open"


def _probability_lines(names: str, profile: ColumnProfile) -> list[str]:
    pairs = ", ".join(
        f"{_key(value)} = {PROBABILITY_WORDS.get(normalise(value), 0.5)}"
        for value, _ in profile.top
    )
    return [
        "# Probability words as numbers from 0 to 1 (guessed: the CRM does not define them).",
        f'probability = {{ column = {names}, values = {{ {pairs} }}, unmapped = "reject" }}',
    ]


def _allowed_lines(
    column: str, names: str, profile: ColumnProfile, allowed: tuple[str, ...]
) -> list[str]:
    """Values that are already canonical map to themselves; the others are left for a person.

    Unlisted values are kept, so until the person maps them the schema rejects each with its
    value, instead of the draft emptying them.
    """
    fitting = [value for value, _ in profile.top if _fits(value, allowed)]
    pairs = ", ".join(f"{_key(v)} = {_q(normalise(v).replace(' ', '_'))}" for v in fitting)
    lines = [f"# {column} must be one of {', '.join(allowed)}."]
    others = [value for value, _ in profile.top if value not in fitting]
    if others:
        lines.append(f"# Add a target for: {', '.join(others)} (else rejected as unknown).")
    return [*lines, f"{column} = {{ column = {names}, values = {{ {pairs} }} }}"]


def _fits(value: str, allowed: tuple[str, ...]) -> bool:
    return normalise(value).replace(" ", "_") in allowed


def _numeric(profile: ColumnProfile) -> bool:
    return all(re.fullmatch(r"-?[0-9.]+%?", value) for value, _ in profile.top)


def _unmapped_lines(draft: TableDraft) -> list[str]:
    used = set(draft.matches.values())
    lines = []
    if draft.hashed:
        only = [header for header in draft.hashed if header not in used]
        if only:
            key = TABLES[draft.table].key[0]
            lines += ["", f"# Read only for the {key} hash: {', '.join(only)}"]
        used |= set(draft.hashed)
    for file in draft.files:
        left = [c for c in file.columns if c.name not in used]
        if not left:
            continue
        lines += ["", f"# Headers of {file.path.name} not mapped (add them above if they fit):"]
        for column in left:
            shown = _value_list(column) if column.top else ", ".join(column.samples[:3])
            lines.append(f"#   {column.name}: {shown}")
    return lines


def _date_layouts(draft: TableDraft) -> dict[str, str | None]:
    """Canonical date column -> the layout all its samples share (None: none or ambiguous).

    One export writes all its dates alike, so a column whose days are all 12 or less takes
    the day or month order that another column's samples decide.
    """
    fitting: dict[str, list[str]] = {}
    for column, header in draft.matches.items():
        if TABLES[draft.table].column(column).type in (ColumnType.DATE, ColumnType.TIMESTAMP):
            fitting[column] = fitting_layouts(draft.files[0].column(header).samples)
    layouts = {column: _decided(layouts) for column, layouts in fitting.items()}
    decided = {layout for layout in layouts.values() if layout is not None}
    for column, layout in layouts.items():
        agreeing = [candidate for candidate in fitting[column] if candidate in decided]
        if layout is None and len(agreeing) == 1:
            layouts[column] = agreeing[0]
    return layouts


def detect_layout(samples: Iterable[str]) -> str | None:
    """The first layout of DATE_LAYOUTS that reads every sample; None if none does.

    Day-first and month-first both read '03/04/2024': the first listed wins only when some
    sample tells them apart, else None (the draft then leaves the choice to the person).
    """
    return _decided(fitting_layouts(samples))


def fitting_layouts(samples: Iterable[str]) -> list[str]:
    """Every layout of DATE_LAYOUTS that reads all the (non-empty) samples."""
    values = [value.strip() for value in samples if value.strip()]
    if not values:
        return []
    return [layout for layout in DATE_LAYOUTS if all(_reads(v, layout) for v in values)]


def _decided(fitting: list[str]) -> str | None:
    if not fitting or {"%d/%m/%Y", "%m/%d/%Y"} <= set(fitting):
        return None
    return fitting[0]


def _reads(value: str, layout: str) -> bool:
    try:
        datetime.strptime(value, layout)
    except ValueError:
        return False
    return True


def _aliases(draft: TableDraft, column: str, header: str) -> str:
    """The header, with the matching header of every other file as an alias."""
    names = [header]
    for file in draft.files[1:]:
        found = match_columns(draft.table, file.raw.columns).get(column)
        if found is not None and found[0] not in names:
            names.append(found[0])
    return _q(names[0]) if len(names) == 1 else _toml_list(names)


def _pattern(path: Path) -> str:
    """`deals-2024-03-01.csv` -> `deals*.csv`: later exports of the same kind fit too."""
    stem = re.sub(r"[-_ .0-9]+$", "", path.stem.lower()) or path.stem.lower()
    return f"{stem}*{path.suffix.lower()}"


def _value_list(profile: ColumnProfile) -> str:
    return ", ".join(f"{value} ({count})" for value, count in profile.top)


def _q(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _key(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_-]+", value) else _q(value)


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_q(value) for value in values) + "]"
