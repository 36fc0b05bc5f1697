"""Programs, the skills matrix, ramp, product priorities and compensation through the app:
pages and API show the core's numbers, forms write through the services (and the audit log),
and each role sees only what docs/web.md says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from attain.appdb.database import session_scope
from attain.appdb.models import AuditEntry, Skill, User
from attain.errors import ConfigError
from attain.metrics.periods import quarter_of
from attain.store import connect
from attain.web.management import comp_plan
from attain.web.services import Services
from attain.workflow.compensation import bookings_quotas, load_plan, payout_report, won_deals
from attain.workflow.products import tier_map
from attain.workflow.programs import review_program
from attain.workflow.ramp import store_ramp
from attain.workflow.settings import WorkflowSettings
from attain.workflow.skills import recommend_training, suggest_skills
from tests.support.web import Demo, Users

AS_OF = "2026-11-13"
DAY = date.fromisoformat(AS_OF)


@pytest.fixture
def backend(demo: Demo) -> Iterator[Any]:
    """The demo store, read-only, for computing the core's answers directly."""
    store = connect(str(demo.store), read_only=True)
    try:
        yield store
    finally:
        store.disconnect()


def _engine(client: TestClient) -> Any:
    return client.app.state.engine  # type: ignore[attr-defined]


def _form(users: Users, role: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": users.csrf[role], **fields}


def test_a_program_started_and_checked_in_through_the_forms_shows_the_cores_review(
    client: TestClient, users: Users, demo: Demo, backend: Any
) -> None:
    started = client.post(
        "/programs",
        data=_form(
            users, "manager", rep_id=demo.own_rep, start="2026-10-05", weeks="4", goal="Meet more"
        ),
        headers=users.page("manager"),
    )
    assert started.status_code == 303, started.text[:300]
    program_id = int(started.headers["location"].rsplit("/", 1)[1])
    checked = client.post(
        f"/programs/{program_id}/check-ins",
        data=_form(users, "manager", held_on="2026-10-16", minutes="25", notes="Two demos booked"),
        headers=users.page("manager"),
    )
    assert checked.status_code == 303, checked.text[:300]

    page = client.get(f"/programs/{program_id}?as_of={AS_OF}", headers=users.page("rep"))
    assert page.status_code == 200
    assert "Two demos booked" in page.text and f"program {program_id} week 2" in page.text
    api = client.get(
        f"/api/v1/programs/{program_id}/review?as_of={AS_OF}", headers=users.api("rep")
    ).json()
    with session_scope(_engine(client)) as session:
        core = review_program(
            session,
            backend,
            program_id,
            DAY,
            settings=demo.settings.workflow,
            zone=demo.settings.performance.timezone,
        ).to_dict()
    assert json.loads(json.dumps(core)).items() <= api.items()
    assert api["weeks_done"] == 4 and len(api["comparisons"]) == 4
    verdict = re.search(r'data-testid="program-verdict" data-value="(\w+)"', page.text)
    assert verdict and verdict[1] == core["verdict"]
    for comparison in core["comparisons"]:
        assert f'data-testid="comparison-{comparison["metric"]}"' in page.text

    listed = client.get(f"/api/v1/programs?rep_id={demo.own_rep}", headers=users.api("rep"))
    mine = [row for row in listed.json()["items"] if row["id"] == program_id]
    assert mine and mine[0]["check_ins"] == 1 and mine[0]["end"] == "2026-11-01"


def test_a_check_in_outside_the_programs_weeks_is_a_400_that_says_so(
    client: TestClient, users: Users, demo: Demo
) -> None:
    body = {"rep_id": demo.own_rep, "start": "2026-10-05", "weeks": 1, "goal": "One week"}
    made = client.post("/api/v1/programs", json=body, headers=users.api("admin")).json()
    late = {"held_at": "2026-10-20", "duration_minutes": 15}
    answer = client.post(
        f"/api/v1/programs/{made['id']}/check-ins", json=late, headers=users.api("admin")
    )
    assert answer.status_code == 400 and "outside it" in answer.json()["detail"]


def test_a_skill_scored_through_the_form_shows_in_the_matrix_and_drives_training(
    client: TestClient, users: Users, demo: Demo
) -> None:
    answer = client.post(
        "/skills",
        data=_form(users, "manager", rep_id=demo.own_rep, skill="negotiation", score="1"),
        headers=users.page("manager"),
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/skills/{demo.own_rep}"
    matrix = client.get("/skills", headers=users.page("rep")).text
    assert f'data-testid="skill-{demo.own_rep}-negotiation" data-value="1"' in matrix
    assert f'data-testid="skills-{demo.other_rep}"' not in matrix

    mine = client.get(
        f"/api/v1/reps/{demo.own_rep}/skills?as_of={AS_OF}", headers=users.api("rep")
    ).json()
    services = client.app.state.services  # type: ignore[attr-defined]
    suggestions = suggest_skills(services.diagnosis(DAY).findings, demo.own_rep)
    scores = {Skill(skill): entry["score"] for skill, entry in mine["scores"].items()}
    training = recommend_training(scores, suggestions, demo.settings.workflow)
    assert [t["skill"] for t in mine["training"]] == [t.skill.value for t in training]
    assert [s["skill"] for s in mine["suggestions"]] == [s.skill.value for s in suggestions]
    assert mine["training"][0]["skill"] == "negotiation"
    assert mine["scores"]["negotiation"]["scored_by"] == users.emails["manager"]
    page = client.get(f"/skills/{demo.own_rep}?as_of={AS_OF}", headers=users.page("rep"))
    assert 'data-testid="training-negotiation"' in page.text
    assert 'data-testid="score-skill"' not in page.text  # reps cannot score


def test_the_ramp_page_charts_a_new_hire_against_the_cohort_median_and_lists_the_cores_rows(
    client: TestClient, users: Users, demo: Demo, backend: Any
) -> None:
    core = store_ramp(
        backend,
        DAY,
        settings=demo.settings.workflow,
        zone=demo.settings.performance.timezone,
    )
    assert core, "the demo has a rep hired since its first activity"
    api = client.get(f"/api/v1/ramp?as_of={AS_OF}", headers=users.api("admin")).json()["items"]
    assert [row["rep_id"] for row in api] == [row.rep_id for row in core]
    assert [row["months"] for row in api] == [row.to_dict()["months"] for row in core]
    first = core[0]
    page = client.get(f"/ramp?as_of={AS_OF}&rep={first.rep_id}", headers=users.page("admin"))
    assert 'data-testid="ramp-chart"' in page.text and "cohort median" in page.text
    shown = re.search(rf'data-testid="ramp-{first.rep_id}">.*?data-value="([\d.]+)"', page.text)
    assert shown and float(shown[1]) == first.months[-1].cumulative_bookings


def test_a_rep_sees_only_their_own_ramp_line_and_404_for_another(
    client: TestClient, users: Users, demo: Demo
) -> None:
    rows = client.get(f"/api/v1/ramp?as_of={AS_OF}", headers=users.api("rep")).json()["items"]
    assert {row["rep_id"] for row in rows} <= {demo.own_rep}
    other = client.get(f"/ramp?rep={demo.other_rep}", headers=users.page("rep"))
    assert other.status_code == 404


def test_a_product_tier_edited_in_the_app_round_trips_and_is_in_the_audit_log(
    client: TestClient, users: Users
) -> None:
    before = client.get("/api/v1/products", headers=users.page("marketing")).json()["items"]
    product = next(row for row in before if row["tier"] == "standard")["product_id"]
    answer = client.post(
        f"/products/{product}",
        data=_form(users, "manager", tier="loss_leader", differentiators="Bundled free"),
        headers=users.page("manager"),
    )
    assert answer.status_code == 303, answer.text[:300]
    after = client.get("/api/v1/products", headers=users.page("marketing")).json()["items"]
    row = next(row for row in after if row["product_id"] == product)
    assert (row["tier"], row["source"], row["differentiators"]) == (
        "loss_leader",
        "app",
        "Bundled free",
    )
    page = client.get("/products", headers=users.page("marketing")).text
    assert f'data-testid="tier-{product}" data-value="loss_leader"' in page
    assert 'data-testid="priority-changes"' in page and users.emails["manager"] in page
    with session_scope(_engine(client)) as session:
        manager = session.scalars(select(User).where(User.email == users.emails["manager"])).one()
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.table_name == "product_priorities", AuditEntry.record_id == product
            )
        ).all()
        assert entries and entries[-1].user_id == manager.id
        assert json.loads(entries[-1].after or "{}")["tier"] == "loss_leader"
    put = client.put(
        f"/api/v1/products/{product}", json={"tier": "standard"}, headers=users.api("admin")
    )
    assert put.status_code == 200 and put.json()["tier"] == "standard"
    assert put.json()["differentiators"] == "Bundled free"  # kept when not sent
    unknown = client.put(
        "/api/v1/products/NOPE", json={"tier": "standard"}, headers=users.api("admin")
    )
    assert unknown.status_code == 404


def test_payouts_are_the_cores_and_each_role_sees_only_its_reps(
    client: TestClient, users: Users, demo: Demo, backend: Any
) -> None:
    plan_file = demo.settings.workflow.comp_plan
    assert plan_file is not None
    span = quarter_of(DAY)
    with session_scope(_engine(client)) as session:
        tiers = tier_map(session, backend)
    deals = won_deals(backend, span, tiers, demo.settings.performance.timezone)
    core = payout_report(load_plan(plan_file), span, deals, bookings_quotas(backend, span))
    admin = client.get(f"/api/v1/payouts?as_of={AS_OF}", headers=users.api("admin")).json()
    assert [(r["rep_id"], r["total"]) for r in admin["reps"]] == [
        (r.rep_id, r.total) for r in core.reps
    ]
    assert admin["tier_rates"] == core.to_dict()["tier_rates"]
    assert admin["finding"] == core.to_dict()["finding"]

    roster = client.app.state.services.roster()  # type: ignore[attr-defined]
    manager = client.get(f"/api/v1/payouts?as_of={AS_OF}", headers=users.api("manager")).json()
    assert {roster[r["rep_id"]].team_id for r in manager["reps"]} == {demo.team}
    rep = client.get(f"/api/v1/payouts?as_of={AS_OF}", headers=users.api("rep")).json()
    assert [r["rep_id"] for r in rep["reps"]] == [demo.own_rep]
    own = next(r for r in core.reps if r.rep_id == demo.own_rep)
    assert rep["reps"][0]["total"] == own.total
    page = client.get(f"/compensation?as_of={AS_OF}", headers=users.page("rep")).text
    assert f'data-testid="payout-total-{demo.own_rep}" data-value="{own.total}"' in page
    assert 'data-testid="payout-deals"' in page
    other = f"/api/v1/payouts?as_of={AS_OF}&rep_id={demo.other_rep}"
    assert client.get(other, headers=users.api("rep")).status_code == 404
    assert client.get(other, headers=users.api("manager")).status_code == 404


def test_a_period_outside_the_calendar_or_backwards_is_a_400(
    client: TestClient, users: Users
) -> None:
    for period in ("0001-Q1", "2026-12-31..2026-10-01", "Q4"):
        answer = client.get(f"/api/v1/payouts?period={period}", headers=users.api("admin"))
        assert answer.status_code == 400, period


def test_without_a_comp_plan_setting_payouts_say_what_to_set(demo: Demo) -> None:
    settings = demo.settings.model_copy(update={"workflow": WorkflowSettings()})
    with pytest.raises(ConfigError, match="comp_plan"):
        comp_plan(Services(settings, str(demo.store)))


@pytest.mark.parametrize("path", ["programs", "skills", "ramp", "products", "payouts"])
def test_the_management_lists_download_as_csv(client: TestClient, users: Users, path: str) -> None:
    answer = client.get(f"/api/v1/{path}?format=csv&as_of={AS_OF}", headers=users.api("admin"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "rep_id" in answer.text.splitlines()[0] or "product_id" in answer.text.splitlines()[0]


def test_marketing_reads_product_priorities_but_no_programs_skills_or_payouts(
    client: TestClient, users: Users
) -> None:
    nav = client.get("/products", headers=users.page("marketing")).text
    assert 'data-testid="nav-products"' in nav
    for link in ("programs", "skills", "ramp", "compensation"):
        assert f'data-testid="nav-{link}"' not in nav
    assert 'data-testid="save-' not in nav  # no edit form


def test_an_id_too_large_for_the_database_is_a_422_not_a_500(
    client: TestClient, users: Users
) -> None:
    huge = 10**20
    for url in (f"/api/v1/programs/{huge}/review", "/api/v1/programs/0/review"):
        assert client.get(url, headers=users.api("admin")).status_code == 422
    done = client.post(f"/api/v1/action-items/{huge}/done", headers=users.api("admin"))
    assert done.status_code == 422
    assert client.get(f"/programs/{huge}", headers=users.page("admin")).status_code == 422
