"""The password policy (NIST SP 800-63B-4, section 3.1.1.2) that every password Attain sets
goes through.

- Length: at least `min_length` characters (15 by default, the `[web] min_password_length`
  setting, since the password is the only factor); no composition rules, any character counts.
- Not a common or easily guessed password: zxcvbn's offline frequency lists (common
  passwords, English words, names) and its patterns (repeats, sequences, keyboard walks,
  dates) must estimate at least 10^8 guesses (its score 3). A breached-password corpus
  (e.g. Have I Been Pwned) cannot be reached from here, so it is not consulted.
- Not the account's e-mail, and not containing it or its local part.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from attain.errors import InputError

MIN_PASSWORD_LENGTH = 15
"""NIST SP 800-63B-4's minimum for a password that is the only authentication factor."""

MIN_SCORE = 3
"""zxcvbn's score for at least 10^8 estimated guesses ("safely unguessable" online)."""

MIN_LOCAL_PART = 3
"""Shortest e-mail local part looked for inside a password (`al` would rule out too much)."""


def password_problem(
    password: str, email: str, min_length: int = MIN_PASSWORD_LENGTH
) -> str | None:
    """Why `password` may not be used for the account `email`, in one line; None when it may."""
    if len(password) < min_length:
        return (
            f"the password needs at least {min_length} characters (it has {len(password)}); "
            "a few unrelated words make a long one easy to remember"
        )
    lowered, address = password.casefold(), email.strip().casefold()
    local = address.partition("@")[0]
    if not password.strip():
        return "the password cannot be only spaces"
    if (address and address in lowered) or (len(local) >= MIN_LOCAL_PART and local in lowered):
        return "the password cannot contain your e-mail address or its name part"
    estimate = zxcvbn(password[:100], user_inputs=[address, local])
    if estimate["score"] < MIN_SCORE:
        warning = estimate["feedback"]["warning"] or "it follows a common pattern"
        return f"the password is too easy to guess ({warning.rstrip('.')}); choose another"
    return None


def check_password(password: str, email: str, min_length: int = MIN_PASSWORD_LENGTH) -> None:
    """An InputError naming the rule `password` breaks for the account `email`, if any."""
    problem = password_problem(password, email, min_length)
    if problem is not None:
        raise InputError(f"user {email.strip().lower()}: {problem}")
