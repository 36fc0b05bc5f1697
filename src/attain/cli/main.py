"""The `attain` command: a thin Typer app over the core; errors are one line unless --debug."""

from __future__ import annotations

import gc
import sys

import typer
from rich.console import Console
from rich.markup import escape

from attain import __version__
from attain.cli import (
    changes,
    channels,
    coaching,
    demo,
    diagnose,
    digest,
    forecast,
    history,
    icp,
    imports,
    leads,
    management,
    mapping,
    pipeline,
    plan,
    report,
    serve,
    status,
    sync,
    users,
    voice,
)
from attain.errors import AttainError

app = typer.Typer(
    name="attain",
    help="Will the team hit its targets, who is on pace, and why not: from your own CRM data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(demo.app, name="demo")
app.add_typer(leads.app, name="leads")
leads.app.command("channels")(channels.channels_command)
app.add_typer(icp.app, name="icp")
app.command("import")(imports.import_command)
app.add_typer(mapping.app, name="map")
app.command("status")(status.status_command)
app.command("report")(report.report_command)
app.command("diagnose")(diagnose.diagnose_command)
app.add_typer(forecast.app, name="forecast")
app.command("plan")(plan.plan_command)
app.add_typer(plan.overrides_app, name="overrides")
app.add_typer(users.app, name="users")
app.add_typer(users.appdb_app, name="appdb")
app.command("serve")(serve.serve_command)
app.add_typer(coaching.coaching_app, name="coaching")
app.add_typer(digest.app, name="digest")
app.add_typer(coaching.alignment_app, name="alignment")
app.add_typer(coaching.actions_app, name="actions")
app.add_typer(management.program_app, name="program")
app.add_typer(management.skills_app, name="skills")
app.add_typer(voice.survey_app, name="survey")
app.add_typer(voice.pairing_app, name="pairing")
app.add_typer(voice.calendar_app, name="calendar")
app.command("ramp")(management.ramp_command)
app.add_typer(management.products_app, name="products")
app.add_typer(management.comp_app, name="comp")
app.add_typer(history.app, name="history")
app.command("changes")(changes.changes_command)
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(sync.app, name="sync")

_debug = {"on": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"attain {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Attain: attainment, pacing, diagnosis and forecasts for sales teams."""
    _debug["on"] = debug


def main() -> None:
    """Entry point: run the app and turn AttainError into one clear line and exit code 2."""
    # The objects of the modules imported so far live as long as the command; frozen, the
    # cyclic garbage collector stops rescanning them, which made Ibis- and pandas-heavy steps
    # up to twice as slow (docs/scaling.md). A command imports its own modules when it runs;
    # opening the store (attain.cli.options.open_store) freezes those.
    gc.freeze()
    try:
        app()
    except AttainError as error:
        if _debug["on"]:
            raise
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(str(error))}"
        )
        sys.exit(2)
