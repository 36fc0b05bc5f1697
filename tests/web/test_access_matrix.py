"""Every registered route × every role answers as the access rules say (docs/web.md).

The rule: anonymous browsers are sent to /login (303) and anonymous API calls get 401; a role
that may not use a kind of resource at all gets 403; a rep or team outside the user's scope
gets 404, never the data. A route added without a row here fails
`test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.support.web import Demo, Users, route_keys

ROLES = ("anonymous", "admin", "manager", "rep", "marketing")

# (method, path) -> expected status per role, in ROLES order. For {rep_id} routes, "own" is a
# rep the user may see (the rep user's own rep, in the manager's team), "other" a rep of
# another team.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/"): (303, 303, 303, 303, 303),
    ("GET", "/login"): (200, 200, 200, 200, 200),
    ("GET", "/team"): (303, 200, 200, 200, 403),
    ("GET", "/reps/{rep_id}:own"): (303, 200, 200, 200, 403),
    ("GET", "/reps/{rep_id}:other"): (303, 200, 404, 404, 403),
    ("GET", "/forecast"): (303, 200, 200, 200, 403),
    ("GET", "/fragments/cone"): (303, 200, 200, 200, 403),
    ("GET", "/pipeline/waterfall"): (303, 200, 200, 200, 403),
    ("GET", "/pipeline/calls"): (303, 200, 200, 200, 403),
    ("GET", "/changes"): (303, 200, 200, 200, 403),
    ("GET", "/monday"): (303, 200, 200, 200, 403),
    ("GET", "/diagnosis"): (303, 200, 200, 200, 403),
    ("GET", "/leads"): (303, 200, 403, 403, 200),
    ("GET", "/api/v1/me"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/team-overview"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}:own"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/forecast"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/pipeline/waterfall"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/pipeline/calls"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/changes"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/diagnosis/findings"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/channels"): (401, 200, 403, 403, 200),
    ("GET", "/api/v1/leads/grades"): (401, 200, 403, 403, 200),
    ("GET", "/api/v1/leads/icp"): (401, 200, 403, 403, 200),
    ("GET", "/api/v1/goals"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/coaching-sessions"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/action-items"): (401, 200, 200, 200, 403),
    ("GET", "/coaching"): (303, 200, 200, 200, 403),
    ("GET", "/digest"): (303, 200, 200, 200, 403),
    ("GET", "/alignment"): (303, 200, 200, 403, 200),
    ("GET", "/api/v1/reps/{rep_id}/agenda:own"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}/agenda:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/reps/{rep_id}/plan:own"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}/plan:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/reps/{rep_id}/funnel:own"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}/funnel:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/coaching/coverage"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/digest"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/alignment"): (401, 200, 200, 403, 200),
    ("GET", "/api/v1/openapi.json"): (200, 200, 200, 200, 200),
    # The store's progress is everyone's; its import API takes only the app's own claim token.
    ("GET", "/api/v1/results"): (401, 200, 200, 200, 200),
    ("POST", "/api/v1/store/imports"): (401, 401, 401, 401, 401),
    ("POST", "/api/v1/store/syncs"): (401, 401, 401, 401, 401),
    # Programs, skills, ramp, product priorities, compensation: reps only their own, marketing
    # only the product priorities. "own"/"other" of a program: a program of that rep.
    ("GET", "/programs"): (303, 200, 200, 200, 403),
    ("GET", "/programs/{program_id}:own"): (303, 200, 200, 200, 403),
    ("GET", "/programs/{program_id}:other"): (303, 200, 404, 404, 403),
    ("GET", "/skills"): (303, 200, 200, 200, 403),
    ("GET", "/skills/{rep_id}:own"): (303, 200, 200, 200, 403),
    ("GET", "/skills/{rep_id}:other"): (303, 200, 404, 404, 403),
    ("GET", "/ramp"): (303, 200, 200, 200, 403),
    ("GET", "/products"): (303, 200, 200, 200, 200),
    ("GET", "/compensation"): (303, 200, 200, 200, 403),
    ("GET", "/api/v1/programs"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/programs/{program_id}/review:own"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/programs/{program_id}/review:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/skills"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}/skills:own"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/reps/{rep_id}/skills:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/ramp"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/products"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/payouts"): (401, 200, 200, 200, 403),
    # Accounts (#22): one's own account and tokens for every role; managing accounts for admins
    # and managers. Links from e-mails need no session: an unknown one is 404 for all, as is an
    # unconfigured single sign-on issuer ("{secret}", "{name}" stay made-up).
    ("GET", "/account"): (303, 200, 200, 200, 200),
    ("GET", "/users"): (303, 200, 200, 403, 403),
    ("GET", "/invite/{secret}"): (404, 404, 404, 404, 404),
    ("GET", "/password/forgot"): (200, 200, 200, 200, 200),
    ("GET", "/password/reset/{secret}"): (404, 404, 404, 404, 404),
    ("GET", "/sso/{name}"): (404, 404, 404, 404, 404),
    ("GET", "/sso/{name}/callback"): (404, 404, 404, 404, 404),
    # Delivery (#25): every role sets its own digest and alerts; an unsubscribe link works
    # without a session, and one nobody was sent ("{token}" made up) is 404 for all.
    ("GET", "/delivery"): (303, 200, 200, 200, 200),
    ("GET", "/unsubscribe/{token}"): (404, 404, 404, 404, 404),
    ("GET", "/api/v1/tokens"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/users"): (401, 200, 200, 403, 403),
    # The team's voice and peer pairing (coaching records: marketing 403); surveys and pairings
    # nobody has are 404; a calendar feed needs only its token, so a made-up one is 404 to all.
    ("GET", "/surveys"): (303, 200, 200, 200, 403),
    ("GET", "/surveys/{survey_id}"): (303, 404, 404, 404, 403),
    ("GET", "/pairings"): (303, 200, 200, 200, 403),
    ("GET", "/pairings/{pairing_id}"): (303, 404, 404, 404, 403),
    ("GET", "/calendar/{token}.ics"): (404, 404, 404, 404, 404),
    # A team's survey results: admins, and managers for their own team ("own": the manager's
    # team, "other": another); reps read no team's results.
    ("GET", "/api/v1/teams/{team_id}/surveys:own"): (401, 200, 200, 404, 403),
    ("GET", "/api/v1/teams/{team_id}/surveys:other"): (401, 200, 404, 404, 403),
    ("GET", "/api/v1/pairings/suggestions"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/pairings/{pairing_id}/review"): (401, 404, 404, 404, 403),
}
"""Form posts (POST /login, POST /logout) are covered by test_auth.py: they need forms and
CSRF tokens rather than a role."""
POSTS = {("POST", "/login"), ("POST", "/logout")}

# Writes, with the session's CSRF token (pages) or a bearer token (API). "own"/"other" as
# above; a rep may not log sessions (403 for their own rep, 404 for another's, as for reading).
WRITES: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("POST", "/reps/{rep_id}/coaching:own"): (303, 303, 303, 403, 403),
    ("POST", "/reps/{rep_id}/coaching:other"): (303, 303, 404, 404, 403),
    ("POST", "/actions/{action_id}/done:own"): (303, 303, 303, 303, 403),
    ("POST", "/actions/{action_id}/done:other"): (303, 303, 404, 404, 403),
    ("POST", "/api/v1/coaching-sessions:own"): (401, 201, 201, 403, 403),
    ("POST", "/api/v1/coaching-sessions:other"): (401, 201, 404, 404, 403),
    ("POST", "/api/v1/action-items/{action_id}/done:own"): (401, 200, 200, 200, 403),
    ("POST", "/api/v1/action-items/{action_id}/done:other"): (401, 200, 404, 404, 403),
    ("POST", "/programs:own"): (303, 303, 303, 403, 403),
    ("POST", "/programs:other"): (303, 303, 404, 404, 403),
    ("POST", "/programs/{program_id}/check-ins:own"): (303, 303, 303, 403, 403),
    ("POST", "/programs/{program_id}/check-ins:other"): (303, 303, 404, 404, 403),
    ("POST", "/skills:own"): (303, 303, 303, 403, 403),
    ("POST", "/skills:other"): (303, 303, 404, 404, 403),
    ("POST", "/products/{product_id}"): (303, 303, 303, 403, 403),
    ("POST", "/api/v1/programs:own"): (401, 201, 201, 403, 403),
    ("POST", "/api/v1/programs:other"): (401, 201, 404, 404, 403),
    ("POST", "/api/v1/programs/{program_id}/check-ins:own"): (401, 201, 201, 403, 403),
    ("POST", "/api/v1/programs/{program_id}/check-ins:other"): (401, 201, 404, 404, 403),
    ("POST", "/api/v1/skills:own"): (401, 201, 201, 403, 403),
    ("POST", "/api/v1/skills:other"): (401, 201, 404, 404, 403),
    ("PUT", "/api/v1/products/{product_id}"): (401, 200, 200, 403, 403),
    # Accounts: a wrong current password is 400; a user or token that does not exist 404 (and
    # 403 first for the roles that manage no accounts); an invitation is refused (403) before
    # e-mail is found not configured here (409); unknown links 404; a reset request always 200.
    ("POST", "/account/password"): (303, 400, 400, 400, 400),
    ("POST", "/api/v1/me/password"): (401, 400, 400, 400, 400),
    ("POST", "/account/tokens/{token_id}/revoke"): (303, 404, 404, 404, 404),
    ("POST", "/api/v1/tokens/{token_id}/revoke"): (401, 404, 404, 404, 404),
    ("POST", "/users/invite"): (303, 409, 403, 403, 403),
    ("POST", "/api/v1/invitations"): (401, 409, 403, 403, 403),
    ("POST", "/users/{user_id}/{action}"): (303, 404, 404, 403, 403),
    ("POST", "/api/v1/users/{user_id}/disable"): (401, 404, 404, 403, 403),
    ("POST", "/api/v1/users/{user_id}/enable"): (401, 404, 404, 403, 403),
    ("POST", "/invite/{secret}"): (404, 404, 404, 404, 404),
    ("POST", "/password/reset/{secret}"): (404, 404, 404, 404, 404),
    ("POST", "/password/forgot"): (200, 200, 200, 200, 200),
    # Delivery (#25): one's own preferences (an empty form sets Monday 08:00 UTC by e-mail and
    # no alerts); an unknown unsubscribe link is 404 for all.
    ("POST", "/delivery/schedule"): (303, 303, 303, 303, 303),
    ("POST", "/delivery/alerts"): (303, 303, 303, 303, 303),
    ("POST", "/unsubscribe/{token}"): (404, 404, 404, 404, 404),
    # The team's voice: a team, survey, session or pairing nobody has is 404 (marketing 403
    # first); a pairing of a rep with themselves is refused (400) once access is granted; only
    # managers and admins make calendar feeds (tests/web/test_voice_pages.py covers the rest).
    ("POST", "/surveys"): (303, 404, 404, 404, 403),
    ("POST", "/surveys/{survey_id}/answers"): (303, 404, 404, 404, 403),
    ("POST", "/coaching-sessions/{session_id}/feedback"): (303, 404, 404, 404, 403),
    ("POST", "/pairings:own"): (303, 400, 400, 403, 403),
    ("POST", "/pairings:other"): (303, 400, 404, 404, 403),
    ("POST", "/pairings/{pairing_id}/met"): (303, 404, 404, 404, 403),
    ("POST", "/calendar/token"): (303, 200, 200, 403, 403),
}


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    registered = route_keys(client.app.routes)  # type: ignore[attr-defined]
    listed = {(method, path.split(":")[0]) for method, path in [*MATRIX, *WRITES]} | POSTS
    assert registered == listed


def test_api_routes_are_all_under_api_v1(client: TestClient) -> None:
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.include_in_schema:
            assert route.path.startswith("/api/v1/")


@pytest.mark.parametrize(("method", "key"), sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_route_answers_each_role_as_the_rules_say(
    client: TestClient,
    users: Users,
    demo: Demo,
    programs: dict[str, int],
    method: str,
    key: str,
    role: str,
) -> None:
    path, _, variant = key.partition(":")
    rep = {"own": demo.own_rep, "other": demo.other_rep}.get(variant, "")
    url = path.replace("{rep_id}", rep)
    if "{program_id}" in url:
        url = url.replace("{program_id}", str(programs[variant]))
    other_team = next(team for team in demo.teams if team != demo.team)
    url = url.replace("{team_id}", {"own": demo.team, "other": other_team}.get(variant, ""))
    url = _made_up(url)
    who = None if role == "anonymous" else role
    headers = users.api(who) if url.startswith("/api/") else users.page(who)
    response = client.request(method, url, headers=headers)
    expected = MATRIX[(method, key)][ROLES.index(role)]
    assert response.status_code == expected, response.text[:300]
    if url.startswith("/api/") and expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    if expected == 303 and role == "anonymous":
        assert response.headers["location"].startswith("/login?next=")
    if expected == 404 and url.startswith("/api/"):
        assert set(response.json()) == {"type", "title", "status", "detail", "instance"}
    elif expected == 404:
        assert 'data-testid="rep-headline"' not in response.text


@pytest.mark.parametrize("kind", ["goals", "coaching-sessions", "action-items"])
def test_records_of_a_rep_outside_the_scope_are_404(
    client: TestClient, users: Users, demo: Demo, kind: str
) -> None:
    for role in ("manager", "rep"):
        url = f"/api/v1/{kind}?rep_id={demo.other_rep}"
        assert client.get(url, headers=users.api(role)).status_code == 404
        own = f"/api/v1/{kind}?rep_id={demo.own_rep}"
        assert client.get(own, headers=users.api(role)).status_code == 200


def test_a_manager_asking_for_a_team_they_do_not_manage_gets_404(
    client: TestClient, users: Users, demo: Demo
) -> None:
    other = next(team for team in demo.teams if team != demo.team)
    url = f"/api/v1/team-overview?team={other}"
    assert client.get(url, headers=users.api("manager")).status_code == 404
    assert client.get(url, headers=users.api("admin")).status_code == 200


def _open_action(client: TestClient, users: Users, rep_id: str) -> int:
    """A new open action item about `rep_id`, agreed in a session the admin logs."""
    body = {
        "rep_id": rep_id,
        "held_at": "2026-11-10T10:00:00",
        "duration_minutes": 30,
        "actions": [{"title": "Call back the stalled deals", "owner": rep_id}],
    }
    response = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("admin"))
    assert response.status_code == 201, response.text
    action_id: int = response.json()["action_items"][0]["id"]
    return action_id


@pytest.fixture(scope="module")
def programs(client: TestClient, users: Users, demo: Demo) -> dict[str, int]:
    """A program of the rep user's own rep and one of another team's rep, started by the
    admin, running over the days the writes check in on."""
    made = {}
    for variant, rep in (("own", demo.own_rep), ("other", demo.other_rep)):
        body = {"rep_id": rep, "start": "2026-10-19", "weeks": 6, "goal": "More meetings"}
        answer = client.post("/api/v1/programs", json=body, headers=users.api("admin"))
        assert answer.status_code == 201, answer.text
        made[variant] = answer.json()["id"]
    return made


@pytest.fixture(scope="module")
def product(client: TestClient, users: Users) -> str:
    """A product of the demo store."""
    rows = client.get("/api/v1/products", headers=users.api("admin")).json()["items"]
    product_id: str = rows[0]["product_id"]
    return product_id


MADE_UP = {
    "{user_id}": "999999",
    "{token_id}": "999999",
    "{action}": "disable",
    "{survey_id}": "999999",
    "{pairing_id}": "999999",
    "{session_id}": "999999",
    "{token}": "made-up-feed-token-nobody-has",
}
"""What the account routes' path parameters become: ids nobody has."""


def _made_up(url: str) -> str:
    for name, value in MADE_UP.items():
        url = url.replace(name, value)
    return url


def _write_body(path: str, rep: str) -> tuple[dict[str, Any], dict[str, str]]:
    """What a write to `path` about `rep` sends: the API's JSON body and the page's form."""
    if path.endswith("/password"):
        change = {"current_password": "not the password", "new_password": "violet kettle anchor"}
        return change, change
    if path.endswith(("/invitations", "/invite")):
        invitation = {"email": "new@example.com", "name": "New", "role": "marketing"}
        return invitation, invitation
    if "/invite/" in path or "/password/reset/" in path:
        return {}, {"password": "violet kettle marching anchor"}
    if path.endswith("/forgot"):
        return {}, {"email": "nobody@example.com"}
    if path == "/surveys":
        return {}, {"team_id": "no-such-team", "template": "workload"}
    if path.endswith("/answers"):
        return {}, {"score": "3", "words": "time"}
    if path.endswith("/feedback"):
        return {}, {"useful": "yes", "word": "clear"}
    if path == "/pairings":
        pair = {"learner": rep, "peer": rep, "gap_kind": "skill", "gap": "closing"}
        return {}, {**pair, "planned_at": "2026-11-20T10:00"}
    if path.endswith("/met"):
        return {}, {"held_on": "2026-11-20", "minutes": "60"}
    if path.endswith("/check-ins"):
        return (
            {"held_at": "2026-11-12", "duration_minutes": 20},
            {"held_on": "2026-11-12", "minutes": "20"},
        )
    if path.endswith("/programs"):
        program = {"rep_id": rep, "start": "2026-11-02", "weeks": 2, "goal": "Close faster"}
        return program, {**program, "weeks": "2"}
    if path.endswith("/skills"):
        return (
            {"rep_id": rep, "skill": "closing", "score": 2},
            {"rep_id": rep, "skill": "closing", "score": "2"},
        )
    if "/products/" in path:
        tier = {"tier": "priority", "differentiators": "Ships in a day"}
        return tier, tier
    return (
        {"rep_id": rep, "held_at": "2026-11-12", "duration_minutes": 45},
        {"kind": "one_on_one", "held_on": "2026-11-12", "minutes": "30"},
    )


@pytest.mark.parametrize(("method", "key"), sorted(WRITES))
@pytest.mark.parametrize("role", ROLES)
def test_writes_answer_each_role_as_the_rules_say(
    client: TestClient,
    users: Users,
    demo: Demo,
    programs: dict[str, int],
    product: str,
    method: str,
    key: str,
    role: str,
) -> None:
    path, _, variant = key.partition(":")
    rep = {"own": demo.own_rep, "other": demo.other_rep}.get(variant, "")
    url = _made_up(path.replace("{rep_id}", rep).replace("{product_id}", product))
    if "{action_id}" in url:
        url = url.replace("{action_id}", str(_open_action(client, users, rep)))
    if "{program_id}" in url:
        url = url.replace("{program_id}", str(programs[variant]))
    who = None if role == "anonymous" else role
    body, form = _write_body(path, rep)
    if url.startswith("/api/"):
        response = client.request(method, url, json=body, headers=users.api(who))
    else:
        form = {"csrf_token": users.csrf.get(who or "", ""), **form}
        response = client.post(url, data=form, headers=users.page(who))
    expected = WRITES[(method, key)][ROLES.index(role)]
    assert response.status_code == expected, response.text[:300]
    if url.startswith("/api/") and expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
