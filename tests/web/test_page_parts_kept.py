"""Page parts kept between requests (rendering.fragment): the team overview and a rep page's
numbers per data version, a rep page's coaching panel, plan and goals per app-database version
(web.records_version). A write shows on the next page, whoever or whatever made it, and a
viewer never gets a part kept for another viewer's scope or session."""

from __future__ import annotations

import re
import subprocess
import sys

from fastapi.testclient import TestClient

from tests.support.web import Demo, Users

AS_OF = "2026-11-13"


def _page(client: TestClient, users: Users, role: str, path: str) -> str:
    answer = client.get(path, headers=users.page(role))
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def test_a_kept_rep_page_shows_a_session_and_action_logged_in_the_app_at_once(
    client: TestClient, users: Users, demo: Demo
) -> None:
    path = f"/reps/{demo.own_rep}?as_of={AS_OF}"
    before = _page(client, users, "manager", path)
    assert _page(client, users, "manager", path) == before  # kept: the same page again
    assert "Kept-page check: pricing objections" not in before
    body = {
        "rep_id": demo.own_rep,
        "kind": "one_on_one",
        "held_at": "2026-11-12T10:00:00Z",
        "duration_minutes": 20,
        "notes": "Kept-page check: pricing objections",
        "actions": [{"title": "Kept-page check: send the pricing sheet", "owner": "rep"}],
    }
    made = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("manager"))
    assert made.status_code == 201, made.text

    after = _page(client, users, "manager", path)
    assert "Kept-page check: pricing objections" in after
    assert "Kept-page check: send the pricing sheet" in after
    # The rep sees it on their own page too, and marking the action done shows at once.
    assert "Kept-page check: pricing objections" in _page(client, users, "rep", path)
    action_id = made.json()["action_items"][0]["id"]
    done = client.post(f"/api/v1/action-items/{action_id}/done", headers=users.api("manager"))
    assert done.status_code == 200, done.text
    row = re.search(
        f'data-testid="action-{action_id}" data-status="(\\w+)"',
        _page(client, users, "manager", path),
    )
    assert row is not None and row.group(1) == "done"


def test_a_kept_rep_page_shows_a_session_logged_by_another_process(
    client: TestClient, users: Users, demo: Demo, app_db: str
) -> None:
    """`attain coaching log` while the app serves: only the audit log tells the app."""
    path = f"/reps/{demo.own_rep}?as_of={AS_OF}"
    assert "Logged from the command line" not in _page(client, users, "manager", path)
    logged = subprocess.run(
        [
            *(sys.executable, "-c", "from attain.cli.main import main; main()"),
            *("coaching", "log", "--rep", demo.own_rep, "--at", "2026-11-10"),
            *("--minutes", "15", "--notes", "Logged from the command line"),
            *("--by", users.emails["manager"], "--db", str(demo.store), "--app-db", app_db),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert logged.returncode == 0, logged.stdout + logged.stderr
    assert "Logged from the command line" in _page(client, users, "manager", path)


def test_each_viewer_gets_the_part_of_their_own_scope_and_session(
    client: TestClient, users: Users, demo: Demo
) -> None:
    path = f"/reps/{demo.own_rep}?as_of={AS_OF}"
    for _ in range(2):  # the second round is answered from the kept parts
        rep = _page(client, users, "rep", path)
        manager = _page(client, users, "manager", path)
        # A rep may not log sessions; their manager may (the panel differs by scope).
        assert 'data-testid="log-session"' not in rep
        assert 'data-testid="log-session"' in manager
        # Every form carries the viewer's own session's CSRF token, never another's.
        for page, role in ((rep, "rep"), (manager, "manager")):
            tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', page))
            assert tokens == {users.csrf[role]}
    # Another team's rep stays unseen by the rep and the manager after the admin's visit.
    other = f"/reps/{demo.other_rep}?as_of={AS_OF}"
    assert _page(client, users, "admin", other)
    for role in ("rep", "manager"):
        assert client.get(other, headers=users.page(role)).status_code == 404


def test_the_team_overview_is_kept_per_scope(client: TestClient, users: Users, demo: Demo) -> None:
    path = f"/team?as_of={AS_OF}"
    for _ in range(2):
        admin = _page(client, users, "admin", path)
        manager = _page(client, users, "manager", path)
        assert f'id="rep-{demo.other_rep}"' in admin
        assert f'id="rep-{demo.own_rep}"' in manager
        assert f'id="rep-{demo.other_rep}"' not in manager
    assert (
        client.get(
            f"/team?team=no-such-team&as_of={AS_OF}", headers=users.page("admin")
        ).status_code
        == 404
    )
