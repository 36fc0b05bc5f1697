"""Guards the tested Ibis/DuckDB/sqlglot pair: some newer sqlglot releases break Ibis DDL."""

import ibis
import pandas as pd


def test_ibis_creates_tables_from_pandas_and_memtables_on_duckdb() -> None:
    con = ibis.duckdb.connect()
    from_pandas = con.create_table("p", pd.DataFrame({"a": [1, 2]}), overwrite=True)
    from_memtable = con.create_table("m", ibis.memtable({"a": [1, 2, 3]}), overwrite=True)
    assert from_pandas.count().execute() == 2
    assert from_memtable.a.sum().execute() == 6
