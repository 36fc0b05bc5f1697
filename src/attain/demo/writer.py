"""Fast CSV output: Arrow columns built from NumPy, appended chunk by chunk to open files.

Every file starts with the canonical header; values are written unquoted (generated text
never holds commas or quotes), nulls as empty cells, timestamps as `YYYY-MM-DD HH:MM:SS`.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from attain.schema import TABLES

Array = Any
"""A pyarrow Array (pyarrow ships no type information)."""


def ids(
    prefix: str,
    numbers: npt.NDArray[np.int64],
    width: int,
    valid: npt.NDArray[np.bool_] | None = None,
) -> Array:
    """Identifiers like `L00000042`: `prefix` and each number zero-padded to `width` digits.

    Null where not `valid`.
    """
    mask = None if valid is None else ~valid
    numbers = pa.array(numbers, pa.int64(), mask=mask)
    digits = pc.utf8_lpad(pc.cast(numbers, pa.string()), width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def pick(values: Array, index: npt.NDArray[np.int64]) -> Array:
    """`values[index]`, null where index is negative."""
    return pc.take(values, pa.array(index, pa.int64(), mask=index < 0))


def labels(names: tuple[str, ...] | list[str], index: npt.NDArray[np.int64]) -> Array:
    """Text labels chosen by index from `names`; null where index is negative."""
    return pick(pa.array(list(names), pa.string()), index)


def timestamps(seconds: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_] | None = None) -> Array:
    """Seconds since the epoch as timestamps, null where not `valid`."""
    mask = None if valid is None else ~valid
    return pa.array(seconds, pa.timestamp("s"), mask=mask)


def dates(days: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_] | None = None) -> Array:
    """Days since the epoch as dates, null where not `valid`."""
    mask = None if valid is None else ~valid
    return pa.array(days.astype(np.int32), pa.date32(), mask=mask)


def amounts(values: npt.NDArray[np.float64], valid: npt.NDArray[np.bool_] | None = None) -> Array:
    """Money rounded to cents, null where not `valid`."""
    mask = None if valid is None else ~valid
    return pa.array(np.round(values, 2), pa.float64(), mask=mask)


class CsvFiles:
    """One open `<table>.csv` per canonical table; append Arrow columns, close once at the end."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self._out_dir = out_dir
        self._files: dict[str, IO[bytes]] = {}
        self._writers: dict[str, Any] = {}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        for name, table in TABLES.items():
            handle = (out_dir / f"{name}.csv").open("wb")
            handle.write((",".join(table.column_names) + "\n").encode())
            self._files[name] = handle

    def append(self, name: str, columns: dict[str, Array]) -> int:
        """Append rows to `name`.csv; `columns` holds canonical columns in their order, and any
        canonical column it leaves out (one the generator does not model) is written empty."""
        expected = TABLES[name].column_names
        if tuple(c for c in expected if c in columns) != tuple(columns):
            raise ValueError(f"{name}: columns {tuple(columns)} are not among {expected}")
        rows = len(next(iter(columns.values())))
        batch = pa.table(
            {c: columns[c] if c in columns else pa.nulls(rows, pa.string()) for c in expected}
        )
        if batch.num_rows == 0:
            return 0
        writer = self._writers.get(name)
        if writer is None:
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            writer = pa_csv.CSVWriter(self._files[name], batch.schema, write_options=options)
            self._writers[name] = writer
        writer.write_table(batch)
        self.rows[name] += batch.num_rows
        return int(batch.num_rows)

    def close(self) -> None:
        """Flush and close every file."""
        for writer in self._writers.values():
            writer.close()
        for handle in self._files.values():
            handle.close()

    def __enter__(self) -> CsvFiles:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
