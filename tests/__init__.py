"""Attain's tests; `tests.support` holds the helpers several test folders share."""
