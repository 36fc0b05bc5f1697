"""`attain demo`: build a synthetic organisation with planted causes (see attain.demo)."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from attain.cli.options import command_group, optional_option
from attain.demo import CAUSES, DEFAULT_AS_OF
from attain.demo.config import DEFAULT_WEEKS
from attain.errors import ConfigError

if TYPE_CHECKING:
    from attain.demo import TableStep
    from attain.demo.variants import Variant

app = command_group(
    "Build a synthetic demo organisation: the ten canonical CSV files plus truth.json, "
    "which names the reps carrying each planted cause."
)


@app.command("generate")
def generate_command(
    out_dir: Path = typer.Argument(
        ...,
        help="Folder to write teams.csv ... coaching_sessions.csv and truth.json into.",
        show_default=False,
    ),
    reps: int = typer.Option(
        60, "--reps", help="Number of selling reps (managers, SDRs and marketers come on top)."
    ),
    quarters: int = typer.Option(
        8, "--quarters", help="Calendar quarters covered, ending with the one holding --as-of."
    ),
    seed: int = typer.Option(
        7, "--seed", help="Random seed; the same seed and options give identical files."
    ),
    as_of: str = typer.Option(
        DEFAULT_AS_OF.isoformat(),
        "--as-of",
        help="Reference date (YYYY-MM-DD): nothing is recorded on or after it.",
    ),
    plant: list[str] = typer.Option(
        [],
        "--plant",
        help=f"Plant a cause on named reps, e.g. --plant follow_up=R0003,R0017 (repeatable). "
        f"Causes: {', '.join(CAUSES)}.",
        show_default=False,
    ),
    plant_share: float = typer.Option(
        0.05,
        "--plant-share",
        help="Share of selling reps each cause not named by --plant is planted on (0 plants none).",
    ),
    variant: str = typer.Option(
        "standard",
        "--variant",
        help="Shape of the organisation: standard, single_symptom (each cause through one "
        "symptom), seven_stages, four_stages, smb (3-week cycles), enterprise (6-month cycles), "
        "monthly_quotas or annual_quotas.",
    ),
    snapshots: str | None = optional_option(
        "--snapshots",
        help="'weekly': also write OUT_DIR/snapshots/<ISO week>/, the same organisation's "
        "export as the CRM showed it each Friday 18:00 UTC, with deals that slip, are pulled "
        "in, resize, change owner or are deleted, and a rep who moves team; "
        "OUT_DIR/snapshots/truth.json lists what changed from week to week.",
    ),
    weeks: int = typer.Option(
        DEFAULT_WEEKS,
        "--weeks",
        help="With --snapshots: how many weekly snapshots, ending with the week of --as-of's eve.",
    ),
) -> None:
    """Generate a demo organisation into OUT_DIR, deterministically for a seed.

    Causes show only in the data (late first touches, overdue follow-ups, ratcheted quotas...).

    truth.json lists which rep carries which cause, with the numbers that were planted.
    """
    from attain.demo import DemoSpec, generate
    from attain.schema import TABLES

    if snapshots not in (None, "weekly"):
        raise ConfigError(f"--snapshots {snapshots!r}: the one cadence is 'weekly'")
    if snapshots and weeks < 1:
        raise ConfigError(f"--weeks must be at least 1, not {weeks}")
    spec = DemoSpec(
        reps=reps,
        quarters=quarters,
        seed=seed,
        as_of=_parse_date(as_of),
        plants=_parse_plants(plant),
        plant_share=plant_share,
        variant=_variant(variant),
    )
    console = Console()
    rows = dict.fromkeys(TABLES, 0)
    seconds = dict.fromkeys(TABLES, 0.0)
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bars:
        tasks = {name: bars.add_task(name, total=None, rows=0) for name in TABLES}

        def show(step: TableStep) -> None:
            rows[step.table] += step.rows
            seconds[step.table] += step.seconds
            bars.update(
                tasks[step.table], completed=step.done, total=step.total, rows=rows[step.table]
            )

        truth = generate(spec, out_dir, show, snapshot_weeks=weeks if snapshots else 0)
    summary = Table(title=f"Demo organisation in {out_dir}")
    summary.add_column("file")
    summary.add_column("rows", justify="right")
    summary.add_column("seconds", justify="right")
    for name in TABLES:
        summary.add_row(f"{name}.csv", f"{rows[name]:,}", f"{seconds[name]:.2f}")
    summary.add_row("total", f"{sum(rows.values()):,}", f"{time.perf_counter() - started:.2f}")
    console.print(summary)
    console.print(
        f"Planted {len(truth.planted)} cause(s) on {len(truth.planted)} rep(s); "
        f"see {out_dir / 'truth.json'}."
    )
    if snapshots:
        console.print(
            f"Wrote {weeks} weekly snapshot(s) into {out_dir / 'snapshots'}, each with its "
            f"taken_at.txt for `attain import --taken-at`; what changed from week to week is "
            f"in {out_dir / 'snapshots' / 'truth.json'}."
        )


def _parse_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as error:
        raise ConfigError(f"--as-of {text!r} is not a date like 2026-11-13") from error


def _parse_plants(values: list[str]) -> dict[str, tuple[str, ...]]:
    plants: dict[str, tuple[str, ...]] = {}
    for value in values:
        cause, _, reps = value.partition("=")
        rep_ids = tuple(rep.strip() for rep in reps.split(",") if rep.strip())
        if not rep_ids:
            raise ConfigError(
                f"--plant {value!r}: write CAUSE=REP_ID[,REP_ID...], e.g. follow_up=R0003"
            )
        plants[cause.strip()] = plants.get(cause.strip(), ()) + rep_ids
    return plants


def _variant(name: str) -> Variant:
    """The named demo variant, or a message listing them."""
    from attain.demo.variants import VARIANTS

    if name not in VARIANTS:
        raise ConfigError(f"unknown --variant {name!r}; use one of {', '.join(VARIANTS)}")
    return VARIANTS[name]
