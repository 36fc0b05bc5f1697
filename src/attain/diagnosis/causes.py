"""The causes of a missed target that the diagnosis looks for, by their fixed identifiers: apart
from the findings (attain.diagnosis.finding) so that the demo's and the command line's help can
name them without loading the statistics the detectors use."""

from __future__ import annotations

from typing import Literal, get_args

Cause = Literal[
    "lead_warming",
    "marketing_alignment",
    "lead_criteria",
    "follow_up",
    "coaching",
    "stage_leakage",
    "activity_drop",
    "product_mix",
    "target_setting",
]
CAUSES: tuple[Cause, ...] = get_args(Cause)
"""Fixed, documented cause identifiers (the demo's truth.json uses the same ones)."""
