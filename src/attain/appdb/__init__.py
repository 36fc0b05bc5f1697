"""The app database: records made in Attain (users, goals, coaching, actions, overrides, audit).

SQLAlchemy 2 models in `models`, engines, sessions and migrations in `database`, the audit
trail in `audit`, user accounts and API tokens in `users`. See docs/appdb.md.
"""
