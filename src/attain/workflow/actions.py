"""Action items: what someone agreed to do, by when, and whether it is done or overdue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import NotFound, Visibility, sees
from attain.appdb import limits
from attain.appdb.limits import checked_text
from attain.appdb.models import ActionItem, ActionStatus, utcnow
from attain.errors import InputError


@dataclass(frozen=True)
class AgreedAction:
    """An action to record: what, who does it (as written, and their user id when they have
    one), and by when."""

    title: str
    owner: str
    due_date: date | None = None
    owner_user_id: int | None = None


def parse_action(text: str) -> AgreedAction:
    """`"title|owner|YYYY-MM-DD"` (owner and due date optional) as an AgreedAction."""
    parts = [part.strip() for part in text.split("|")]
    if not parts[0] or len(parts) > 3:
        raise InputError(f"an action is 'title|owner|YYYY-MM-DD', not {text!r}")
    owner = parts[1] if len(parts) > 1 else ""
    due = None
    if len(parts) > 2 and parts[2]:
        try:
            due = date.fromisoformat(parts[2])
        except ValueError:
            raise InputError(f"due date {parts[2]!r} is not YYYY-MM-DD") from None
    return AgreedAction(parts[0], owner, due)


def new_action(action: AgreedAction, *, rep_id: str | None, source: str) -> ActionItem:
    """An ActionItem for `action` (not yet added to a session); the owner must be named."""
    title = action.title.strip()
    owner = action.owner.strip()
    if not title:
        raise InputError("an action needs a title")
    if not owner:
        raise InputError(f"say who does {title!r}: an action needs an owner")
    if len(title) > limits.TITLE:
        raise InputError(f"an action's title is at most {limits.TITLE} characters: {title[:40]!r}…")
    checked_text(owner, "an action's owner", limits.NAME)
    return ActionItem(
        title=title,
        owner=owner,
        owner_user_id=action.owner_user_id,
        rep_id=rep_id,
        due_date=action.due_date,
        status=ActionStatus.OPEN,
        source=source,
    )


def is_overdue(action: ActionItem, today: date) -> bool:
    """Open, with a due date before `today`."""
    return (
        action.status is ActionStatus.OPEN
        and action.due_date is not None
        and action.due_date < today
    )


def days_overdue(action: ActionItem, today: date) -> int:
    """Days past the due date (0 when not overdue)."""
    if not is_overdue(action, today) or action.due_date is None:
        return 0
    return (today - action.due_date).days


def list_actions(
    session: Session,
    *,
    rep_id: str | None = None,
    source_prefix: str | None = None,
    status: ActionStatus | None = None,
    overdue_on: date | None = None,
    scope: Visibility | None = None,
) -> list[ActionItem]:
    """Action items by due date (undated last), filtered; `overdue_on` keeps those overdue on
    that day. Only rows the scope sees."""
    query = select(ActionItem).order_by(ActionItem.due_date.is_(None), ActionItem.due_date)
    query = query.order_by(ActionItem.id)
    if rep_id is not None:
        query = query.where(ActionItem.rep_id == rep_id)
    if source_prefix is not None:
        query = query.where(ActionItem.source.startswith(source_prefix, autoescape=True))
    if status is not None:
        query = query.where(ActionItem.status == status)
    if scope is not None and not scope.all_reps:
        query = query.where(ActionItem.rep_id.in_(sorted(scope.rep_ids)))
    found = [action for action in session.scalars(query) if sees(scope, action.rep_id)]
    if overdue_on is not None:
        found = [action for action in found if is_overdue(action, overdue_on)]
    return found


def set_status(
    session: Session, action_id: int, status: ActionStatus, scope: Visibility | None = None
) -> ActionItem:
    """Mark an action done, dropped or open again (audited through the session)."""
    action = session.get(ActionItem, action_id)
    if action is None or not sees(scope, action.rep_id):
        raise NotFound(f"no action {action_id}")
    action.status = status
    action.completed_at = utcnow() if status is not ActionStatus.OPEN else None
    session.flush()
    return action


def action_row(action: ActionItem, today: date) -> dict[str, Any]:
    """JSON-ready values of an action, with whether it is overdue on `today`."""
    return {
        "id": action.id,
        "title": action.title,
        "owner": action.owner,
        "rep_id": action.rep_id,
        "due_date": action.due_date.isoformat() if action.due_date else None,
        "status": action.status.value,
        "source": action.source,
        "overdue": is_overdue(action, today),
        "days_overdue": days_overdue(action, today),
    }


def action_rows(actions: Sequence[ActionItem], today: date) -> list[dict[str, Any]]:
    """`action_row` of each."""
    return [action_row(action, today) for action in actions]
