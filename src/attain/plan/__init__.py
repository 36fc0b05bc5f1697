"""The activity plan: the week's work that closes the gap to target, and people's overrides.

Rates per rep and team in `rates` (read from the store), the plan itself in `plan` (pure),
overrides kept in the app database in `overrides`. See docs/plan.md.
"""
