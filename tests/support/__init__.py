"""Helpers shared by more than one test folder, imported as `tests.support.<area>`.

`appdb`: app databases on SQLite and on the PostgreSQL server of scripts/postgres.sh.
`web`: the web tests' demo organisation, role users and their fixtures (the browser tests
build the same ones). A helper only one folder uses stays beside its tests, in that folder's
`<area>_support.py`.
"""
