"""Attain's exceptions: each carries one line a user can act on."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

Member = TypeVar("Member", bound=StrEnum)


class AttainError(Exception):
    """Base of every error Attain reports to a user without a traceback."""


class ConfigError(AttainError):
    """A setting or configuration file is missing or wrong."""


class InputError(AttainError):
    """An input file cannot be read as asked (missing, unknown table, missing columns)."""


class StoreError(AttainError):
    """The analytic store cannot be opened or written."""


class RejectedRowsError(AttainError):
    """A strict import found invalid rows, so nothing was loaded."""


def one_of(kind: type[Member], value: str | Member, what: str) -> Member:
    """The member of `kind` named `value`; an InputError naming `what` is asked for and every
    member otherwise (`what` like "a skill")."""
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InputError(f"{what} is one of {names}, not {value!r}") from None
