"""GET /pipeline/waterfall over the hand-built history store (history_support.py), through the
app's test client: the company's numbers for an admin, a manager's own team by default, a
rep's own deals, 404 outside the scope and 403 for marketing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.users import add_user
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
    assert "D6 (r1) -600" in page and "D10 (r1) 1,000" in page
    assert 'data-testid="pipeline-waterfall"' in page  # the chart


def test_a_manager_sees_their_team_and_not_another(client: TestClient) -> None:
    status, page = get(client, "manager")
    assert status == 200
    assert "team A</h1>" in page and '<td data-value="2600.0">2,600 (6)</td>' in page
    assert get(client, "manager", PAGE + "&team=B")[0] == 404
    assert get(client, "manager", PAGE + "&rep=r1")[0] == 200  # r1 is in team A


def test_a_rep_sees_only_their_own_deals(client: TestClient) -> None:
    status, page = get(client, "rep")
    assert status == 200
    assert "rep r3</h1>" in page and '<td data-value="900.0">900 (1)</td>' in page
    assert "D7 (r3) 700" in page and "D6" not in page
    assert get(client, "rep", PAGE + "&rep=r1")[0] == 404
    assert get(client, "rep", PAGE + "&team=B")[0] == 404


def test_marketing_may_not_see_it(client: TestClient) -> None:
    assert get(client, "marketing")[0] == 403


@pytest.mark.parametrize("period", ["soon", "0001-01-01..9999-12-31", "1800-Q1"])
def test_a_period_it_cannot_read_is_a_client_error(client: TestClient, period: str) -> None:
    assert get(client, "admin", f"/pipeline/waterfall?period={period}&as_of=2026-10-21")[0] == 400
