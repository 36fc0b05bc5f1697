"""Management workflow over the app database: coaching sessions and agreed actions, the next
one-on-one's agenda, coaching coverage, weekly digests and the sales–marketing alignment
meeting. Pure functions compute; functions taking a SQLAlchemy session read or write the app
database. See docs/workflow.md.
"""
