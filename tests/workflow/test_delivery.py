"""Scheduled delivery end to end (#25): digests on each user's weekly schedule arrive at a real
SMTP server and a real Slack/Teams-like webhook receiver, with the numbers the recipient may
see and nothing else; one process sends (lease); nothing is sent twice; the unsubscribe link
turns the schedule off. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest
from delivery_support import BASE_URL, add_users, import_folder, opener, sender
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.delivery import Channel, Delivery, DeliveryStatus, DigestSchedule, SenderLease
from attain.cli.main import app
from attain.config import Settings
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.reports.templating import money
from attain.web.app import create_app
from attain.workflow.delivery import ledger, unsubscribe
from attain.workflow.delivery.digests import DigestInputs, store_inputs
from attain.workflow.delivery.schedule import set_schedule
from tests.support.smtp import html_part, smtp_server, text_part
from tests.support.webhooks import webhook_server

SUNDAY = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
"""When the schedules are set; the next Monday is 2026-11-16."""
MONDAY_0730_UTC = datetime(2026, 11, 16, 7, 30, tzinfo=UTC)
"""After 08:00 in Paris (07:00 UTC), before 08:00 in New York (13:00 UTC) and in UTC."""
MONDAY_1330_UTC = datetime(2026, 11, 16, 13, 30, tzinfo=UTC)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Org:
    """The demo organisation's CSV folder and store, and who is who in it."""

    folder: Path
    store: Path
    inputs: DigestInputs
    team: str
    other_team: str
    rep: str
    teammate: str


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """16 reps over 3 quarters (seed 7), imported once; the largest team is 'the team'."""
    folder = tmp_path_factory.mktemp("delivery-demo")
    generate(DemoSpec(reps=16, quarters=3, seed=7, plant_share=0.1), folder / "csv")
    store = folder / "store.duckdb"
    import_folder(store, folder / "csv")
    url = f"sqlite:///{folder / 'inputs-app.db'}"
    upgrade(url)
    engine = make_engine(url)
    with opener(store)() as backend, session_scope(engine) as session:
        inputs = store_inputs(backend, session, Settings())
    engine.dispose()
    teams = pd.Series(inputs.teams_of).value_counts()
    team, other = str(teams.index[0]), str(teams.index[1])
    members = sorted(rep for rep, t in inputs.teams_of.items() if t == team)
    return Org(folder / "csv", store, inputs, team, other, members[0], members[1])


def hand_booked(org: Org, reps: set[str] | None) -> float:
    """Bookings won from the quarter's first day to the as-of day (inclusive), from the CSV."""
    deals = pd.read_csv(org.folder / "opportunities.csv", parse_dates=["closed_at"])
    period = org.inputs.report.period
    day = deals["closed_at"].dt.date
    won = deals[
        (deals["is_won"] == True)  # noqa: E712 (a column of booleans and blanks)
        & (day >= period.start)
        & (day <= org.inputs.report.as_of)
    ]
    if reps is not None:
        won = won[won["owner_rep_id"].isin(reps)]
    return float(won["amount"].sum())


def by_recipient(messages: list[EmailMessage]) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in messages:
        found.setdefault(str(message["To"]), []).append(message)
    return found


def names(org: Org) -> dict[str, str]:
    return {rep.rep_id: rep.name for rep in org.inputs.report.reps}


def test_weekly_digests_arrive_on_each_users_monday_with_what_they_may_see(
    org: Org, engine: Engine
) -> None:
    ids = add_users(engine, org.team, org.rep, org.other_team)
    zones = {
        "admin@example.com": "Europe/Paris",
        "manager@example.com": "America/New_York",
        "rep@example.com": "UTC",
        "marketing@example.com": "UTC",
    }
    with session_scope(engine) as session:
        for email, zone in zones.items():
            set_schedule(session, ids[email], Channel.EMAIL, now=SUNDAY, time_zone=zone)
    with smtp_server() as server:
        run = sender(engine, org.store, server.settings, inputs=org.inputs)
        early = run.run(now=MONDAY_0730_UTC)
        assert [m["To"] for m in server.wait_for(1)] == ["admin@example.com"]
        later = run.run(now=MONDAY_1330_UTC)
        server.wait_for(3)
        again = run.run(now=MONDAY_1330_UTC + timedelta(minutes=1))
        received = by_recipient(server.messages)
    assert len(early.sent) == 1 and len(later.sent) == 2 and not again.sent
    assert set(received) == {"admin@example.com", "manager@example.com", "rep@example.com"}
    # The numbers: the company's and the team's bookings this quarter, counted from the CSV.
    admin = text_part(received["admin@example.com"][0])
    assert f"{money(hand_booked(org, None))} booked of" in admin
    team_reps = {rep for rep, team in org.inputs.teams_of.items() if team == org.team}
    (manager,) = received["manager@example.com"]
    assert f"{money(hand_booked(org, team_reps))} booked of" in text_part(manager)
    # Nothing outside each recipient's access: no other team's rep in the manager's digest,
    # no teammate's line in the rep's.
    outsiders = [names(org)[r] for r, t in org.inputs.teams_of.items() if t != org.team]
    assert not [name for name in outsiders if name in text_part(manager)]
    (rep,) = received["rep@example.com"]
    assert names(org)[org.rep] in text_part(rep)
    assert names(org)[org.teammate] not in text_part(rep) + html_part(rep)
    # E-mail shape: the chart as an inline PNG, the page it summarises, one-click unsubscribe.
    pngs = [p for p in manager.walk() if p.get_content_type() == "image/png"]
    assert len(pngs) == 1 and pngs[0].get_content().startswith(b"\x89PNG")
    assert "cid:digest-pace" in html_part(manager)
    assert f"{BASE_URL}/digest?team={org.team}" in text_part(manager)
    assert str(manager["List-Unsubscribe"]).startswith(f"<{BASE_URL}/unsubscribe/")
    assert manager["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with session_scope(engine) as session:
        sent = session.scalars(select(Delivery)).all()
        schedules = session.scalars(select(DigestSchedule)).all()
    assert sorted(d.status for d in sent) == [DeliveryStatus.SENT] * 3
    assert all(s.next_run_at and s.next_run_at.date() == date(2026, 11, 23) for s in schedules)


def test_the_unsubscribe_link_turns_the_schedule_off(org: Org, engine: Engine) -> None:
    ids = add_users(engine, org.team, org.rep, org.other_team)
    with session_scope(engine) as session:
        set_schedule(session, ids["rep@example.com"], Channel.EMAIL, now=SUNDAY)
    with smtp_server() as server:
        run = sender(engine, org.store, server.settings, inputs=org.inputs)
        run.run(now=MONDAY_1330_UTC)
        (message,) = server.wait_for(1)
        link = str(message["List-Unsubscribe"]).strip("<>")
        token = link.rsplit("/", 1)[1]
        assert unsubscribe.read(engine, token[:-2] + "xx") is None  # a forged signature
        stop = unsubscribe.read(engine, token)
        assert stop == unsubscribe.Unsubscribe(ids["rep@example.com"], "digest", Channel.EMAIL)
        assert unsubscribe.apply(engine, stop) == 1
        assert not run.run(now=MONDAY_1330_UTC + timedelta(days=7)).sent
    with session_scope(engine) as session:
        (schedule,) = session.scalars(select(DigestSchedule)).all()
    assert not schedule.enabled and schedule.next_run_at is None


def test_only_the_lease_holder_sends_and_a_lapsed_lease_is_taken_over(
    org: Org, engine: Engine
) -> None:
    ids = add_users(engine, org.team, org.rep, org.other_team)
    with session_scope(engine) as session:  # due on Monday 2026-11-09, before SUNDAY
        set_schedule(session, ids["admin@example.com"], Channel.EMAIL, now=SUNDAY - WEEK)
    with smtp_server() as server:
        first = sender(engine, org.store, server.settings, "worker-1", org.inputs)
        second = sender(engine, org.store, server.settings, "worker-2", org.inputs)
        lease = timedelta(seconds=first.settings.delivery.lease_seconds)
        assert ledger.take_lease(engine, "worker-1", SUNDAY, int(lease.total_seconds()))
        held = second.run(now=SUNDAY + timedelta(minutes=1))
        assert not held.lease and not held.sent and not server.messages
        taken = second.run(now=SUNDAY + lease + timedelta(seconds=1))
        assert taken.lease and len(taken.sent) == 1
        assert not first.run(now=SUNDAY + lease + timedelta(seconds=2)).lease
        assert len(server.wait_for(1)) == 1


def test_chat_digests_reach_slack_and_teams_after_a_429(org: Org, engine: Engine) -> None:
    ids = add_users(engine, org.team, org.rep, org.other_team)
    with webhook_server() as hooks, smtp_server() as server:
        with session_scope(engine) as session:
            set_schedule(
                session,
                ids["manager@example.com"],
                Channel.SLACK,
                now=SUNDAY,
                webhook_url=hooks.url("slack"),
            )
            set_schedule(
                session,
                ids["rep@example.com"],
                Channel.TEAMS,
                now=SUNDAY,
                webhook_url=hooks.url("teams"),
            )
        hooks.throttle(1, retry_after="1")
        report = sender(engine, org.store, server.settings, inputs=org.inputs).send_now()
        tries = list(hooks.received)
    assert not report.failed and len(report.sent) == 4  # admin and marketing: e-mail default
    assert [r.status for r in tries][:2] == [429, 200] or [r.status for r in tries][:2] == [
        429,
        202,
    ]
    assert tries[1].at - tries[0].at >= 1.0  # waited as Retry-After asked
    (slack,) = hooks.delivered("slack")
    assert slack["text"].startswith("Weekly digest: ")
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "actions"]
    assert slack["blocks"][2]["elements"][0]["url"] == f"{BASE_URL}/digest?team={org.team}"
    (teams,) = hooks.delivered("teams")
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["actions"][0]["url"] == f"{BASE_URL}/digest?rep={org.rep}"
    assert names(org)[org.teammate] not in str(teams)


def test_attain_digest_schedule_and_send_from_the_shell(
    org: Org, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the command line is the same on both databases")
    add_users(engine, org.team, org.rep, org.other_team)
    app_db = ["--app-db", engine.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    set_up = runner.invoke(
        app,
        [
            "digest",
            "schedule",
            "--user",
            "rep@example.com",
            "--weekday",
            "Tue",
            "--at",
            "07:30",
            "--time-zone",
            "Europe/Paris",
            *app_db,
        ],
    )
    assert set_up.exit_code == 0, set_up.output
    assert "every Tuesday at 07:30 Europe/Paris" in set_up.output
    with smtp_server() as server:
        for name, value in (("HOST", "127.0.0.1"), ("PORT", server.settings.port), ("TLS", "none")):
            monkeypatch.setenv(f"ATTAIN_EMAIL__{name}", str(value))
        args = ["digest", "send", "--now", "--to", "rep@example.com", "--db", str(org.store)]
        first = runner.invoke(app, [*args, *app_db])
        second = runner.invoke(app, [*args, *app_db])
        (message,) = server.wait_for(1)
    assert first.exit_code == 0 and "Sent 1, already sent 0" in first.output, first.output
    assert second.exit_code == 0 and "Sent 0, already sent 1" in second.output, second.output
    assert message["To"] == "rep@example.com"
    assert names(org)[org.rep] in text_part(message)


def test_the_server_sends_a_due_digest_by_itself(org: Org, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the server's loop is the same on both databases")
    ids = add_users(engine, org.team, org.rep, org.other_team)
    with session_scope(engine) as session:  # due since Monday 2026-11-09 08:00 UTC
        set_schedule(session, ids["rep@example.com"], Channel.EMAIL, now=SUNDAY - WEEK)
    url = engine.url.render_as_string(hide_password=False)
    with smtp_server() as server:
        settings = Settings(
            email=server.settings.model_copy(update={"base_url": BASE_URL}),
            delivery={"poll_seconds": 1},
        )
        with TestClient(create_app(settings, store=str(org.store), app_db=url)) as client:
            (message,) = server.wait_for(1, timeout=120)
            loop = client.app.state.delivery  # type: ignore[attr-defined]
        assert loop.last_error is None
    assert message["To"] == "rep@example.com"
    assert names(org)[org.rep] in text_part(message)
    with session_scope(engine) as session:
        lease = session.scalars(select(SenderLease)).all()
    assert lease == []  # given up at shutdown, so another process need not wait
