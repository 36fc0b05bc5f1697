"""The Monday view (#24): after a second import in which one rep's deals slip and another's
activity drops, their manager's view lists those changes and nothing the difference between
the two data versions does not explain.

The store (tests.support.monday) holds the demo export twice, a week apart; the slipped deals
and the idle week were made by hand there, and the bookings each rep had by each day are
counted here from the CSV file, so the page is checked against the data, not against the code
that made it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from attain.config import load_settings
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE, sign_in
from tests.support.monday import TwoVersions, two_versions
from tests.support.web import PASSWORD, Demo, add_role_users

ROLES = ("admin", "manager", "rep")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> TwoVersions:
    return two_versions(tmp_path_factory.mktemp("monday"))


@pytest.fixture(scope="module")
def pages(store: TwoVersions, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The Monday view's HTML as each role sees it (the manager manages the changed reps'
    team; the rep user is the rep whose deals slipped)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTAIN_CONFIG", str(store.folder / "attain.toml"))
        settings = load_settings()
    url = f"sqlite:///{tmp_path_factory.mktemp('monday-appdb') / 'app.db'}"
    demo = Demo(store.folder, store.store, settings, store.team, store.slipper, "", (store.team,))
    add_role_users(url, demo)
    app = create_app(settings, store=str(store.store), app_db=url)
    with TestClient(app, follow_redirects=False) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        seen = {}
        for role in ROLES:
            started = sign_in(engine, f"{role}@example.com", PASSWORD)
            assert started is not None
            answer = client.get("/monday", headers={"Cookie": f"{SESSION_COOKIE}={started[0]}"})
            assert answer.status_code == 200, answer.text[:500]
            seen[role] = answer.text
        yield seen


def ids_of(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf'data-testid="{re.escape(prefix)}([^"]+)"', html))


def row(html: str, testid: str) -> str:
    """The `<tr>` with this data-testid."""
    found = re.search(rf'<tr data-testid="{re.escape(testid)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found is not None, testid
    return found.group(1)


def values(html: str) -> list[float | None]:
    """The data-value of each cell of a row, in order (None for an empty one)."""
    return [
        float(v) if v not in ("", "None") else None
        for v in re.findall(r'data-value="([^"]*)"', html)
    ]


def booked(store: TwoVersions, rep: str, day: date) -> float:
    """The rep's won bookings from the quarter's start to `day`, counted from the CSV file (the
    demo's quarters are calendar quarters)."""
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    total = 0.0
    with (store.folder / "opportunities.csv").open(newline="") as handle:
        for deal in csv.DictReader(handle):
            if deal["owner_rep_id"] != rep or deal["is_won"] != "true" or not deal["closed_at"]:
                continue
            if start <= datetime.fromisoformat(deal["closed_at"]).date() <= day:
                total += float(deal["amount"])
    return total


def test_the_manager_sees_the_slipped_deals_and_nothing_else_of_the_deals(
    pages: dict[str, str], store: TwoVersions
) -> None:
    html = pages["manager"]
    assert store.slipped
    assert ids_of(html, "monday-deal-") == {f"pushed_out-{deal}" for deal in store.slipped}
    for deal, (before, after) in store.slipped.items():
        cells = row(html, f"monday-deal-pushed_out-{deal}")
        assert f"<td>{before}</td><td>{after}</td>" in cells


def test_the_manager_sees_the_idle_rep_and_only_them_with_activity_down(
    pages: dict[str, str], store: TwoVersions
) -> None:
    html = pages["manager"]
    assert ids_of(html, "monday-activity-") == {store.idler}
    latest, usual = values(row(html, f"monday-activity-{store.idler}"))
    assert latest == 0 and usual is not None and usual >= 5
    assert f"monday-finding-new-{store.idler}-activity_drop" in html


def test_every_status_change_shows_the_bookings_the_data_holds(
    pages: dict[str, str], store: TwoVersions
) -> None:
    """Each rep listed as changing status is in the manager's team, and the bookings shown
    before and after are what the CSV file holds by each version's last day: the status moved
    because bookings came in, or did not come in while the quarter went on."""
    html = pages["manager"]
    listed = ids_of(html, "monday-status-")
    assert f"rep-{store.idler}" in listed
    for key in listed:
        scope, _, who = key.partition("-")
        assert scope in ("rep", "team"), key
        if scope == "team":
            assert who == store.team
            continue
        _, _, before, after = values(row(html, f"monday-status-{key}"))[:4]
        assert before == pytest.approx(booked(store, who, store.before_day)), who
        assert after == pytest.approx(booked(store, who, store.after_day)), who


def test_findings_listed_are_of_the_managers_team_only(
    pages: dict[str, str], store: TwoVersions
) -> None:
    with (store.folder / "reps.csv").open(newline="") as handle:
        team_of = {r["rep_id"]: r["team_id"] for r in csv.DictReader(handle)}
    for key in ids_of(pages["manager"], "monday-finding-"):
        who = key.split("-")[1]
        assert who == store.team or team_of.get(who) == store.team, key


def test_the_rep_sees_their_own_slipped_deals_but_not_their_colleague(
    pages: dict[str, str], store: TwoVersions
) -> None:
    html = pages["rep"]
    assert ids_of(html, "monday-deal-") == {f"pushed_out-{deal}" for deal in store.slipped}
    assert ids_of(html, "monday-activity-") == set()
    assert store.idler not in " ".join(ids_of(html, "monday-"))


def test_the_admin_sees_the_same_deal_changes(pages: dict[str, str], store: TwoVersions) -> None:
    """Nothing else changed in the deals anywhere in the company."""
    assert ids_of(pages["admin"], "monday-deal-") == {f"pushed_out-{d}" for d in store.slipped}
    assert ids_of(pages["admin"], "monday-activity-") == {store.idler}
