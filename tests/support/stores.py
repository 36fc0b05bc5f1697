"""A generated demo organisation imported into a DuckDB store file, for tests that run
commands against a real store."""

from __future__ import annotations

from pathlib import Path

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb


def imported_demo(folder: Path, spec: DemoSpec) -> Path:
    """`spec`'s organisation generated into `folder` and imported into `folder/store.duckdb`."""
    generate(spec, folder)
    path = folder / "store.duckdb"
    backend = connect(str(path))
    try:
        import_files(raw_duckdb(backend), [folder])
    finally:
        backend.disconnect()
    return path
