"""Whether the app database changed, cheaply enough to ask on every page: parts of a page made
from its records (a rep page's coaching panel, plan and goals) are kept under this version and
made again as soon as anyone writes.

The version is three numbers:

- this process's count of committed writes (every session of `attain.appdb` is an
  `AuditedSession`; a commit after a flush or a bulk statement counts), which sees the app's own
  writes at once, whatever order concurrent transactions commit in;
- the latest audit-log id, which sees writes by other processes (`attain coaching`,
  `attain users`): every ORM change to an audited table writes its row in the same transaction;
- the number of survey answers, which are not audited (the log would name their author) and
  have random ids.

A write by another process to a PostgreSQL app database that commits after a later one (audit
ids come from a sequence) is seen with this process's next write or a new day, not at once.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from attain.appdb.audit import AuditedSession
from attain.appdb.models import AuditEntry, SurveyAnswer

_WROTE = "attain_records_version_wrote"
"""`session.info` key: this session's transaction has written something."""


class _Writes:
    """The process's count of committed writes to the app database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1


WRITES = _Writes()

_LATEST = select(
    select(func.max(AuditEntry.id)).scalar_subquery(),
    select(func.count()).select_from(SurveyAnswer).scalar_subquery(),
)


def records_version(engine: Engine) -> tuple[int, int, int]:
    """The app database's version as the module says: (this process's committed writes, the
    latest audit-log id, the number of survey answers)."""
    before = WRITES.count  # read first: a write committing meanwhile changes the next version
    with engine.connect() as connection:
        audit, answers = connection.execute(_LATEST).one()
    return before, int(audit or 0), int(answers or 0)


@event.listens_for(AuditedSession, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(AuditedSession, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(AuditedSession, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        WRITES.add()


@event.listens_for(AuditedSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)
