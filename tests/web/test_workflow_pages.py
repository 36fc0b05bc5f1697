"""The management workflow through the app: logging a coaching session, its audit trail, the
agenda, coverage, digest and alignment pages, and who may do what (docs/web.md)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from attain.appdb.database import session_scope
from attain.appdb.models import AuditEntry
from tests.support.web import Demo, Users


def test_a_logged_session_appears_in_the_list_and_in_the_audit_log(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {
        "rep_id": demo.own_rep,
        "kind": "shadowing",
        "held_at": "2026-11-11T09:30:00Z",
        "duration_minutes": 50,
        "topics": ["discovery calls"],
        "notes": "Rode along on two calls.",
        "actions": [{"title": "Book a demo with Acme", "owner": "rep", "due_date": "2026-11-20"}],
    }
    made = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("manager"))
    assert made.status_code == 201, made.text
    session_id = made.json()["session"]["id"]
    listed = client.get(
        f"/api/v1/coaching-sessions?rep_id={demo.own_rep}&per_page=500",
        headers=users.api("rep"),
    ).json()["items"]
    mine = [s for s in listed if s["origin"] == "app" and s["id"] == session_id]
    assert mine and mine[0]["notes"] == "Rode along on two calls."
    assert [s["held_at"] for s in listed] == sorted((s["held_at"] for s in listed), reverse=True)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.table_name == "coaching_sessions", AuditEntry.record_id == session_id
            )
        ).all()
        assert entries and entries[0].user_id is not None


def test_a_rep_cannot_post_a_session_for_another_rep(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {"rep_id": demo.other_rep, "held_at": "2026-11-11", "duration_minutes": 30}
    answer = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("rep"))
    assert answer.status_code == 404
    form = {"csrf_token": users.csrf["rep"], "held_on": "2026-11-11", "minutes": "30"}
    page = client.post(f"/reps/{demo.other_rep}/coaching", data=form, headers=users.page("rep"))
    assert page.status_code == 404


def test_an_api_post_with_the_session_cookie_needs_the_csrf_header(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {"rep_id": demo.own_rep, "held_at": "2026-11-11", "duration_minutes": 30}
    cookie = users.page("manager")
    assert client.post("/api/v1/coaching-sessions", json=body, headers=cookie).status_code == 403
    with_token = {**cookie, "X-CSRF-Token": users.csrf["manager"]}
    assert (
        client.post("/api/v1/coaching-sessions", json=body, headers=with_token).status_code == 201
    )


def test_an_htmx_post_returns_the_coaching_panel_with_the_new_action_and_its_done_button(
    client: TestClient, users: Users, demo: Demo
) -> None:
    form = {
        "held_on": "2026-11-12",
        "minutes": "25",
        "kind": "one_on_one",
        "topics": "pipeline; forecast",
        "action_title": ["Update the close dates", ""],
        "action_owner": ["Rae", ""],
        "action_due": ["2026-11-01", ""],
    }
    headers = {**users.page("manager"), "HX-Request": "true", "X-CSRF-Token": users.csrf["manager"]}
    answer = client.post(
        f"/reps/{demo.own_rep}/coaching?as_of=2026-11-13", data=form, headers=headers
    )
    assert answer.status_code == 200, answer.text[:300]
    assert 'id="coaching"' in answer.text and "Update the close dates" in answer.text
    assert "(overdue 12 d)" in answer.text
    agenda = client.get(
        f"/api/v1/reps/{demo.own_rep}/agenda?as_of=2026-11-13", headers=users.api("manager")
    ).json()
    assert any("Update the close dates" in item["question"] for item in agenda["items"])


def test_coverage_shows_a_manager_only_their_teams_reps_and_a_rep_only_themselves(
    client: TestClient, users: Users, demo: Demo
) -> None:
    url = "/api/v1/coaching/coverage?as_of=2026-11-13"
    manager = client.get(url, headers=users.api("manager")).json()["rows"]
    rep = client.get(url, headers=users.api("rep")).json()["rows"]
    admin = client.get(url, headers=users.api("admin")).json()["rows"]
    assert {row["team_id"] for row in manager} == {demo.team}
    assert [row["rep_id"] for row in rep] == [demo.own_rep]
    assert len(admin) > len(manager)


def test_a_rep_gets_their_own_digest_and_404_for_a_team_or_another_rep(
    client: TestClient, users: Users, demo: Demo
) -> None:
    own = client.get("/api/v1/digest?as_of=2026-11-13", headers=users.api("rep")).json()
    assert (own["scope"], own["id"]) == ("rep", demo.own_rep)
    assert own["leaderboard"]
    for query in (f"team={demo.team}", f"rep={demo.other_rep}"):
        url = f"/api/v1/digest?as_of=2026-11-13&{query}"
        assert client.get(url, headers=users.api("rep")).status_code == 404
    html = client.get("/api/v1/digest?format=html", headers=users.api("admin"))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")


def test_the_alignment_page_lists_topics_and_flags_overdue_actions(
    client: TestClient, users: Users
) -> None:
    page = client.get("/alignment?as_of=2026-11-13", headers=users.page("marketing"))
    assert page.status_code == 200 and 'data-testid="alignment-agenda"' in page.text
