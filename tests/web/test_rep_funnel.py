"""The rep page's funnel against top performers: every rep with deals gets one, finding or not,
with the core's numbers on the page, in the API and in its CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict
from datetime import date

import pytest
from fastapi.testclient import TestClient

from attain.diagnosis.context import build_context
from attain.diagnosis.stage_leakage import FunnelTable, funnel_table
from attain.metrics.targets import rep_roster
from attain.store import connect
from tests.support.web import Demo, Users

AS_OF = "2026-11-13"


@pytest.fixture(scope="module")
def table(demo: Demo) -> FunnelTable:
    """The core's funnel table of the demo as of AS_OF, with the app's settings."""
    settings = demo.settings
    backend = connect(str(demo.store), read_only=True)
    try:
        ctx = build_context(
            backend,
            as_of=date.fromisoformat(AS_OF),
            performance=settings.performance,
            icp=settings.icp,
            window_days=settings.diagnosis.window_days,
        )
        found = funnel_table(ctx, settings.diagnosis.stage_leakage)
    finally:
        backend.disconnect()
    assert isinstance(found, FunnelTable)
    return found


def _rep_without_leakage_finding(client: TestClient, users: Users, table: FunnelTable) -> str:
    findings = client.get(
        f"/api/v1/diagnosis/findings?as_of={AS_OF}&per_page=500", headers=users.api("admin")
    ).json()["items"]
    leaking = {f["id"] for f in findings if f["cause"] == "stage_leakage"}
    return next(rep for rep in table.sellers if table.steps(rep) and rep not in leaking)


def test_a_rep_without_a_stage_leakage_finding_gets_the_cores_funnel(
    client: TestClient, users: Users, table: FunnelTable
) -> None:
    rep = _rep_without_leakage_finding(client, users, table)
    steps = table.steps(rep)

    detail = client.get(f"/api/v1/reps/{rep}?as_of={AS_OF}", headers=users.api("admin")).json()
    funnel = detail["funnel"]
    assert not any(f["cause"] == "stage_leakage" for f in detail["findings"])
    assert [row["stage"] for row in funnel["stages"]] == list(table.stages)
    for row, step in zip(funnel["stages"], steps, strict=True):
        assert row == {**asdict(step), "shortfall": step.shortfall}
        if step.rep_rate is not None:
            assert step.rep_rate == pytest.approx(step.rep_adv / step.rep_n)
    assert funnel["widest_gap"] == table.widest_gap(rep)
    assert funnel["reason"] is None
    assert funnel["chart"]["layer"]
    alone = client.get(f"/api/v1/reps/{rep}/funnel?as_of={AS_OF}", headers=users.api("admin"))
    assert alone.json()["stages"] == funnel["stages"]

    page = client.get(f"/reps/{rep}?as_of={AS_OF}", headers=users.page("admin")).text
    assert "Funnel against top performers" in page
    assert 'data-testid="rep-funnel-chart"' in page
    for k, step in enumerate(steps, start=1):
        row = re.search(f'data-testid="funnel-step-{k}" data-stage="([^"]+)">(.*?)</tr>', page)
        assert row is not None
        assert row.group(1) == step.stage
        values = re.findall(r'data-value="([^"]*)"', row.group(2))
        assert values[0] == str(step.rep_n)
        assert values[1:] == [str(rate) for rate in (step.rep_rate, step.top_rate, step.peer_rate)]
    widest = table.widest_gap(rep)
    assert ('data-testid="funnel-widest-gap"' in page) is (widest is not None)


def test_the_funnel_rows_download_as_csv(
    client: TestClient, users: Users, demo: Demo, table: FunnelTable
) -> None:
    url = f"/api/v1/reps/{demo.own_rep}/funnel?as_of={AS_OF}&format=csv"
    response = client.get(url, headers=users.api("rep"))

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    steps = table.steps(demo.own_rep)
    assert [row["stage"] for row in rows] == [step.stage for step in steps]
    for row, step in zip(rows, steps, strict=True):
        assert (int(row["rep_n"]), int(row["rep_adv"])) == (step.rep_n, step.rep_adv)
        assert (int(row["top_n"]), int(row["peer_n"])) == (step.top_n, step.peer_n)
    page = client.get(f"/reps/{demo.own_rep}?as_of={AS_OF}", headers=users.page("rep")).text
    assert f'href="/api/v1/reps/{demo.own_rep}/funnel?format=csv&as_of={AS_OF}"' in page


def test_a_rep_not_compared_gets_the_reason_instead(
    client: TestClient, users: Users, demo: Demo, table: FunnelTable
) -> None:
    backend = connect(str(demo.store), read_only=True)
    try:
        roster = rep_roster(backend)
    finally:
        backend.disconnect()
    rep = next(str(r) for r in roster["rep_id"] if str(r) not in table.sellers)

    detail = client.get(f"/api/v1/reps/{rep}?as_of={AS_OF}", headers=users.api("admin")).json()

    funnel = detail["funnel"]
    assert funnel["stages"] == []
    assert funnel["reason"].startswith("only selling reps employed from ")
    page = client.get(f"/reps/{rep}?as_of={AS_OF}", headers=users.page("admin")).text
    assert f"No funnel: {funnel['reason']}." in page
