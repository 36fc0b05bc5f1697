"""One delivery run: hold the lease, send the digests that are due and the alerts of a new
data version, each under its one-time key, and record how each went.

`attain serve` calls `Sender.run` every `poll_seconds` in a background thread
(`DeliveryLoop`); `attain digest send` calls it once, or `send_now` for digests on demand.
The store is read through `source`, a callable opening it read-only for a block, so the web
app's own read/write lock applies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from attain.access import Forbidden, Principal, Resource, principal, visibility_for
from attain.appdb.database import session_scope
from attain.appdb.delivery import AlertSubscription, Channel, DigestSchedule
from attain.appdb.models import User
from attain.metrics.report import PerformanceReport, performance_report
from attain.store.handle import Store
from attain.workflow.delivery import alerts, ledger, unsubscribe
from attain.workflow.delivery.channels import DeliveryError, Destination, Message, deliver
from attain.workflow.delivery.digests import (
    DigestInputs,
    data_version,
    digest_message,
    store_inputs,
    user_digests,
)
from attain.workflow.delivery.schedule import due_schedules, next_run, slot_label

if TYPE_CHECKING:
    from attain.config import Settings

OpenStore = Callable[[], AbstractContextManager[Store]]
"""Opens the store read-only for the duration of a block."""


@dataclass
class RunReport:
    """What one run did: keys sent, keys found sent already, failures with their reason."""

    lease: bool = True
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    alerts: int = 0
    """Changes found between the last two data versions."""


@dataclass(frozen=True)
class Recipient:
    """A user and one place their messages go."""

    user: Principal
    to: Destination
    what: str
    """'digest' or the alert kind (for the unsubscribe link)."""


class Sender:
    """Sends digests and alerts from one store to the users of one app database."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        source: OpenStore,
        holder: str,
        sleep: Callable[[float], None] = time.sleep,
        inputs: Callable[[], DigestInputs] | None = None,
        report: Callable[[], PerformanceReport] | None = None,
    ) -> None:
        """`inputs` gives the digests' inputs and `report` the performance report (the web
        app's cached results); by default they are computed from the store once per run."""
        self.engine, self.settings, self.source = engine, settings, source
        self.holder, self.sleep = holder, sleep
        self._given_inputs, self._given_report = inputs, report
        self._inputs: DigestInputs | None = None

    # -- one run ------------------------------------------------------------------------
    def run(self, now: datetime | None = None, only: str | None = None) -> RunReport:
        """Send what is due at `now` (default: the current time), for user `only` if given."""
        now = now or datetime.now(UTC)
        report = RunReport()
        if not ledger.take_lease(
            self.engine, self.holder, now, self.settings.delivery.lease_seconds
        ):
            report.lease = False
            return report
        self._inputs = None  # the store may have changed since the last run
        self._due_digests(now, only, report)
        self._alerts(now, report)
        return report

    def send_now(self, only: str | None = None, now: datetime | None = None) -> RunReport:
        """Each user's digests now on each of their enabled channels (e-mail when they have
        none), keyed by the data version: once per data version and channel."""
        now = now or datetime.now(UTC)
        report = RunReport()
        self._inputs = None  # the store may have changed since the last run
        with session_scope(self.engine) as session:
            users = [u for u in session.scalars(select(User).where(User.is_active)) if _is(u, only)]
            plans = [(principal(user), self._channels(session, user)) for user in users]
        version = self.inputs().data_version
        for user, places in plans:
            for to in places:
                self._send_digests(
                    Recipient(user, to, unsubscribe.DIGEST), f"v{version}", now, report
                )
        return report

    # -- digests ------------------------------------------------------------------------
    def inputs(self) -> DigestInputs:
        """The digests' inputs for this run, read from the store once."""
        if self._inputs is None and self._given_inputs is not None:
            self._inputs = self._given_inputs()
        if self._inputs is None:
            with self.source() as backend, session_scope(self.engine) as session:
                self._inputs = store_inputs(backend, session, self.settings)
        return self._inputs

    def _due_digests(self, now: datetime, only: str | None, report: RunReport) -> None:
        with session_scope(self.engine) as session:
            due = []
            for s in due_schedules(session, now):
                user = session.get(User, s.user_id)
                if user is None or not user.is_active or not _is(user, only):
                    continue
                to = self._destination(user, s.channel, s.webhook_url, unsubscribe.DIGEST)
                assert s.next_run_at is not None
                period = slot_label(s.next_run_at, s.time_zone)
                due.append((s.id, Recipient(principal(user), to, unsubscribe.DIGEST), period))
        for schedule_id, recipient, period in due:
            failures = len(report.failed)
            self._send_digests(recipient, period, now, report)
            if len(report.failed) == failures:  # on failure it stays due: tried next run
                self._advance(schedule_id, now)

    def _send_digests(self, to: Recipient, period: str, now: datetime, report: RunReport) -> None:
        base = self.settings.email.base_url
        chart = to.to.channel is Channel.EMAIL
        for digest in user_digests(to.user, self.inputs(), self.settings.workflow):
            key = f"digest:{to.user.id}:{to.to.channel}:{digest.scope}:{digest.id}:{period}"
            self._send(key, to, partial(digest_message, digest, base, chart), now, report)

    def _advance(self, schedule_id: int, now: datetime) -> None:
        with session_scope(self.engine) as session:
            s = session.get(DigestSchedule, schedule_id)
            assert s is not None
            s.next_run_at = next_run(s.weekday, s.hour, s.minute, s.time_zone, now)

    # -- alerts -------------------------------------------------------------------------
    def _alerts(self, now: datetime, report: RunReport) -> None:
        """Compare the store's watched state with the last one kept, once per data version."""
        with self.source() as backend:
            version = data_version(backend)
        with session_scope(self.engine) as session:
            if alerts.last_version(session) == version:
                return
            before = alerts.last_state(session)
        with self.source() as backend:
            # The digests' report when this run built one; else the report alone (no diagnosis).
            performance = (
                self._inputs.report
                if self._inputs is not None
                else self._given_report()
                if self._given_report is not None
                else performance_report(backend, self.settings.performance)
            )
            after = alerts.watched_state(backend, performance, self.settings.delivery)
        found = [] if before is None else alerts.changes(before, after)
        report.alerts += len(found)
        teams_of = {rep.rep_id: rep.team_id for rep in performance.reps}
        for alert in found:
            for to in self._alert_recipients(alert, teams_of):
                key = f"alert:{to.user.id}:{to.to.channel}:{alert.key}"
                self._send(
                    key,
                    to,
                    partial(alert_message, alert, self.settings.email.base_url),
                    now,
                    report,
                )
        with session_scope(self.engine) as session:
            alerts.keep_state(session, version, after)

    def _alert_recipients(
        self, alert: alerts.Alert, teams_of: dict[str, str | None]
    ) -> list[Recipient]:
        """The subscribers to this kind of alert who may see the rep it is about."""
        with session_scope(self.engine) as session:
            rows = session.scalars(
                select(AlertSubscription).where(AlertSubscription.kind == alert.kind)
            ).all()
            found = []
            for row in rows:
                user = session.get(User, row.user_id)
                if user is None or not user.is_active or not _sees(user, alert.rep_id, teams_of):
                    continue
                to = self._destination(user, row.channel, row.webhook_url, alert.kind.value)
                found.append(Recipient(principal(user), to, alert.kind.value))
            return found

    # -- sending ------------------------------------------------------------------------
    def _send(
        self,
        key: str,
        to: Recipient,
        build: Callable[[], Message],
        now: datetime,
        report: RunReport,
    ) -> None:
        """Claim `key`, build and deliver the message, record the outcome."""
        what = key.split(":")[0] if key.startswith("digest") else to.what
        claimed = ledger.claim(self.engine, key, to.user.id, what, to.to.channel, "")
        if claimed is None:
            report.already.append(key)
            return
        try:
            deliver(build(), to.to, self.settings.email, self.settings.delivery, self.sleep)
        except DeliveryError as error:
            ledger.finish(self.engine, claimed, now, str(error))
            report.failed.append((key, str(error)))
            return
        ledger.finish(self.engine, claimed, now)
        report.sent.append(key)

    def _destination(
        self, user: User, channel: Channel, webhook_url: str, what: str
    ) -> Destination:
        """Where a message goes, with its signed link that stops this kind of message."""
        stop = unsubscribe.token(self.engine, unsubscribe.Unsubscribe(user.id, what, channel))
        link = f"{self.settings.email.base_url.rstrip('/')}/unsubscribe/{stop}"
        return Destination(channel, email=user.email, webhook_url=webhook_url, unsubscribe_url=link)

    def _channels(self, session: Any, user: User) -> list[Destination]:
        rows = session.scalars(
            select(DigestSchedule).where(DigestSchedule.user_id == user.id, DigestSchedule.enabled)
        ).all()
        if not rows:
            return [self._destination(user, Channel.EMAIL, "", unsubscribe.DIGEST)]
        return [self._destination(user, s.channel, s.webhook_url, unsubscribe.DIGEST) for s in rows]


def alert_message(alert: alerts.Alert, base_url: str) -> Message:
    """The alert as a message: what changed, the evidence, the one action, the rep's page."""
    link = f"{base_url.rstrip('/')}/reps/{alert.rep_id}"
    lines = (alert.what, f"Evidence: {alert.evidence}", f"Action: {alert.action}")
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return Message(
        subject=f"Attain alert: {alert.what}",
        summary=lines,
        text="\n\n".join(lines),
        link=link,
        html=f"<!DOCTYPE html><html><body>{html}</body></html>",
    )


def _is(user: User, only: str | None) -> bool:
    return only is None or user.email.lower() == only.lower()


def _sees(user: User, rep_id: str, teams_of: dict[str, str | None]) -> bool:
    try:
        return visibility_for(principal(user), Resource.PERFORMANCE, teams_of).sees_rep(rep_id)
    except Forbidden:
        return False
