"""Everything that differs between the store backends (DuckDB, PostgreSQL, Spark), in one place.

The analyses are Ibis expressions and never ask which backend they run on. What cannot be
written once lives here: how a store URL opens a backend, how the canonical tables are
created, and how an import's finished tables are written in one step (PostgreSQL: staging
tables swapped in one transaction; Spark local: Parquet folders swapped, then registered).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import duckdb
import ibis
import ibis.expr.datatypes as dt

from attain.errors import StoreError
from attain.ingest.readers import quote_literal
from attain.schema import TABLES, ColumnType
from attain.store.ddl import LOG_TABLES

IBIS_TYPES: dict[ColumnType, dt.DataType] = {
    ColumnType.STRING: dt.string,
    ColumnType.INTEGER: dt.int64,
    ColumnType.FLOAT: dt.float64,
    ColumnType.BOOLEAN: dt.boolean,
    ColumnType.DATE: dt.date,
    ColumnType.TIMESTAMP: dt.timestamp,
}


SPARK_WAREHOUSE = "attain-spark"
"""Default folder of a local Spark store's tables (Parquet), relative to the working directory."""


def store_tables() -> dict[str, ibis.Schema]:
    """Every table of the store (canonical tables and the import log) with its Ibis schema."""
    schemas = {
        table.name: ibis.schema({c.name: IBIS_TYPES[c.type] for c in table.columns})
        for table in TABLES.values()
    }
    for name, log in LOG_TABLES.items():
        schemas[name] = ibis.schema({c: IBIS_TYPES[kind] for c, kind in log.items()})
    return schemas


@dataclass(frozen=True)
class Target:
    """A parsed `--db` value: which backend, and the URL or path it opens."""

    kind: str
    """'duckdb', 'postgres' or 'spark'."""
    location: str


def parse_target(db: str) -> Target:
    """Which backend `db` names: postgres(ql)(+psycopg)://, spark://, sc:// or a DuckDB path."""
    scheme = db.split("://", 1)[0].lower() if "://" in db else ""
    if scheme in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        return Target("postgres", db)
    if scheme in ("spark", "sc"):
        return Target("spark", db)
    if scheme not in ("", "duckdb"):
        raise StoreError(
            f"{db}: unknown store URL; use a DuckDB path, postgresql://… or spark://local[*]"
        )
    return Target("duckdb", db.removeprefix("duckdb://"))


def backend_kind(backend: Any) -> str:
    """'duckdb', 'postgres' or 'spark' for an Ibis backend."""
    name = str(getattr(backend, "name", ""))
    return {"pyspark": "spark"}.get(name, name)


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_url(url: str) -> str:
    """`url` in the form Ibis's postgres backend reads: postgres://user:pw@host:port/db."""
    parts = urlsplit(url)
    return urlunsplit(("postgres", parts.netloc, parts.path, parts.query, parts.fragment))


def connect_postgres(url: str) -> Any:
    """An Ibis PostgreSQL backend on `url`, session in UTC, canonical tables created."""
    try:
        import psycopg
    except ImportError as error:  # pragma: no cover - psycopg is a dependency
        raise StoreError(
            "PostgreSQL stores need psycopg: pip install 'attain[postgres]'"
        ) from error
    try:
        backend = ibis.connect(postgres_url(url))
    except psycopg.Error as error:
        raise StoreError(
            f"{_redacted(url)}: cannot open the store: {_first_line(error)}"
        ) from error
    _create_missing(backend)
    return backend


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _write_postgres(backend: Any, con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Copy `names` from DuckDB into staging tables, then swap them in, all in one transaction."""
    pg = backend.con
    schemas = store_tables()
    with tempfile.TemporaryDirectory(prefix="attain-pg-") as folder, pg.transaction():
        for name in names:
            staging = f"_attain_load_{name}"
            columns = schemas[name].to_sqlglot_column_defs(backend.dialect)
            definition = ", ".join(column.sql(backend.dialect) for column in columns)
            csv = Path(folder) / f"{name}.csv"
            con.execute(
                f"COPY (SELECT * FROM {name}) TO {quote_literal(str(csv))} "
                "(FORMAT csv, HEADER false)"
            )
            with pg.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
                cursor.execute(f'CREATE TABLE "{staging}" ({definition})')
                with (
                    cursor.copy(f'COPY "{staging}" FROM STDIN (FORMAT csv)') as copy,
                    csv.open("rb") as source,
                ):
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
                cursor.execute(f'ALTER TABLE "{staging}" RENAME TO "{name}"')
                cursor.execute(f'ANALYZE "{name}"')


# --- Spark ------------------------------------------------------------------------------------


def connect_spark(url: str) -> Any:
    """An Ibis PySpark backend: `spark://local[*]` (tables under ?warehouse=, default
    ./attain-spark) or a Spark Connect URL `sc://host:port` (tables in its catalog)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise StoreError("Spark stores need PySpark: pip install 'attain[spark]'") from error
    scheme, rest = url.split("://", 1)
    master, _, query = rest.partition("?")
    try:
        if scheme == "sc":
            session = SparkSession.builder.remote(url).getOrCreate()
            backend = ibis.pyspark.connect(session)
            _create_missing(backend)
            return backend
        master = master.rstrip("/") or "local[*]"
        warehouse = Path(parse_qs(query).get("warehouse", [SPARK_WAREHOUSE])[0]).absolute()
        session = (
            SparkSession.builder.master(master)
            .appName("attain")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
            .config("spark.driver.memory", os.environ.get("ATTAIN_SPARK_MEMORY", "2g"))
            .getOrCreate()
        )
    except Exception as error:  # Java missing, bad master URL, JVM start failure
        raise StoreError(f"{url}: cannot start Spark: {_first_line(error)}") from error
    backend = ibis.pyspark.connect(session)
    backend.attain_warehouse = warehouse
    warehouse.mkdir(parents=True, exist_ok=True)
    empty = duckdb.connect()
    try:
        missing = [name for name in store_tables() if not (warehouse / name).exists()]
        _create_duckdb_tables(empty, missing)
        _write_parquet(empty, warehouse, missing)
    finally:
        empty.close()
    _register_spark_tables(backend, warehouse)
    return backend


def _register_spark_tables(backend: Any, warehouse: Path) -> None:
    """Make each table folder under `warehouse` a temporary view of the Spark session."""
    session = backend._session
    for name, schema in store_tables().items():
        frame = session.read.parquet(str(warehouse / name))
        spark_names = set(frame.columns)
        if spark_names != set(schema.names):  # pragma: no cover - only for hand-edited folders
            raise StoreError(f"{warehouse / name}: not an Attain table (columns differ)")
        frame.createOrReplaceTempView(name)


def _write_parquet(con: duckdb.DuckDBPyConnection, warehouse: Path, names: list[str]) -> None:
    """Write `names` as Parquet folders under `warehouse`, each swapped in whole."""
    for name in names:
        staging = warehouse / f".{name}.new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        con.execute(
            f"COPY (SELECT * FROM {name}) TO {quote_literal(str(staging / 'part-0.parquet'))} "
            "(FORMAT parquet)"
        )
    for name in names:
        final, old = warehouse / name, warehouse / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        (warehouse / f".{name}.new").rename(final)
        shutil.rmtree(old, ignore_errors=True)


def _write_spark(backend: Any, con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    warehouse = getattr(backend, "attain_warehouse", None)
    if warehouse is not None:
        backend._session.catalog.clearCache()
        _write_parquet(con, warehouse, names)
        _register_spark_tables(backend, warehouse)
        return
    for name in names:  # Spark Connect: overwrite the catalog's tables through Ibis
        backend.create_table(name, con.table(name).arrow(), overwrite=True)


# --- all backends -----------------------------------------------------------------------------


def _create_missing(backend: Any) -> None:
    """Create the store's tables that `backend` lacks (PostgreSQL, Spark Connect)."""
    present = set(backend.list_tables())
    for name, schema in store_tables().items():
        if name not in present:
            backend.create_table(name, schema=schema)


def _create_duckdb_tables(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    schemas = store_tables()
    for name in names:
        columns = ", ".join(
            column.sql("duckdb") for column in schemas[name].to_sqlglot_column_defs("duckdb")
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def copy_to_duckdb(backend: Any, con: duckdb.DuckDBPyConnection) -> None:
    """Load every store table of `backend` into the DuckDB connection `con` (same names)."""
    schemas = store_tables()
    _create_duckdb_tables(con, list(schemas))
    stored = getattr(backend, "stored_table", backend.table)
    for name, schema in schemas.items():
        table = stored(name)
        if not int(table.count().execute()):
            continue
        arrow = backend.to_pyarrow(table.select(*schema.names))
        con.register("_attain_incoming", arrow)
        try:
            con.execute(f"INSERT INTO {name} SELECT * FROM _attain_incoming")
        finally:
            con.unregister("_attain_incoming")


WRITERS: dict[str, Callable[[Any, duckdb.DuckDBPyConnection, list[str]], None]] = {
    "postgres": _write_postgres,
    "spark": _write_spark,
}


def write_tables(backend: Any, con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Replace the tables `names` of `backend` with DuckDB's tables of the same names, at once."""
    kind = backend_kind(backend)
    if kind not in WRITERS:
        raise StoreError(f"cannot write to a {kind} store")
    WRITERS[kind](backend, con, names)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
