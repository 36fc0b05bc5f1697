"""Attain's exceptions: each carries one line a user can act on."""


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
