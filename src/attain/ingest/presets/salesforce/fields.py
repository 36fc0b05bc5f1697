"""Reading Salesforce fields: empty ids, booleans, deleted rows, and the few id prefixes used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import duckdb

from attain.ingest.presets.exports import boolean, column, optional, text
from attain.ingest.readers import RawFile

EMPTY_ID = "0{15}([A-Z]{3})?"
"""Salesforce's empty reference (`000000000000000AAA`, or 15 zeros), written for blank lookups."""

QUEUE_PREFIX = "00G"
OPPORTUNITY_PREFIX = "006"
LEAD_PREFIX = "00Q"
"""Salesforce id prefixes: owners that are queues, and what a task's WhatId/WhoId points at."""


def field_text(quoted: str, name: str) -> str:
    """SQL: a field's trimmed text; an id field (API name ending in Id) holding the empty id is
    empty too, so a blank ManagerId or AccountId never points at a record that cannot exist."""
    value = text(quoted)
    if not name.endswith("Id"):
        return value
    return f"CASE WHEN regexp_full_match({value}, '{EMPTY_ID}') THEN NULL ELSE {value} END"


def field(raw: RawFile, name: str, alias: str = "") -> str:
    """SQL: the field `name` (see `field_text`), NULL if the file lacks it; `alias` qualifies it."""
    found = optional(raw, name)
    return "NULL" if found is None else field_text(alias + found, name)


def required_field(raw: RawFile, name: str, alias: str = "") -> str:
    """SQL: the field `name` (see `field_text`); InputError naming it if the file lacks it."""
    return field_text(alias + column(raw, name), name)


def mapped_fields(raw: RawFile, mapping: Mapping[str, str]) -> dict[str, str]:
    """Canonical column -> SQL for each `{canonical: field}` pair the file has; others absent."""
    return {
        canonical: field(raw, name)
        for canonical, name in mapping.items()
        if optional(raw, name) is not None
    }


def is_true(raw: RawFile, name: str, alias: str = "") -> str:
    """SQL condition: a boolean field is true (the export writes true/false or 1/0)."""
    return f"{boolean(field(raw, name, alias))} = 'true'"


def not_deleted(raw: RawFile, alias: str = "") -> str:
    """SQL filter dropping rows the export marks IsDeleted (recycle-bin records)."""
    if optional(raw, "IsDeleted") is None:
        return "true"
    return f"{boolean(field(raw, 'IsDeleted', alias))} IS DISTINCT FROM 'true'"


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The integer a one-value query returns (0 for NULL), for counting rows in notes."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def lead_owner(leads: RawFile) -> str:
    """SQL: a lead's owning user; empty when a queue (id starting 00G) owns it."""
    owner = field(leads, "OwnerId")
    return f"CASE WHEN starts_with({owner}, '{QUEUE_PREFIX}') THEN NULL ELSE {owner} END"


def listed(table: RawFile) -> RawFile:
    """A derived table whose rows are its file's own rows (filtered or reshaped), not implied."""
    return replace(table, implied=False)
