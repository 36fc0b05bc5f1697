"""Alerts on change (#25): after an import makes a new data version, the people subscribed and
allowed to see the rep hear once of each change; a re-import of the same data, or the same
change arriving again, sends nothing more. Runs on SQLite (PostgreSQL in the digest tests)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from delivery_support import add_users, import_folder, sender
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from attain.appdb.database import session_scope
from attain.appdb.delivery import AlertKind, AlertSnapshot, AlertSubscription, Channel
from attain.cli.main import app
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.workflow.delivery.alerts import (
    KEPT_STATES,
    WatchedState,
    changes,
    keep_state,
    last_state,
)
from tests.support.smtp import smtp_server, text_part

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_a_big_deal_lost_one_slipped_and_a_second_raise_alert_once(
    tmp_path: Path, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("four imports of a demo organisation: once is enough")
    before, after = tmp_path / "before", tmp_path / "after"
    truth = generate(DemoSpec(reps=12, quarters=3, seed=11, plant_share=0.1), before)
    shutil.copytree(before, after)
    lost, slipped, team = _change_two_big_deals(after, truth.as_of)
    reps = pd.read_csv(before / "reps.csv")
    rep = str(reps.loc[reps["team_id"] == team, "rep_id"].iloc[0])
    _raise_quota(before, rep, ["2026-10-15 09:00:00"])  # raised once before,
    _raise_quota(after, rep, ["2026-10-15 09:00:00", "2026-11-05 09:00:00"])  # a second time
    other = str(reps.loc[reps["team_id"] != team, "team_id"].iloc[0])
    ids = add_users(engine, team, rep, other)
    with session_scope(engine) as session:
        for email in ("manager@example.com", "other@example.com"):
            for kind in (AlertKind.DEAL_LOST, AlertKind.DEAL_SLIPPED, AlertKind.QUOTA_RAISED_TWICE):
                session.add(AlertSubscription(user_id=ids[email], kind=kind, channel=Channel.EMAIL))
    store = tmp_path / "store.duckdb"
    with smtp_server() as server:
        run = sender(engine, store, server.settings)
        import_folder(store, before)
        baseline = run.run(now=NOW)
        assert baseline.alerts == 0 and not baseline.sent  # the first state is a baseline
        import_folder(store, after)
        changed = run.run(now=NOW)
        received = server.wait_for(3)
        import_folder(store, after)  # the same export again: no new data version
        assert run.run(now=NOW).alerts == 0
        import_folder(store, before)  # back, then the same change once more
        run.run(now=NOW)
        again = run.run(now=NOW)
        import_folder(store, after)
        repeated = run.run(now=NOW)
    keys = sorted(changed.sent)
    assert keys == [
        f"alert:{ids['manager@example.com']}:email:deal_lost:{lost}",
        f"alert:{ids['manager@example.com']}:email:deal_slipped:{slipped}:2026-Q4:2027-Q1",
        f"alert:{ids['manager@example.com']}:email:quota_raised_twice:{rep}|2026-10-01|bookings",
    ]
    assert not again.sent and not repeated.sent
    # The deals' changes were found again and not sent again; a quota revision, once imported,
    # stays in the store (the export of `before` does not remove it), so it is not new again.
    assert sorted(repeated.already) == keys[:2]
    assert len(server.messages) == 3
    assert {m["To"] for m in received} == {"manager@example.com"}
    bodies = " ".join(text_part(m) for m in received)
    assert f"Deal {lost} was lost" in bodies and f"Deal {slipped} slipped from 2026-Q4" in bodies
    assert "Action: Hold a loss review" in bodies
    assert f"{rep}'s bookings target for the period from 2026-10-01 was raised a second" in bodies


def _raise_quota(folder: Path, rep: str, when: list[str]) -> None:
    """Raise `rep`'s 2026-Q4 bookings target by 10% at each of the times `when`."""
    quotas = pd.read_csv(folder / "quotas.csv", dtype=str, keep_default_na=False)
    row = quotas[
        (quotas["rep_id"] == rep)
        & (quotas["period_start"] == "2026-10-01")
        & (quotas["metric"] == "bookings")
    ].iloc[-1]
    raised = [
        {**row.to_dict(), "target": str(round(float(row["target"]) * 1.1**n)), "set_at": at}
        for n, at in enumerate(when, start=1)
    ]
    pd.concat([quotas, pd.DataFrame(raised)]).to_csv(folder / "quotas.csv", index=False)


def _change_two_big_deals(folder: Path, as_of: object) -> tuple[str, str, str]:
    """Lose one open deal of at least 50,000 expected this quarter and move another's close to
    next quarter, both of one team's reps; their ids and the team."""
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    reps = pd.read_csv(folder / "reps.csv", dtype=str)
    team_of = dict(zip(reps["rep_id"], reps["team_id"], strict=True))
    big = deals[
        (deals["is_won"] == "")
        & (deals["amount"].astype(float) >= 50000)
        & (deals["expected_close_date"].between("2026-11-20", "2026-12-31"))
    ].copy()
    big["team"] = big["owner_rep_id"].map(team_of)
    team = str(big["team"].value_counts().index[0])
    lost, slipped = big.loc[big["team"] == team, "opportunity_id"].iloc[:2]
    row = deals["opportunity_id"] == lost
    deals.loc[row, ["closed_at", "stage", "is_won", "loss_reason"]] = [
        f"{as_of} 10:00:00",
        "Closed Lost",
        "false",
        "no_decision",
    ]
    deals.loc[deals["opportunity_id"] == slipped, "expected_close_date"] = "2027-01-20"
    deals.to_csv(folder / "opportunities.csv", index=False)
    return str(lost), str(slipped), team


def test_each_kind_of_change_is_one_alert_with_its_evidence_and_action() -> None:
    before = WatchedState(
        big_deals={
            "D1": {
                "rep": "R1",
                "amount": 60000.0,
                "period": "2026-Q4",
                "close": "2026-12-01",
                "state": "open",
            },
        },
        quota_raises={},
    )
    after = WatchedState(
        at_risk={"R1": {"period": "2026-10-01", "label": "2026-Q4", "evidence": "10 of 50"}},
        activity_drops={"R2|calls": {"week": "2026-11-09", "evidence": "calls: 3, usually 20"}},
        big_deals={
            "D1": {
                "rep": "R1",
                "amount": 60000.0,
                "period": "2026-Q4",
                "close": "2026-12-01",
                "state": "lost",
            },
        },
        waiting_leads={
            "L1": {"rep": "R3", "since": "2026-11-10T09:00:00", "company": "Acme", "hours": 48}
        },
        quota_raises={
            "R4|2026-10-01|bookings": {"rep": "R4", "targets": [100.0, 120.0, 150.0], "raises": 2}
        },
    )
    found = {alert.kind: alert for alert in changes(before, after)}
    assert set(found) == {
        AlertKind.AT_RISK,
        AlertKind.ACTIVITY_DROP,
        AlertKind.DEAL_LOST,
        AlertKind.LEAD_WAITING,
        AlertKind.QUOTA_RAISED_TWICE,
    }
    assert found[AlertKind.QUOTA_RAISED_TWICE].evidence == "targets in order: 100 → 120 → 150"
    assert found[AlertKind.LEAD_WAITING].key == "lead_waiting:L1"
    assert found[AlertKind.ACTIVITY_DROP].rep_id == "R2"
    assert all(alert.action for alert in found.values())
    assert changes(after, after) == []  # the same state again: nothing changed


def test_only_the_latest_watched_states_are_kept(engine: Engine) -> None:
    with session_scope(engine) as session:
        for version in range(1, 14):
            keep_state(session, str(version), WatchedState(at_risk={str(version): {}}))
    with session_scope(engine) as session:
        kept = session.scalars(select(AlertSnapshot.data_version)).all()
        latest = last_state(session)
    assert sorted(map(int, kept)) == list(range(14 - KEPT_STATES, 14))
    assert latest is not None and list(latest.at_risk) == ["13"]


def test_attain_digest_alerts_subscribes_and_unsubscribes_from_the_shell(engine: Engine) -> None:
    """`attain digest alerts` replaces the chosen kinds on a channel; `--off` removes them."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the command line is the same on both databases")
    add_users(engine, "T1", "R1", "T2")
    app_db = ["--app-db", engine.url.render_as_string(hide_password=False)]
    base = ["digest", "alerts", "--user", "manager@example.com"]
    runner = CliRunner()
    on = runner.invoke(app, [*base, "--kind", "at_risk", "--kind", "lead_waiting", *app_db])
    assert on.exit_code == 0, on.output
    assert "manager@example.com gets at_risk, lead_waiting by email." in on.output
    assert _subscribed(engine) == {(AlertKind.AT_RISK, Channel.EMAIL), _LEAD_WAITING_BY_EMAIL}
    off = runner.invoke(app, [*base, "--kind", "at_risk", "--off", *app_db])
    assert off.exit_code == 0, off.output
    assert "manager@example.com no longer gets at_risk by email." in off.output
    assert _subscribed(engine) == {_LEAD_WAITING_BY_EMAIL}


_LEAD_WAITING_BY_EMAIL = (AlertKind.LEAD_WAITING, Channel.EMAIL)


def _subscribed(engine: Engine) -> set[tuple[AlertKind, Channel]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AlertSubscription)).all()
        return {(row.kind, row.channel) for row in rows}
