"""The generic preset: files already in the canonical layout, one per table, named after it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.readers import ReadOptions, stage_file
from attain.ingest.sources import Plan, canonical_source, expand_paths
from attain.schema import TABLES


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """One Source per file whose name (without suffix) is a canonical table, e.g. `reps.csv`.

    Inside a directory, files that are not named after a table are skipped with a note;
    a file named explicitly must be one.
    """
    explicit = {path for path in paths if not path.is_dir()}
    plan = Plan(sources=[])
    skipped: list[str] = []
    for path in expand_paths(paths):
        table = path.stem.lower()
        if table not in TABLES:
            if path in explicit:
                raise InputError(
                    f"{path}: file name does not name a table; expected one of "
                    f"{', '.join(f'{name}.csv' for name in TABLES)}"
                )
            skipped.append(path.name)
            continue
        raw = stage_file(con, path, options=options, lazy=True)  # typed once, from the file
        plan.sources.append(canonical_source(raw, table, options.date_format))
    if not plan.sources:
        raise InputError(
            f"no file named after a canonical table (e.g. reps.csv) in {', '.join(map(str, paths))}"
        )
    if skipped:
        plan.notes.append(f"skipped files not named after a table: {', '.join(skipped)}")
    return plan
