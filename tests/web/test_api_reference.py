"""Every JSON API endpoint answers exactly what it answered before the routes moved to
`web/routes/` and gained response models (issue #18): FastAPI drops the keys a response model
does not declare, so a model that forgets a field would silently thin the API.

`api_reference.json.gz` holds, per request, the status and body the API gave over the demo
organisation of conftest.py, recorded with the code as it stood before that change. A fresh app
database (the role users, then a fixed series of writes) makes ids and records the same every
run; every request names its as-of day, so "today" does not move the numbers. Only values
taken from the wall clock (a record's creation time) are masked.

Re-record (only when a change of behaviour is intended):
`ATTAIN_RECORD_API_REFERENCE=1 .venv/bin/pytest tests/web/test_api_reference.py`
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from attain.appdb.database import session_scope
from attain.appdb.users import create_api_token, get_user
from attain.web.app import create_app
from tests.support.web import Demo, add_role_users

REFERENCE = Path(__file__).parent / "api_reference.json.gz"
ROLES = ("admin", "manager", "rep", "marketing")
AS_OF = "2026-11-13"
"""The demo's last day of data (DemoSpec's default as_of)."""

WRITES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "POST",
        "/api/v1/coaching-sessions",
        {
            "rep_id": "{own}",
            "held_at": "2026-11-10T10:00:00+00:00",
            "duration_minutes": 30,
            "topics": ["pipeline", "discovery"],
            "notes": "Stalled deals",
            "actions": [
                {
                    "title": "Call back the stalled deals",
                    "owner": "{own}",
                    "due_date": "2030-01-01",
                },
                {"title": "Review discovery notes", "owner": "{own}", "due_date": "2026-11-01"},
            ],
        },
    ),
    (
        "POST",
        "/api/v1/coaching-sessions",
        {"rep_id": "{other}", "held_at": "2026-11-03T09:00:00+00:00", "duration_minutes": 45},
    ),
    ("POST", "/api/v1/action-items/1/done", {}),
    (
        "POST",
        "/api/v1/programs",
        {"rep_id": "{own}", "start": "2026-10-19", "weeks": 6, "goal": "More meetings"},
    ),
    (
        "POST",
        "/api/v1/programs",
        {"rep_id": "{other}", "start": "2026-10-05", "weeks": 4, "goal": "Close faster"},
    ),
    (
        "POST",
        "/api/v1/programs/1/check-ins",
        {"held_at": "2026-11-02T00:00:00+00:00", "duration_minutes": 20, "topics": ["calls"]},
    ),
    ("POST", "/api/v1/skills", {"rep_id": "{own}", "skill": "closing", "score": 2, "note": "x"}),
    ("POST", "/api/v1/skills", {"rep_id": "{other}", "skill": "discovery", "score": 4}),
    ("PUT", "/api/v1/products/{product}", {"tier": "priority", "differentiators": "Fast"}),
)
"""Writes the admin makes first, in this order, so that every list has records to show."""

READS = (
    "/api/v1/me",
    "/api/v1/team-overview?as_of={as_of}",
    "/api/v1/team-overview?as_of={as_of}&team={team}",
    "/api/v1/reps?as_of={as_of}",
    "/api/v1/reps?as_of={as_of}&page=2&per_page=5",
    "/api/v1/reps/{own}?as_of={as_of}",
    "/api/v1/reps/{other}?as_of={as_of}",
    "/api/v1/forecast?as_of={as_of}",
    "/api/v1/forecast?as_of={as_of}&scope=team",
    "/api/v1/pipeline/waterfall?as_of={as_of}",
    "/api/v1/pipeline/waterfall?as_of={as_of}&rep={own}",
    "/api/v1/changes",
    "/api/v1/diagnosis/findings?as_of={as_of}",
    "/api/v1/channels?as_of={as_of}",
    "/api/v1/leads/grades?as_of={as_of}",
    "/api/v1/leads/grades?as_of={as_of}&page=3&per_page=7",
    "/api/v1/leads/icp",
    "/api/v1/goals",
    "/api/v1/coaching-sessions",
    "/api/v1/coaching-sessions?rep_id={own}",
    "/api/v1/action-items",
    "/api/v1/reps/{own}/agenda?as_of={as_of}",
    "/api/v1/reps/{own}/plan?as_of={as_of}",
    "/api/v1/reps/{own}/funnel?as_of={as_of}",
    "/api/v1/coaching/coverage?as_of={as_of}",
    "/api/v1/digest?as_of={as_of}",
    "/api/v1/digest?as_of={as_of}&rep={own}",
    "/api/v1/alignment?as_of={as_of}",
    "/api/v1/programs",
    "/api/v1/programs/1/review?as_of={as_of}",
    "/api/v1/programs/2/review?as_of={as_of}",
    "/api/v1/skills",
    "/api/v1/reps/{own}/skills?as_of={as_of}",
    "/api/v1/ramp?as_of={as_of}",
    "/api/v1/ramp?as_of={as_of}&behind=true",
    "/api/v1/products",
    "/api/v1/payouts?as_of={as_of}",
    "/api/v1/payouts?as_of={as_of}&period=2026-Q3&rep_id={own}",
    "/api/v1/tokens",
    "/api/v1/users",
)
"""GET requests every role makes, after the writes."""

EDGE_DAYS = ("2026-10-01", "2026-02-02", "2025-06-30")
"""A quarter's first day (nothing booked yet), an early quarter of the demo's data, and a day
before it: where the core computes no rate, no class or no forecast, and says so."""

EDGES = (
    "/api/v1/reps/{unsold}?as_of={as_of}",
    "/api/v1/reps/{unsold}/agenda?as_of={as_of}",
    "/api/v1/reps/{unsold}/plan?as_of={as_of}",
    "/api/v1/reps/{unsold}/funnel?as_of={as_of}",
    "/api/v1/reps/{unsold}/skills?as_of={as_of}",
    *(
        path.replace("{as_of}", day)
        for day in EDGE_DAYS
        for path in (
            "/api/v1/team-overview?as_of={as_of}",
            "/api/v1/reps?as_of={as_of}",
            "/api/v1/reps/{own}?as_of={as_of}",
            "/api/v1/reps/{own}/agenda?as_of={as_of}",
            "/api/v1/reps/{own}/plan?as_of={as_of}",
            "/api/v1/reps/{own}/funnel?as_of={as_of}",
            "/api/v1/reps/{own}/skills?as_of={as_of}",
            "/api/v1/forecast?as_of={as_of}",
            "/api/v1/pipeline/waterfall?as_of={as_of}",
            "/api/v1/diagnosis/findings?as_of={as_of}",
            "/api/v1/channels?as_of={as_of}",
            "/api/v1/coaching/coverage?as_of={as_of}",
            "/api/v1/digest?as_of={as_of}",
            "/api/v1/alignment?as_of={as_of}",
            "/api/v1/ramp?as_of={as_of}",
            "/api/v1/payouts?as_of={as_of}",
            "/api/v1/programs/1/review?as_of={as_of}",
        )
    ),
)
"""GET requests the admin makes about a rep who sells nothing (a manager in the roster) and
on other days: the answers where values are missing."""

DOWNLOADS = (
    "/api/v1/team-overview?as_of={as_of}&format=csv",
    "/api/v1/reps?as_of={as_of}&format=csv",
    "/api/v1/forecast?as_of={as_of}&format=csv",
    "/api/v1/pipeline/waterfall?as_of={as_of}&format=csv",
    "/api/v1/changes?format=csv",
    "/api/v1/diagnosis/findings?as_of={as_of}&format=csv",
    "/api/v1/channels?as_of={as_of}&format=csv",
    "/api/v1/leads/grades?as_of={as_of}&format=csv",
    "/api/v1/goals?format=csv",
    "/api/v1/coaching-sessions?format=csv",
    "/api/v1/action-items?format=csv",
    "/api/v1/reps/{own}/funnel?as_of={as_of}&format=csv",
    "/api/v1/coaching/coverage?as_of={as_of}&format=csv",
    "/api/v1/digest?as_of={as_of}&format=html",
    "/api/v1/digest?as_of={as_of}&format=markdown",
    "/api/v1/alignment?as_of={as_of}&format=csv",
    "/api/v1/programs?format=csv",
    "/api/v1/skills?format=csv",
    "/api/v1/ramp?as_of={as_of}&format=csv",
    "/api/v1/products?format=csv",
    "/api/v1/payouts?as_of={as_of}&format=csv",
)
"""CSV, HTML and Markdown answers the admin gets, compared by their SHA-256."""


_COLLECTED = datetime.now(UTC).date().isoformat()
"""The day (UTC) this module was collected: a run that goes past midnight wrote its first
records the day before the answers that show them."""


def _today_masked(text: str) -> str:
    """`text` with timestamps of today (UTC), or of the day the run began, masked: the
    creation times of the writes."""
    days = "|".join(sorted({_COLLECTED, datetime.now(UTC).date().isoformat()}))
    return re.sub(rf"(?:{days})[T ][0-9:.]+(\+00:00|Z)?", "<now>", text)


def _clock_masked(value: Any) -> Any:
    """`value` with what counts from today's date masked: a program review's `today`, and the
    days an action item is overdue (counted to today; the agenda counts to the as-of day)."""
    if isinstance(value, list):
        return [_clock_masked(item) for item in value]
    if not isinstance(value, dict):
        return value
    masked = {key: _clock_masked(item) for key, item in value.items()}
    if "today" in masked:
        masked["today"] = "<today>"
    if "days_overdue" in masked and "overdue" in masked:
        masked["days_overdue"] = "<days since due>"
    return masked


def _answer(response: Any) -> dict[str, Any]:
    """What the reference keeps of a response: status, Link header and body."""
    kept: dict[str, Any] = {"status": response.status_code}
    if "link" in response.headers:
        kept["link"] = response.headers["link"]
    if response.headers.get("content-type", "").startswith(("application/json", "application/p")):
        kept["json"] = _clock_masked(json.loads(_today_masked(response.text)))
    else:
        kept["content_type"] = response.headers.get("content-type")
        kept["sha256"] = hashlib.sha256(_today_masked(response.text).encode()).hexdigest()
    return kept


@pytest.fixture(scope="module")
def answers(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, dict[str, Any]]]:
    """Every request of WRITES, READS (each role) and DOWNLOADS against a fresh app database,
    keyed by role and request."""
    url = f"sqlite:///{tmp_path_factory.mktemp('api-reference') / 'attain-app.db'}"
    add_role_users(url, demo)
    app = create_app(demo.settings, store=str(demo.store), app_db=url)
    with TestClient(app, follow_redirects=False) as client:
        tokens = {}
        with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
            for role in ROLES:
                user = get_user(session, f"{role}@example.com")
                tokens[role] = create_api_token(session, user, "reference")[1]

        def ask(role: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            return _answer(client.request(method, path, json=body, headers=headers))

        fill = {"own": demo.own_rep, "other": demo.other_rep, "team": demo.team, "as_of": AS_OF}
        roster = client.app.state.services.roster()  # type: ignore[attr-defined]
        fill["unsold"] = min(rep for rep, entry in roster.items() if entry.role != "rep")
        products = ask("admin", "GET", "/api/v1/products")["json"]["items"]
        fill["product"] = products[0]["product_id"]
        found: dict[str, dict[str, Any]] = {}
        for number, (method, path, body) in enumerate(WRITES):
            filled = json.loads(json.dumps(body).replace("{own}", fill["own"]))
            filled = json.loads(json.dumps(filled).replace("{other}", fill["other"]))
            key = f"{number} {method} {path}"
            found[key] = ask("admin", method, path.format(**fill), filled)
        for role in ROLES:
            for path in READS:
                found[f"{role} GET {path}"] = ask(role, "GET", path.format(**fill))
        for path in (*EDGES, *DOWNLOADS):
            found[f"admin GET {path}"] = ask("admin", "GET", path.format(**fill))
        yield found


def test_every_api_answer_is_as_recorded(answers: dict[str, dict[str, Any]]) -> None:
    if os.environ.get("ATTAIN_API_ANSWERS"):  # to see what differs: a file to write them to
        Path(os.environ["ATTAIN_API_ANSWERS"]).write_text(json.dumps(answers))
    if os.environ.get("ATTAIN_RECORD_API_REFERENCE"):
        text = json.dumps(answers, indent=1, sort_keys=True, ensure_ascii=False)
        REFERENCE.write_bytes(gzip.compress(text.encode(), mtime=0))
    recorded = json.loads(gzip.decompress(REFERENCE.read_bytes()))
    assert sorted(answers) == sorted(recorded)
    for key, answer in answers.items():
        assert answer == recorded[key], key
