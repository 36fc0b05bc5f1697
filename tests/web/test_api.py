"""The JSON API: numbers equal the core's, lists paginate, errors are problem details, tables
come as CSV, and results are cached per data version."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from attain.ingest.importer import import_files
from attain.metrics.report import performance_report
from attain.reports.performance import rep_lines, scope_lines
from attain.store import connect, raw_duckdb
from attain.web.services import Services
from tests.support.web import Demo, Users

AS_OF = "2026-11-13"


def test_team_overview_numbers_are_the_cores(client: TestClient, users: Users, demo: Demo) -> None:
    backend = connect(str(demo.store), read_only=True)
    try:
        report = performance_report(
            backend, demo.settings.performance, as_of=date.fromisoformat(AS_OF)
        )
    finally:
        backend.disconnect()
    body = client.get(f"/api/v1/team-overview?as_of={AS_OF}", headers=users.api("admin")).json()
    expected = {line.rep_id: line for line in rep_lines(report)}
    assert [rep["rep_id"] for rep in body["reps"]] == list(expected)
    for rep in body["reps"]:
        line = expected[rep["rep_id"]]
        assert rep["actual"] == pytest.approx(line.actual)
        assert rep["target"] == pytest.approx(line.target)
        assert rep["pace_ratio"] == pytest.approx(line.pace_ratio)
        assert rep["status"] == line.status
        assert rep["performance_class"] == line.performance_class
    (company,) = scope_lines(report, "company")
    assert body["company"][0]["actual"] == pytest.approx(company.actual)
    assert body["company"][0]["target"] == pytest.approx(company.target)

    page = client.get(f"/team?as_of={AS_OF}", headers=users.page("admin")).text
    assert f'data-testid="company-actual" data-value="{company.actual}"' in page
    some = next(iter(expected.values()))
    assert f'data-testid="rep-actual-{some.rep_id}" data-value="{some.actual}"' in page


def test_a_rep_sees_only_their_own_line_and_the_team_totals(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = client.get(f"/api/v1/team-overview?as_of={AS_OF}", headers=users.api("rep")).json()
    admin = client.get(f"/api/v1/team-overview?as_of={AS_OF}", headers=users.api("admin"))
    assert [rep["rep_id"] for rep in body["reps"]] == [demo.own_rep]
    assert body["teams"] == admin.json()["teams"]
    assert len(body["company"]) == 1
    assert all(f["scope"] == "rep" and f["id"] == demo.own_rep for f in body["top_findings"])


def test_a_manager_sees_only_their_teams_reps_and_no_company_total(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = client.get(f"/api/v1/team-overview?as_of={AS_OF}", headers=users.api("manager")).json()
    roster = client.app.state.services.roster()  # type: ignore[attr-defined]
    assert body["reps"]
    assert {roster[rep["rep_id"]].team_id for rep in body["reps"]} == {demo.team}
    assert [team["id"] for team in body["teams"]] == [demo.team]
    assert body["company"] == []
    forecast = client.get(f"/api/v1/forecast?as_of={AS_OF}", headers=users.api("manager")).json()
    assert {row["scope"] for row in forecast["rows"]} <= {"team", "rep"}


def test_lists_paginate_with_totals_and_link_headers(client: TestClient, users: Users) -> None:
    first = client.get(f"/api/v1/reps?as_of={AS_OF}&per_page=5", headers=users.api("admin"))
    body = first.json()
    assert body["page"] == 1
    assert body["per_page"] == 5
    assert len(body["items"]) == 5
    assert body["pages"] == -(-body["total"] // 5)
    assert 'rel="next"' in first.headers["link"]
    assert 'rel="prev"' not in first.headers["link"]
    everyone = []
    for page in range(1, body["pages"] + 1):
        url = f"/api/v1/reps?as_of={AS_OF}&per_page=5&page={page}"
        everyone += client.get(url, headers=users.api("admin")).json()["items"]
    assert len(everyone) == body["total"]
    assert len({rep["rep_id"] for rep in everyone}) == body["total"]
    beyond = client.get(
        f"/api/v1/reps?as_of={AS_OF}&per_page=5&page={body['pages'] + 1}",
        headers=users.api("admin"),
    )
    assert beyond.json()["items"] == []


def test_findings_and_lead_grades_paginate(client: TestClient, users: Users) -> None:
    findings = client.get(
        f"/api/v1/diagnosis/findings?as_of={AS_OF}&per_page=3", headers=users.api("admin")
    ).json()
    assert len(findings["items"]) == min(3, findings["total"])
    stakes = [f["bookings_at_stake"] for f in findings["items"]]
    assert stakes == sorted(stakes, reverse=True)
    grades = client.get("/api/v1/leads/grades?per_page=10", headers=users.api("marketing"))
    items = grades.json()["items"]
    assert len(items) == 10
    assert {item["grade"] for item in items} <= {"A", "B", "C", "D", None}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/reps/R9999", 404),
        ("/api/v1/reps?per_page=0", 422),
        ("/api/v1/reps?as_of=not-a-day", 422),
        ("/api/v1/forecast?scope=galaxy", 422),
        ("/api/v1/no-such-thing", 404),
    ],
)
def test_errors_are_problem_details(
    client: TestClient, users: Users, url: str, status: int
) -> None:
    response = client.get(url, headers=users.api("admin"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == url.split("?")[0]
    if status == 422:
        assert body["errors"]


def test_a_bad_format_names_the_formats_a_client_can_send(client: TestClient, users: Users) -> None:
    response = client.get("/api/v1/reps?format=xml", headers=users.api("admin"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'json'" in detail and "'csv'" in detail
    assert "Format." not in detail and "<" not in detail


def test_every_table_downloads_as_csv(client: TestClient, users: Users) -> None:
    for url, role in [
        (f"/api/v1/team-overview?as_of={AS_OF}&format=csv", "admin"),
        (f"/api/v1/reps?as_of={AS_OF}&format=csv", "admin"),
        (f"/api/v1/forecast?as_of={AS_OF}&format=csv", "admin"),
        (f"/api/v1/diagnosis/findings?as_of={AS_OF}&format=csv", "admin"),
        ("/api/v1/channels?format=csv", "marketing"),
        ("/api/v1/leads/grades?format=csv", "marketing"),
        ("/api/v1/action-items?format=csv", "admin"),
    ]:
        response = client.get(url, headers=users.api(role))
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows and rows[0], url


def test_the_openapi_document_lists_every_api_route(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/team-overview" in document["paths"]
    assert "/api/v1/reps/{rep_id}" in document["paths"]
    assert not any(path.startswith("/team") for path in document["paths"])


def test_rep_detail_has_pacing_findings_and_coaching_agenda(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = client.get(f"/api/v1/reps/{demo.own_rep}?as_of={AS_OF}", headers=users.api("rep"))
    detail = body.json()
    assert detail["rep_id"] == demo.own_rep
    assert detail["weekly_targets"]
    assert sum(week["target"] for week in detail["weekly_targets"]) == pytest.approx(
        detail["line"]["target"]
    )
    assert detail["charts"]
    assert len(detail["coaching_agenda"]) == sum(len(f["questions"]) for f in detail["findings"])


def test_results_are_cached_until_an_import_changes_the_data_version(
    demo: Demo, tmp_path: Path
) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(demo.store, store)
    services = Services(demo.settings, str(store))
    day = date.fromisoformat(AS_OF)
    first = services.report(day)
    computed = services.computations
    assert services.report(day) is first
    assert services.computations == computed

    # An export identical to the last commits nothing (docs/history.md): change one rep's name.
    export = tmp_path / "export"
    shutil.copytree(demo.folder, export, ignore=shutil.ignore_patterns("*.duckdb*"))
    reps = (export / "reps.csv").read_text().splitlines()
    row = reps[1].split(",")
    reps[1] = ",".join([row[0], "Renamed In The Export", *row[2:]])
    (export / "reps.csv").write_text("\n".join(reps) + "\n")
    backend = connect(str(store))
    try:
        assert import_files(raw_duckdb(backend), [export]).version is not None
    finally:
        backend.disconnect()
    again = services.report(day)
    assert again is not first
    assert services.computations > computed


def test_the_team_page_lists_the_most_at_risk_reps_first_and_links_to_all(
    client: TestClient, users: Users
) -> None:
    body = client.get(f"/api/v1/team-overview?as_of={AS_OF}", headers=users.api("admin")).json()
    page = client.get(f"/team?as_of={AS_OF}&limit=3", headers=users.page("admin")).text
    shown = [rep["rep_id"] for rep in body["reps"][:3]]
    hidden = [rep["rep_id"] for rep in body["reps"][3:]]
    assert all(f'id="rep-{rep}"' in page for rep in shown)
    assert not any(f'id="rep-{rep}"' in page for rep in hidden)
    assert 'data-testid="all-reps"' in page


def test_an_htmx_request_for_the_content_gets_only_the_content(
    client: TestClient, users: Users
) -> None:
    headers = {**users.page("manager"), "HX-Request": "true", "HX-Target": "content"}
    fragment = client.get(f"/team?as_of={AS_OF}", headers=headers).text
    assert "<html" not in fragment
    assert 'data-testid="reps-table"' in fragment
    full = client.get(f"/team?as_of={AS_OF}", headers=users.page("manager")).text
    assert full.startswith("<!doctype html>")
    assert '<script src="/static/vega-embed.min.js"' in full


def test_the_vendored_assets_are_served_from_the_package(client: TestClient) -> None:
    for name in ("htmx.min.js", "vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert len(response.content) > 10_000
