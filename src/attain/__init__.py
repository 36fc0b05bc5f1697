"""Attain: will the team hit its targets, who is on pace, and why not."""

__version__ = "0.1.0"
