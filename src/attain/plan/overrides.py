"""Overrides: a manager's value in place of a computed one, kept in the app database.

A stage's win probability, a lead's grade or a deal's forecast category can be overridden, each
with who and why. Setting a new value supersedes the live one (its `superseded_at` is set, the
row stays); clearing supersedes it without a replacement. Every change goes through an audited
session, so the audit log shows who set or cleared what and when. Overrides live apart from
the analytic store: re-importing the CRM files or refitting a model never touches them.

The forecast and the plan never read the database: `live_overrides(session)` gives the live
ones as a plain `attain.forecast.forecast.Overrides` that they take as an argument.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.appdb import limits
from attain.appdb.limits import checked_text
from attain.appdb.models import Override, OverrideKind, Role, User, utcnow
from attain.errors import InputError, one_of
from attain.forecast.forecast import Overrides

FORECAST_CATEGORIES = ("commit", "best_case", "pipeline", "omitted")
"""Forecast categories a deal can be put in; commit counts as won, omitted as lost."""
LEAD_GRADES = ("A", "B", "C", "D")


OVERRIDERS = frozenset({Role.ADMIN, Role.MANAGER})
"""Roles that may put their value in place of a computed one."""


def check_value(kind: OverrideKind | str, value: str) -> str:
    """The value as stored, or an InputError saying what the kind accepts."""
    kind = _kind(kind)
    text = value.strip()
    if kind is OverrideKind.STAGE_PROBABILITY:
        try:
            probability = float(text)
        except ValueError:
            probability = -1.0
        if not 0.0 <= probability <= 1.0:
            raise InputError(f"a stage probability is a number from 0 to 1, not {value!r}")
        return f"{probability:g}"
    if kind is OverrideKind.LEAD_GRADE:
        if text.upper() not in LEAD_GRADES:
            raise InputError(f"a lead grade is one of {', '.join(LEAD_GRADES)}, not {value!r}")
        return text.upper()
    if text.lower() not in FORECAST_CATEGORIES:
        raise InputError(
            f"a forecast category is one of {', '.join(FORECAST_CATEGORIES)}, not {value!r}"
        )
    return text.lower()


def live_override(session: Session, kind: OverrideKind | str, target_id: str) -> Override | None:
    """The override in force for this kind and target, if any."""
    query = select(Override).where(
        Override.kind == _kind(kind),
        Override.target_id == target_id,
        Override.superseded_at.is_(None),
    )
    return session.scalars(query).one_or_none()


def set_override(
    session: Session,
    kind: OverrideKind | str,
    target_id: str,
    value: str,
    reason: str,
    by: User,
) -> Override:
    """Put `value` in place of the computed one, superseding any live override of the same
    target; `reason` is required. Credited to `by` (also in the audit log when the session
    acts for them)."""
    kind = _kind(kind)
    if by.role not in OVERRIDERS:
        raise InputError(
            f"{by.email} is a {by.role}: only managers and admins override computed values"
        )
    target_id = target_id.strip()
    if not target_id:
        raise InputError("name what the override is for: a stage, lead id or opportunity id")
    if not reason.strip():
        raise InputError("say why with --reason: overrides are kept with who and why")
    checked_text(reason, "the reason", limits.NOTE)
    stored = check_value(kind, value)
    now = utcnow()
    previous = live_override(session, kind, target_id)
    if previous is not None:
        previous.superseded_at = now
        session.flush()  # the old row stops being live before the new one is added
    override = Override(
        kind=kind,
        target_id=target_id,
        value=stored,
        reason=reason.strip(),
        created_by=by.id,
        created_at=now,
    )
    session.add(override)
    session.flush()
    return override


def clear_override(session: Session, kind: OverrideKind | str, target_id: str) -> Override:
    """Supersede the live override of this target with nothing: the computed value is back."""
    override = live_override(session, kind, target_id)
    if override is None:
        raise InputError(f"no live {_kind(kind).value} override for {target_id!r}")
    override.superseded_at = utcnow()
    session.flush()
    return override


def list_overrides(session: Session, include_superseded: bool = False) -> Sequence[Override]:
    """Overrides by kind, target and time set; only live ones unless `include_superseded`."""
    query = select(Override).order_by(Override.kind, Override.target_id, Override.created_at)
    if not include_superseded:
        query = query.where(Override.superseded_at.is_(None))
    return session.scalars(query).all()


def live_overrides(session: Session) -> Overrides:
    """The live overrides as the plain mapping the forecast and the plan take."""
    stage: dict[str, float] = {}
    category: dict[str, str] = {}
    grade: dict[str, str] = {}
    for override in list_overrides(session):
        if override.kind is OverrideKind.STAGE_PROBABILITY:
            stage[override.target_id] = float(override.value)
        elif override.kind is OverrideKind.FORECAST_CATEGORY:
            category[override.target_id] = override.value
        else:
            grade[override.target_id] = override.value
    return Overrides(stage_probability=stage, forecast_category=category, lead_grade=grade)


def who_and_why(session: Session) -> dict[tuple[str, str], tuple[str, str]]:
    """Per live override, keyed by (kind, target): why it was set and the e-mail of who set
    it, to show beside the values that a plan or forecast used."""
    emails = {user.id: user.email for user in session.scalars(select(User))}
    return {
        (override.kind.value, override.target_id): (
            override.reason,
            emails.get(override.created_by or -1, ""),
        )
        for override in list_overrides(session)
    }


def _kind(kind: OverrideKind | str) -> OverrideKind:
    return one_of(OverrideKind, kind, "an override kind")
