"""Why each rep and team misses target: one detector per cause, ranked by bookings at stake."""
