"""The app database: records made in Attain (users, goals, coaching, actions, overrides, audit).

SQLAlchemy 2 models in `models`, engines, sessions and migrations in `database`, the audit
trail in `audit`, user accounts and API tokens in `users`. See docs/appdb.md.
"""

# Scheduled delivery's tables (#25) live in their own module on the same metadata; imported
# here so that every use of the models (and Alembic's comparison) knows them.
from attain.appdb import delivery as delivery
