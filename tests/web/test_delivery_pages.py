"""The delivery page (#25): each user sets when and where their digest goes and which alerts
they get; an e-mail's unsubscribe link asks to confirm on GET and stops on POST, without a
session."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from attain.appdb.database import session_scope
from attain.appdb.delivery import AlertKind, AlertSubscription, Channel, DigestSchedule
from attain.appdb.users import get_user
from attain.workflow.delivery import unsubscribe
from tests.support.web import Users


def test_a_rep_sets_a_tuesday_digest_and_two_alerts_then_unsubscribes(
    client: TestClient, users: Users
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    headers, csrf = users.page("rep"), users.csrf["rep"]
    form = {"csrf_token": csrf, "channel": "email", "weekday": "Tuesday", "at": "07:15"}
    form |= {"time_zone": "Europe/Paris", "enabled": "on"}
    assert client.post("/delivery/schedule", data=form, headers=headers).status_code == 303
    alerts = {"csrf_token": csrf, "channel": "email", "kind": ["at_risk", "deal_lost"]}
    assert client.post("/delivery/alerts", data=alerts, headers=headers).status_code == 303
    page = client.get("/delivery", headers=headers)
    assert page.status_code == 200
    assert "Tuesday 07:15" in page.text and "Europe/Paris" in page.text
    with session_scope(engine) as session:
        rep = get_user(session, "rep@example.com")
        (schedule,) = session.scalars(
            select(DigestSchedule).where(DigestSchedule.user_id == rep.id)
        ).all()
        kinds = set(
            session.scalars(
                select(AlertSubscription.kind).where(AlertSubscription.user_id == rep.id)
            )
        )
        rep_id = rep.id
    assert (schedule.weekday, schedule.hour, schedule.minute) == (1, 7, 15)
    assert schedule.next_run_at is not None and schedule.next_run_at.weekday() == 1
    assert kinds == {AlertKind.AT_RISK, AlertKind.DEAL_LOST}

    token = unsubscribe.token(engine, unsubscribe.Unsubscribe(rep_id, "digest", Channel.EMAIL))
    confirm = client.get(f"/unsubscribe/{token}")  # no session: the link is the key
    assert confirm.status_code == 200 and 'data-testid="unsubscribe-confirm"' in confirm.text
    with session_scope(engine) as session:
        assert session.get(DigestSchedule, schedule.id).enabled  # type: ignore[union-attr]
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'data-testid="unsubscribed"' in done.text
    with session_scope(engine) as session:
        stopped = session.get(DigestSchedule, schedule.id)
        assert stopped is not None and not stopped.enabled and stopped.next_run_at is None


def test_a_chat_schedule_without_a_webhook_is_refused(client: TestClient, users: Users) -> None:
    form = {"csrf_token": users.csrf["manager"], "channel": "slack", "weekday": "Monday"}
    answer = client.post("/delivery/schedule", data=form, headers=users.page("manager"))
    assert answer.status_code == 400
    assert "webhook" in answer.text
