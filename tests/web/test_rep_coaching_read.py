"""A rep's coaching list reads that rep's sessions imported from the CRM (not the whole CRM's
then filtered), and holds exactly the ones the store has for them."""

from __future__ import annotations

import duckdb
from fastapi.testclient import TestClient

from tests.support.web import Demo, Users


def test_a_reps_imported_sessions_are_exactly_the_stores(
    client: TestClient, users: Users, demo: Demo
) -> None:
    with duckdb.connect(str(demo.store), read_only=True) as con:
        stored = {
            rep: {
                str(row[0])
                for row in con.execute(
                    "SELECT session_id FROM coaching_sessions WHERE rep_id = ?", [rep]
                ).fetchall()
            }
            for rep in (demo.own_rep, demo.other_rep)
        }
    assert stored[demo.own_rep], "the demo should import coaching sessions for the rep"
    for rep in (demo.own_rep, demo.other_rep):
        answer = client.get(
            "/api/v1/coaching-sessions",
            params={"rep_id": rep, "per_page": 500},
            headers=users.api("admin"),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["pages"] == 1  # every session on this page, app-logged ones included
        items = body["items"]
        imported = {item["id"] for item in items if item["origin"] == "store"}
        assert imported == stored[rep]
        assert {item["rep_id"] for item in items} == {rep}
