"""`attain survey`, `attain pairing` and `attain calendar` on the demo: a survey e-mailed through
a real SMTP server to the team's reps, answered, its results and the team's themes on the
one-on-one agenda; a pairing proposed, met and reviewed; the calendar exported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner
from workflow_support import Demo

from attain.appdb.database import make_engine, session_scope
from attain.appdb.models import User
from attain.cli.main import app
from attain.metrics.targets import roster_entries
from attain.store import connect
from attain.workflow.surveys import answer_survey
from tests.support.smtp import smtp_server, text_part

runner = CliRunner()
PASSWORD = "long enough to pass\n"


def attain(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_every_voice_command_has_help() -> None:
    for group, commands in {
        "survey": ("send", "results"),
        "pairing": ("suggest", "propose", "met", "review"),
        "calendar": ("token", "export"),
    }.items():
        for command in commands:
            shown = attain(group, command, "--help")
            assert f"attain {group} {command}" in " ".join(shown.split()), (group, command)


@pytest.fixture
def team(demo: Demo, tmp_path: Path) -> tuple[str, list[str], list[str]]:
    """A manager of the first team and a rep account for each of its first six reps."""
    backend = connect(str(demo.store), read_only=True)
    entries = roster_entries(backend)
    backend.disconnect()
    team_id = next(e.team_id for e in entries if e.role == "rep" and e.team_id)
    reps = sorted(e.rep_id for e in entries if e.team_id == team_id and e.role == "rep")[:6]
    app_db = ["--app-db", str(tmp_path / "app.db")]
    add = ["users", "add", "--password-stdin", *app_db]
    runner.invoke(
        app,
        [*add, "boss@x.com", "--name", "Boss", "--role", "manager", "--team", team_id],
        input=PASSWORD,
    )
    for rep in reps:
        runner.invoke(
            app,
            [*add, f"{rep}@x.com", "--name", rep, "--role", "rep", "--rep-id", rep],
            input=PASSWORD,
        )
    return team_id, reps, app_db


def test_a_survey_goes_out_by_email_and_its_themes_reach_the_agenda(
    demo: Demo,
    team: tuple[str, list[str], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    team_id, reps, app_db = team
    db = ["--db", str(demo.store)]
    with smtp_server() as smtp:
        for name, value in (
            ("HOST", smtp.settings.host),
            ("PORT", str(smtp.settings.port)),
            ("TLS", "none"),
        ):
            monkeypatch.setenv(f"ATTAIN_EMAIL__{name}", value)
        sent = attain(
            "survey",
            "send",
            "--team",
            team_id,
            "--template",
            "workload",
            "--by",
            "boss@x.com",
            *db,
            *app_db,
        )
        messages = smtp.wait_for(len(reps))
    assert f"{len(reps)} e-mails sent" in sent
    survey_id = int(re.search(r"Survey (\d+)", sent).group(1))  # type: ignore[union-attr]
    assert {m["To"] for m in messages} == {f"{rep.lower()}@x.com" for rep in reps}
    assert f"/surveys/{survey_id}" in text_part(messages[0])
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    teams = dict.fromkeys(reps, team_id)
    with session_scope(engine) as session:
        for rep, words in zip(
            reps, ["too many meetings", "meetings", "travel", "meetings", "admin"], strict=False
        ):
            user = session.query(User).filter_by(rep_id=rep).one()
            answer_survey(session, survey_id, user, 2, words, teams)
    engine.dispose()
    results = json.loads(
        attain("survey", "results", "--team", team_id, "--format", "json", *db, *app_db)
    )
    assert results[0]["answers"] == 5 and results[0]["mean_score"] == 2.0
    assert results[0]["themes"] == [{"word": "meetings", "answers": 3}]
    agenda = attain("coaching", "agenda", "--rep", reps[0], *db, *app_db)
    assert "Team voice: Workload" in agenda and "meetings (3)" in agenda
    assert "travel" not in agenda


def test_a_pairing_is_proposed_met_reviewed_and_in_the_exported_calendar(
    demo: Demo, team: tuple[str, list[str], list[str]], tmp_path: Path
) -> None:
    _, reps, app_db = team
    db = ["--db", str(demo.store)]
    by = ["--by", "boss@x.com"]
    made = attain(
        "pairing",
        "propose",
        "--rep",
        reps[0],
        "--peer",
        reps[1],
        "--gap-kind",
        "activity",
        "--gap",
        "calls",
        "--at",
        "2026-10-05 15:00",
        *by,
        *db,
        *app_db,
    )
    pairing_id = re.search(r"Pairing (\d+)", made).group(1)  # type: ignore[union-attr]
    attain("pairing", "met", pairing_id, "--at", "2026-10-05 15:00", *by, *db, *app_db)
    review = json.loads(attain("pairing", "review", pairing_id, "--format", "json", *db, *app_db))
    assert review["met_on"] == "2026-10-05" and review["comparisons"][0]["metric"] == "calls"
    assert review["verdict"] in ("improved", "no_change", "worse")
    feed = tmp_path / "boss.ics"
    attain("calendar", "export", "--user", "boss@x.com", "--output", str(feed), *db, *app_db)
    uids = {str(e["UID"]) for e in Calendar.from_ical(feed.read_bytes()).walk("VEVENT")}
    assert f"pairing-{pairing_id}@attain" in uids
    assert {f"one-on-one-{rep}@attain" for rep in reps} <= uids
    url = attain(
        "calendar", "token", "--user", "boss@x.com", "--base-url", "https://attain.example", *app_db
    )
    assert re.fullmatch(r"https://attain\.example/calendar/[A-Za-z0-9_-]+\.ics\n", url)
