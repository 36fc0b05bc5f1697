"""The team's-voice pages over the demo: a survey reaches only its team, results stay hidden
below five answers, a calendar feed opens with its token alone and lists the manager's
reps and pairings, and a pairing is proposed and recorded as met from the pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from attain.appdb.database import session_scope
from attain.appdb.users import add_user
from attain.web.auth import SESSION_COOKIE, sign_in
from tests.support.web import PASSWORD, Demo, Users


def _cookie(client: TestClient, email: str) -> tuple[dict[str, str], str]:
    started = sign_in(client.app.state.engine, email, PASSWORD)  # type: ignore[attr-defined]
    assert started is not None
    return {"Cookie": f"{SESSION_COOKIE}={started[0]}"}, started[1]


@pytest.fixture(scope="module")
def teammates(client: TestClient, demo: Demo) -> list[tuple[dict[str, str], str]]:
    """Signed-in sessions of five more reps of the manager's team (the rep user is the sixth)."""
    roster = client.app.state.services.roster()  # type: ignore[attr-defined]
    reps = sorted(r for r, e in roster.items() if e.team_id == demo.team and e.role == "rep")
    others = [rep for rep in reps if rep != demo.own_rep][:5]
    assert len(others) == 5
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        for rep in others:
            add_user(session, f"voice-{rep}@example.com", rep, "rep", PASSWORD, rep_id=rep)
    return [_cookie(client, f"voice-{rep}@example.com") for rep in others]


def _send(client: TestClient, users: Users, team: str, role: str = "manager") -> int:
    form = {"csrf_token": users.csrf[role], "team_id": team, "template": "tools"}
    sent = client.post("/surveys", data=form, headers=users.page(role))
    assert sent.status_code == 303, sent.text[:300]
    return int(sent.headers["location"].rsplit("/", 1)[1])


def test_a_survey_is_answered_by_its_team_and_shown_only_from_five_answers(
    client: TestClient, users: Users, demo: Demo, teammates: list[tuple[dict[str, str], str]]
) -> None:
    other_team = next(team for team in demo.teams if team != demo.team)
    refused = {"csrf_token": users.csrf["manager"], "team_id": other_team, "template": "tools"}
    assert client.post("/surveys", data=refused, headers=users.page("manager")).status_code == 404
    survey = _send(client, users, demo.team)
    words = ["slow crm", "crm search", "dashboards", "crm mobile", "fine"]
    for (headers, csrf), score, text in zip(teammates[:4], [2, 3, 2, 4], words, strict=False):
        form = {"csrf_token": csrf, "score": str(score), "words": text}
        answered = client.post(f"/surveys/{survey}/answers", data=form, headers=headers)
        assert answered.status_code == 303, answered.text[:300]
    page = client.get(f"/surveys/{survey}", headers=users.page("manager")).text
    assert 'data-testid="survey-hidden"' in page and 'data-value="4"' in page
    assert "survey-mean" not in page and "dashboards" not in page
    headers, csrf = teammates[4]
    again = {"csrf_token": csrf, "score": "1", "words": "fine"}
    assert client.post(f"/surveys/{survey}/answers", data=again, headers=headers).status_code == 303
    assert client.post(f"/surveys/{survey}/answers", data=again, headers=headers).status_code == 400
    page = client.get(f"/surveys/{survey}", headers=users.page("manager")).text
    # (2 + 3 + 2 + 4 + 1) / 5 = 2.4; only 'crm' is in more than one answer.
    assert re.search(r'data-testid="survey-mean" data-value="2.4"', page)
    assert "crm (3)" in page
    for single in ("slow", "search", "dashboards", "mobile", "fine"):
        assert single not in page.split('data-testid="survey-themes"')[1].split("</p>")[0]
    # The rep of another team sees nothing of it; the rep user of the team may answer.
    outsider = client.get(f"/surveys/{survey}", headers=users.page("admin"))
    assert outsider.status_code == 200  # admins see every team
    own = client.get(f"/surveys/{survey}", headers=users.page("rep")).text
    assert 'data-testid="answer-survey"' in own and "survey-answers" not in own


def test_the_calendar_feed_opens_with_its_token_and_lists_the_managers_reps(
    client: TestClient, users: Users, demo: Demo
) -> None:
    made = client.post(
        "/calendar/token", data={"csrf_token": users.csrf["manager"]}, headers=users.page("manager")
    )
    assert made.status_code == 200
    path = re.search(r"(/calendar/[A-Za-z0-9_-]+\.ics)", made.text)
    assert path is not None
    feed = client.get(path.group(1))  # no session: the token is the secret
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
    roster = client.app.state.services.roster()  # type: ignore[attr-defined]
    team_reps = {r for r, e in roster.items() if e.team_id == demo.team and e.role == "rep"}
    assert {f"one-on-one-{rep}@attain" for rep in team_reps} <= uids
    assert f"one-on-one-{demo.other_rep}@attain" not in uids  # another team's rep
    client.post(
        "/calendar/token", data={"csrf_token": users.csrf["manager"]}, headers=users.page("manager")
    )
    assert client.get(path.group(1)).status_code == 404  # replaced


def test_a_pairing_is_proposed_met_and_reviewed_from_the_pages(
    client: TestClient, users: Users, demo: Demo
) -> None:
    roster = client.app.state.services.roster()  # type: ignore[attr-defined]
    peer = next(
        r
        for r, e in roster.items()
        if e.team_id == demo.team and r != demo.own_rep and e.role == "rep"
    )
    form = {
        "csrf_token": users.csrf["manager"],
        "learner": demo.own_rep,
        "peer": peer,
        "gap_kind": "skill",
        "gap": "closing",
        "planned_at": "2026-10-12T15:00",
    }
    made = client.post("/pairings", data=form, headers=users.page("manager"))
    assert made.status_code == 303, made.text[:300]
    url = made.headers["location"]
    assert client.get(url, headers=users.page("manager")).status_code == 200
    met = {"csrf_token": users.csrf["manager"], "held_on": "2026-10-12", "minutes": "45"}
    assert client.post(f"{url}/met", data=met, headers=users.page("manager")).status_code == 303
    page = client.get(f"{url}?as_of=2026-11-13", headers=users.page("manager")).text
    assert 'data-testid="pairing-verdict"' in page and "win_rate" in page
    # The rep sees their own pairing; the other team's rep does not exist for the manager.
    assert client.get(url, headers=users.page("rep")).status_code == 200
    listing = client.get("/pairings", headers=users.page("manager"))
    assert (
        listing.status_code == 200
        and f'data-testid="pairing-{url.rsplit("/", 1)[1]}"' in listing.text
    )


def test_a_rep_rates_their_own_session_once_and_the_coach_sees_only_a_hidden_week(
    client: TestClient, users: Users, demo: Demo
) -> None:
    sessions = {}
    for rep in (demo.own_rep, demo.other_rep):
        body = {"rep_id": rep, "held_at": "2026-11-03T10:00:00", "duration_minutes": 30}
        logged = client.post("/api/v1/coaching-sessions", json=body, headers=users.api("admin"))
        assert logged.status_code == 201, logged.text
        sessions[rep] = logged.json()["session"]["id"]
    form = {"csrf_token": users.csrf["rep"], "useful": "yes", "word": "focused"}
    own = f"/coaching-sessions/{sessions[demo.own_rep]}/feedback"
    assert 'data-testid="feedback-' in client.get("/surveys", headers=users.page("rep")).text
    assert client.post(own, data=form, headers=users.page("rep")).status_code == 303
    assert client.post(own, data=form, headers=users.page("rep")).status_code == 400
    other = f"/coaching-sessions/{sessions[demo.other_rep]}/feedback"
    assert client.post(other, data=form, headers=users.page("rep")).status_code == 404
    page = client.get("/surveys", headers=users.page("admin")).text
    trend = page.split('data-testid="feedback-trend"')[1].split("</table>")[0]
    assert "2026-11-02" in trend and "hidden until 5 answers" in trend
    assert "focused" not in trend


def test_the_api_gives_a_teams_aggregates_suggestions_and_a_pairings_review(
    client: TestClient, users: Users, demo: Demo
) -> None:
    survey = _send(client, users, demo.team)
    url = f"/api/v1/teams/{demo.team}/surveys"
    body = client.get(url, headers=users.api("manager")).json()
    (row,) = [s for s in body["surveys"] if s["survey_id"] == survey]
    assert (row["answers"], row["shown"], row["mean_score"]) == (0, False, None)
    assert client.get(url, headers=users.api("rep")).status_code == 404
    found = client.get("/api/v1/pairings/suggestions?as_of=2026-11-13", headers=users.api("admin"))
    assert found.status_code == 200
    for item in found.json()["items"]:
        assert item["peer"]["rep_id"] != item["rep_id"]
        assert item["peer"]["rep_id"] in {best["rep_id"] for best in item["best"]}
    mine = client.get("/api/v1/pairings/suggestions?as_of=2026-11-13", headers=users.api("rep"))
    assert {item["rep_id"] for item in mine.json()["items"]} <= {demo.own_rep}
