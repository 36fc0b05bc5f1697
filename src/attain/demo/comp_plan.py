"""The demo organisation's compensation plan: priority products pay twice the loss leaders'
rate, bookings above quota are accelerated, and a SPIF runs in the first month of the quarter."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from attain.metrics.periods import quarter_of

SPIF_PRODUCT = "P01"
"""The demo's first priority product (Attain Cloud Platform)."""


def write_comp_plan(path: Path, as_of: date) -> None:
    """Write the plan as the TOML file `attain comp payout --plan` and the web app read."""
    start = quarter_of(as_of).start
    month_end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    lines = [
        "# Written by `attain demo generate`: the demo organisation's compensation plan.",
        'name = "Demo plan"',
        "[base_rates]",
        "priority = 0.10",
        "standard = 0.07",
        "loss_leader = 0.05",
        "[[accelerators]]",
        "above = 1.0",
        "multiplier = 1.5",
        "[[spifs]]",
        f'product_id = "{SPIF_PRODUCT}"',
        "amount = 500",
        f"start = {start.isoformat()}",
        f"end = {month_end.isoformat()}",
    ]
    path.write_text("\n".join(lines) + "\n")
