"""Every page of the web app says how fresh the data is ("data through D", the data's last day
as every command computes it), and the diagnosis page says what it could check (issue 19)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from attain.store import connect
from attain.store.freshness import data_through
from tests.support.web import Demo, Users

PAGES = ("/team", "/forecast", "/diagnosis", "/coaching", "/digest", "/leads")


@pytest.fixture(scope="module")
def through(demo: Demo) -> str:
    backend = connect(str(demo.store), read_only=True)
    try:
        day = data_through(backend)
    finally:
        backend.disconnect()
    assert day is not None
    return day.isoformat()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_says_how_fresh_the_data_is(
    client: TestClient, users: Users, through: str, path: str
) -> None:
    page = client.get(path, headers=users.page("admin"))
    assert page.status_code == 200, page.text[:300]
    assert f'<span class="freshness" data-testid="freshness">data through {through}</span>' in (
        page.text
    )


def test_the_diagnosis_page_says_what_was_checked(client: TestClient, users: Users) -> None:
    page = client.get("/diagnosis", headers=users.page("admin"))
    assert 'data-testid="diagnosis-headline"' in page.text
    assert "of 9 causes" in page.text or "none of the causes checked" in page.text
