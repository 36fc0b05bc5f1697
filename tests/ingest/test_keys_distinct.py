"""The duplicate-key check runs only when two rows' key hashes are the same (keys_distinct)."""

from __future__ import annotations

import duckdb

from attain.ingest.validate import keys_distinct
from attain.schema import TABLES


def test_keys_are_distinct_unless_two_rows_share_one_and_rows_without_a_key_do_not_count() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE typed (activity_id VARCHAR)")
    check = keys_distinct(TABLES["activities"], "typed")
    con.execute("INSERT INTO typed VALUES ('A1'), ('A2'), (NULL), (NULL)")
    # Two rows without a key are rejected for that, not as duplicates of each other.
    assert con.execute(check).fetchall() == [(True,)]
    con.execute("INSERT INTO typed VALUES ('A2')")
    assert con.execute(check).fetchall() == [(False,)]
    con.execute("DELETE FROM typed")
    assert con.execute(check).fetchall() == [(True,)]
