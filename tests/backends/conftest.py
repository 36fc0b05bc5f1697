"""One small organisation imported into DuckDB, PostgreSQL and Spark local mode, analysed once.

Each backend's fixture imports the same files (plus an update file with one changed deal and
two invalid rows, and a strict import of it that must load nothing), runs every analysis and
returns plain results; the tests compare them with DuckDB's. PostgreSQL comes from
`tests.support.appdb.postgres_url()` (scripts/postgres.sh) and Java from scripts/java.sh:
when either cannot be had, the tests fail with the reason rather than skip.
"""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backend_support import analyse, plain

from attain.demo import DemoSpec, generate
from attain.demo.truth import Truth
from attain.errors import RejectedRowsError
from attain.ingest.importer import import_files
from attain.store import connect
from tests.support.appdb import PostgresUnavailable, fresh_database, postgres_url

SPEC = DemoSpec(reps=12, quarters=4, seed=5)
"""Small enough for Spark local mode to analyse in about a minute, big enough for findings."""

JAVA_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "java.sh"


@dataclass(frozen=True)
class Organisation:
    files: Path
    update: Path
    truth: Truth


@pytest.fixture(scope="session")
def organisation(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    """The generated files, and an update: one deal's amount changed, two invalid new deals."""
    folder = tmp_path_factory.mktemp("organisation")
    truth = generate(SPEC, folder / "files")
    with (folder / "files" / "opportunities.csv").open(newline="") as source:
        reader = csv.DictReader(source)
        first = next(reader)
        header = list(reader.fieldnames or [])
    changed = {**first, "amount": "12345.5"}
    bad_amount = {**first, "opportunity_id": "OPP-NEW-1", "amount": "lots"}
    bad_account = {**first, "opportunity_id": "OPP-NEW-2", "account_id": "NO-SUCH-ACCOUNT"}
    update = folder / "update" / "opportunities.csv"
    update.parent.mkdir()
    with update.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=header)
        writer.writeheader()
        writer.writerows([changed, bad_amount, bad_account])
    return Organisation(folder / "files", update.parent, truth)


def load_and_analyse(backend: Any, organisation: Organisation, folder: Path) -> dict[str, Any]:
    """Import the files, the update and a strict re-import of the update; then analyse."""
    first = import_files(backend, [organisation.files], rejects_path=folder / "first.csv")
    # The update holds three deals, not the whole export: partial, so it deletes none.
    second = import_files(
        backend, [organisation.update], rejects_path=folder / "second.csv", partial=True
    )
    with pytest.raises(RejectedRowsError) as refused:
        import_files(
            backend,
            [organisation.update],
            strict=True,
            rejects_path=folder / "strict.csv",
            partial=True,
        )
    imports = {
        "first": plain(first),
        "second": plain(second),
        "strict": str(refused.value).replace(str(folder), "<folder>"),
        "rejects": [(folder / f"{name}.csv").read_text() for name in ("second", "strict")],
        "first_has_no_rejects": not (folder / "first.csv").exists(),
    }
    return {"imports": imports, **analyse(backend, organisation.truth)}


@pytest.fixture(scope="session")
def duckdb_results(
    organisation: Organisation, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("duckdb")
    backend = connect(f"duckdb://{folder / 'store.duckdb'}")
    try:
        return load_and_analyse(backend, organisation, folder)
    finally:
        backend.disconnect()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database on the test run's PostgreSQL server; a failure says why there is none."""
    try:
        server = postgres_url()
    except PostgresUnavailable as error:
        pytest.fail(f"no PostgreSQL for the tests: {error}", pytrace=False)
    with fresh_database(server, "attain_backends") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_results(
    organisation: Organisation, postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("postgres")
    backend = connect(postgres_database)
    try:
        return load_and_analyse(backend, organisation, folder)
    finally:
        backend.disconnect()


@pytest.fixture(scope="session")
def java() -> str:
    """The `java` Spark will use, installed by scripts/java.sh when missing."""
    found = subprocess.run(
        ["bash", str(JAVA_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    if found.returncode != 0:
        pytest.fail(f"no Java for Spark: {found.stderr.strip()}", pytrace=False)
    return found.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def spark_results(
    organisation: Organisation, java: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("spark")
    backend = connect(f"spark://local[2]?warehouse={folder / 'warehouse'}")
    try:
        return load_and_analyse(backend, organisation, folder)
    finally:
        backend.disconnect()
