"""Scheduled delivery (#25): digests on each user's schedule and alerts on change, by e-mail
and chat webhooks, sent once.

- `settings`: `[delivery]` thresholds (deal size, response target, lease, retries).
- `schedule`: when a weekly schedule is next due, in the user's time zone.
- `ledger`: the one-time key of each message and the sender's lease, in the app database.
- `digests`: whose digests a user gets and the messages that carry them (e-mail, Slack, Teams).
- `alerts`: the watched state of the data, what changed since the last data version, and who
  hears of it.
- `channels`: e-mail with the chart as an image, Slack and Teams webhooks with retries.
- `sender`: one run: claim the lease, send what is due, record it.
"""
