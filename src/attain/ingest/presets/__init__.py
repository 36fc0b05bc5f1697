"""Presets map real CRM export layouts onto Attain's canonical tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.presets import column_map, generic, hubspot, maven, olist, salesforce
from attain.ingest.readers import ReadOptions
from attain.ingest.sources import Plan

Preset = Callable[[duckdb.DuckDBPyConnection, list[Path], ReadOptions], Plan]
"""Stages the given files in DuckDB and says which canonical tables they feed, and how."""

PRESETS: dict[str, Preset] = {
    "generic": generic.sources,
    "maven": maven.sources,
    "olist": olist.sources,
    "salesforce": salesforce.sources,
    "hubspot": hubspot.sources,
    "map": column_map.sources,
}


def preset(name: str) -> Preset:
    """The preset called `name`, or an error listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(
            f"unknown preset {name!r}; choose one of {', '.join(sorted(PRESETS))}"
        ) from None
