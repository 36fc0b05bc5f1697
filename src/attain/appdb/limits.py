"""The longest free text Attain stores from a person: checked by the services that store it
(so the command line and the web app alike), and by the web app's input models first.

The columns are TEXT, so without these a 5 MB "topic" would be stored and shown on every
page that lists the session.
"""

from __future__ import annotations

from attain.errors import InputError

TITLE = 300
"""An action item's title."""
NAME = 200
"""A name: an action's owner, a coaching topic."""
TOPICS = 20
"""Topics of one coaching session."""
NOTE = 2_000
"""A short note: a skill score's, a product's differentiators, an override's reason."""
NOTES = 10_000
"""A coaching session's or check-in's notes (a page of text)."""
GOAL = 1_000
"""What an intensive program is for."""


def checked_text(value: str, what: str, limit: int) -> str:
    """`value` stripped; an InputError saying how long it may be when it is longer."""
    value = value.strip()
    if len(value) > limit:
        raise InputError(f"{what} may be at most {limit:,} characters, not {len(value):,}")
    return value
