"""Leads: ideal customer profile, lead scores and channel effectiveness."""
