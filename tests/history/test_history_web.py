"""The waterfall page and API and the changes API over the hand-built history store
(history_support.py), through the app's test client: the company's numbers for an admin, a
manager's own team by default, a rep's own deals, 404 outside the scope, 403 for marketing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.users import add_user, create_api_token, get_user
from attain.config import load_settings
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE, sign_in

PASSWORD = "correct horse battery"
PAGE = "/pipeline/waterfall?period=2026-Q4&as_of=2026-10-21"


@pytest.fixture(scope="module")
def client(history_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'app.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        add_user(session, "admin@example.com", "Ada", "admin", PASSWORD)
        add_user(session, "manager@example.com", "Max", "manager", PASSWORD, teams=["A"])
        add_user(session, "rep@example.com", "Rae", "rep", PASSWORD, rep_id="r3")
        add_user(session, "marketing@example.com", "Mo", "marketing", PASSWORD)
    engine.dispose()
    app = create_app(load_settings(), store=history_db, app_db=url)
    with TestClient(app, follow_redirects=False) as running:
        yield running


def token(client: TestClient, role: str) -> dict[str, str]:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        secret = create_api_token(session, get_user(session, f"{role}@example.com"), "tests")[1]
    return {"Authorization": f"Bearer {secret}"}


def get(client: TestClient, role: str, path: str = PAGE) -> tuple[int, str]:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    started = sign_in(engine, f"{role}@example.com", PASSWORD)
    assert started is not None
    response = client.get(path, headers={"Cookie": f"{SESSION_COOKIE}={started[0]}"})
    return response.status_code, response.text


def test_an_admin_sees_the_company_s_weeks_and_the_deals_behind_the_bars(
    client: TestClient,
) -> None:
    status, page = get(client, "admin")
    assert status == 200, page[:300]
    assert "Pipeline waterfall: 2026-Q4</h1>" in page
    assert 'data-testid="waterfall-week-3"' in page
    assert '<td data-value="3500.0">3,500 (7)</td>' in page
    assert '<td data-value="2950.0">2,950 (5)</td>' in page
    assert "D6 (Rep r1) -600" in page and "D10 (Rep r1) 1,000" in page
    assert 'data-testid="pipeline-waterfall"' in page  # the chart


def test_a_manager_sees_their_team_and_not_another(client: TestClient) -> None:
    status, page = get(client, "manager")
    assert status == 200
    assert "Team A</h1>" in page and '<td data-value="2600.0">2,600 (6)</td>' in page
    assert get(client, "manager", PAGE + "&team=B")[0] == 404
    assert get(client, "manager", PAGE + "&rep=r1")[0] == 200  # r1 is in team A


def test_a_rep_sees_only_their_own_deals(client: TestClient) -> None:
    status, page = get(client, "rep")
    assert status == 200
    assert "Rep r3</h1>" in page and '<td data-value="900.0">900 (1)</td>' in page
    assert "D7 (Rep r3) 700" in page and "D6" not in page
    assert get(client, "rep", PAGE + "&rep=r1")[0] == 404
    assert get(client, "rep", PAGE + "&team=B")[0] == 404


def test_marketing_may_not_see_it(client: TestClient) -> None:
    assert get(client, "marketing")[0] == 403


@pytest.mark.parametrize("period", ["soon", "0001-01-01..9999-12-31", "1800-Q1"])
def test_a_period_it_cannot_read_is_a_client_error(client: TestClient, period: str) -> None:
    assert get(client, "admin", f"/pipeline/waterfall?period={period}&as_of=2026-10-21")[0] == 400


def test_the_api_gives_the_same_weeks_as_json_and_csv(client: TestClient) -> None:
    api = "/api/v1/pipeline/waterfall?period=2026-Q4&as_of=2026-10-21"
    body = client.get(api + "&team=A", headers=token(client, "admin")).json()
    first = body["weeks"][0]
    assert (first["start_amount"], first["end_amount"]) == (2600.0, 1350.0)
    assert "chart" not in body
    rows = client.get(api + "&format=csv", headers=token(client, "manager")).text.splitlines()
    assert rows[0] == "week,week_start,week_end,line,deals,amount"
    assert rows[1] == "1,2026-10-01,2026-10-07,start,6,2600.0"  # the manager's team A
    answer = client.get(api + "&team=B", headers=token(client, "manager"))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_changes_api_cuts_the_record_to_what_each_user_sees(client: TestClient) -> None:
    api = "/api/v1/changes?since=1&until=2"
    everything = client.get(api, headers=token(client, "admin")).json()
    totals = {t["kind"]: (t["deals"], t["amount"]) for t in everything["totals"]}
    assert totals["deleted"] == (1, 600.0) and totals["reassigned"] == (1, 700.0)
    assert everything["reps"] == [{"rep_id": "r2", "team_before": "A", "team_after": "B"}]
    # The rep user is r3: D7 reassigned to them; r2 is no concern of theirs.
    own = client.get(api, headers=token(client, "rep")).json()
    assert [(c["kind"], c["opportunity_id"]) for c in own["deals"]] == [("reassigned", "D7")]
    assert own["reps"] == []
    # The manager of team A sees r1's deals and D7, which r1 gave away; r2 is in team B now.
    managed = client.get(api + "&format=csv", headers=token(client, "manager")).text
    assert "reassigned,D7,r3,700.0,r1,r3" in managed and "deleted,D6,r1,600.0" in managed
    assert "changed_team" not in managed
    assert "deleted,D6,r1,600.0,Qualify,,Rep r1" in managed  # ids, then the rep's name
    assert client.get(api, headers=token(client, "marketing")).status_code == 403


@pytest.mark.parametrize("since", ["soon", "99999999999999999999", "0001-01-01", "42"])
def test_the_changes_api_answers_a_moment_it_cannot_read_with_400(
    client: TestClient, since: str
) -> None:
    answer = client.get(f"/api/v1/changes?since={since}", headers=token(client, "admin"))
    assert answer.status_code == 400, answer.text


CALLS = "/pipeline/calls?period=2026-Q4&as_of=2026-10-21"


def test_the_calls_page_shows_each_week_s_calls_against_what_closed(client: TestClient) -> None:
    """The hand computation of test_calls.py: week 1 commit 770, pipeline 2,470; actual 1,420
    (so far: the quarter has not ended)."""
    status, page = get(client, "admin", CALLS)
    assert status == 200, page[:300]
    assert 'data-testid="calls-actual" data-value="1420.0"' in page
    assert "so far (the period has not ended)" in page
    assert '<td data-value="770.0">770 (-46%)</td>' in page
    assert '<td data-value="3470.0">3,470 (+144%)</td>' in page
    assert 'data-testid="forecast-calls"' in page  # the chart
    assert get(client, "manager", CALLS + "&team=B")[0] == 404
    assert get(client, "marketing", CALLS)[0] == 403


def test_the_calls_api_gives_the_team_s_weeks_with_their_errors(client: TestClient) -> None:
    api = "/api/v1/pipeline/calls?period=2026-Q4&as_of=2026-10-07&team=A"
    answer = client.get(api, headers=token(client, "admin")).json()
    first = answer["weeks"][0]
    assert (first["won"], first["commit"], first["pipeline"]) == (420.0, 350.0, 1000.0)
    assert first["errors"]["commit_call"] == pytest.approx((770.0 - 1420.0) / 1420.0)
    csv_text = client.get(api + "&format=csv", headers=token(client, "manager")).text
    assert csv_text.splitlines()[0].startswith("week,")


def test_the_changes_page_lists_what_changed_for_each_user(client: TestClient) -> None:
    status, page = get(client, "admin", "/changes?since=1&until=2")
    assert status == 200, page[:300]
    assert 'data-testid="change-deleted"' in page and '<td data-value="600.0">600</td>' in page
    assert "<td>Rep r2</td><td>Team A</td><td>Team B</td>" in page
    status, own = get(client, "rep", "/changes?since=1&until=2")
    assert status == 200 and "D7" in own and "D6" not in own and "<td>Rep r2</td>" not in own
    assert get(client, "rep", "/changes?since=soon")[0] == 400
