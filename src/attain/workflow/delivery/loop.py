"""The delivery job inside `attain serve`: a thread that runs the sender every
`[delivery] poll_seconds`.

A small poll loop rather than APScheduler: schedules are rows of the app database with their
next due time (`digest_schedules.next_run_at`), so they survive restarts without a job store,
and APScheduler 3's SQLAlchemy job store creates and owns its own `apscheduler_jobs` table
(pickled jobs) outside Alembic, which the migrations test would flag as a table no model
declares. The lease in `sender_leases` makes one process of several the sender.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from attain.workflow.delivery import ledger
from attain.workflow.delivery.sender import RunReport, Sender

log = logging.getLogger(__name__)


class DeliveryLoop:
    """Runs `sender` every `every_seconds` until stopped; a failed run is logged, not fatal."""

    def __init__(self, sender: Sender, every_seconds: float) -> None:
        self.sender = sender
        self.every_seconds = every_seconds
        self.last: RunReport | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="attain-delivery", daemon=True)

    def start(self) -> None:
        """Start: the first run after one interval (the app serves pages first)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the run under way, and give the lease up for another process."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)
        ledger.release_lease(self.sender.engine, self.sender.holder)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_seconds):
            try:
                self.last = self.sender.run(now=datetime.now(UTC))
                self.last_error = None
            except Exception as error:  # the next run tries again
                self.last_error = str(error).splitlines()[0] if str(error) else repr(error)
                log.warning("delivery run failed: %s", self.last_error)
