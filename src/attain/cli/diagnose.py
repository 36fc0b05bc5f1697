"""`attain diagnose`: why reps and teams miss target, with evidence, actions and questions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from attain.cli.options import AS_OF, DB, OUTPUT, TARGET, opened_store, optional_option
from attain.cli.output import finish, text_console, write
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.diagnosis.finding import Diagnosis
    from attain.reports.diagnosis import FindingView, Names

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


DiagnosisFormat = Literal[Format.TEXT, Format.JSON, Format.MARKDOWN, Format.HTML]
"""Output formats of the diagnosis."""


def diagnose_command(
    db: str | None = DB,
    rep: str | None = optional_option("--rep", help="Show only this rep's findings."),
    team: str | None = optional_option(
        "--team", help="Show only this team's findings and its reps'."
    ),
    as_of: datetime | None = AS_OF,
    target: float | None = TARGET,
    output_format: DiagnosisFormat = typer.Option(
        Format.TEXT, "--format", "-f", help="Output format."
    ),
    output: Path | None = OUTPUT,
) -> None:
    """Why reps miss target, with evidence, bookings at stake, actions and questions.

    Causes checked: lead warming, marketing alignment, lead criteria, follow-up, coaching,
    stage leakage, activity drop, product mix and target setting, each against the top
    performers. Thresholds are in the \\[diagnosis] table of attain.toml; the ideal
    customer profile in \\[icp].
    """
    from attain.config import load_settings
    from attain.diagnosis.run import diagnose
    from attain.metrics.attainment import scope_names
    from attain.metrics.targets import rep_roster
    from attain.reports.diagnosis import to_html, to_json, to_markdown

    settings = load_settings()
    with opened_store(db, read_only=True, as_of=as_of) as backend:
        diagnosis = diagnose(
            backend,
            as_of=as_of.date() if as_of else None,
            performance=settings.performance,
            icp=settings.icp,
            target=target,
            rep=rep,
            team=team,
            thresholds=settings.diagnosis,
        )
        names = scope_names(backend, rep_roster(backend))
    if output_format is Format.TEXT:
        console = text_console(output)
        _print(console, diagnosis, names)
        finish(console, output)
        return
    if output_format is Format.JSON:
        rendered = to_json(diagnosis)
    elif output_format is Format.MARKDOWN:
        rendered = to_markdown(diagnosis, names)
    else:
        rendered = to_html(diagnosis, names)
    write(rendered, output)


def _print(console: Console, diagnosis: Diagnosis, names: Names) -> None:
    from attain.reports.diagnosis import cause_summary, diagnosis_headline, subjects, total_at_stake
    from attain.reports.templating import money, short

    found = subjects(diagnosis, names)
    reps = [s for s in found if s.scope == "rep"]
    console.print(
        f"[bold]Diagnosis as of {diagnosis.as_of}[/] (behaviour from {diagnosis.window.start} "
        f"to {diagnosis.window.end})"
    )
    for note in diagnosis.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    if not diagnosis.findings:
        console.print(escape(diagnosis_headline(diagnosis)))
    else:
        console.print(
            f"{len(reps)} reps with findings; about [bold]{money(total_at_stake(diagnosis))}[/] "
            "of bookings at stake this period (reps' findings added up; causes can overlap)."
        )
        table = Table(title="Findings by cause")
        for header in ("cause", "reps", "teams", "company", "at stake"):
            table.add_column(header, justify="left" if header == "cause" else "right")
        for line in cause_summary(diagnosis):
            table.add_row(
                line.label,
                str(line.reps),
                str(line.teams),
                "yes" if line.company else "",
                short(line.bookings_at_stake),
            )
        console.print(table)
    _print_checks(console, diagnosis, names)
    for subject in found:
        console.print(
            Panel(
                Group(*(_finding(view) for view in subject.findings)),
                title=f"[bold]{escape(subject.name)}[/] — "
                f"{short(subject.bookings_at_stake)} at stake",
                title_align="left",
            )
        )
    console.print("Full evidence and charts: --format html (or markdown, json).")


def _print_checks(console: Console, diagnosis: Diagnosis, names: Names) -> None:
    """The causes not checked, with the data that would let them, then each rep at risk with
    what was checked for them (only when something could not be checked)."""
    from attain.diagnosis.checked import unchecked_causes, unchecked_line
    from attain.reports.diagnosis import check_line, diagnosis_headline

    if not diagnosis.skipped:
        return
    if diagnosis.findings:
        console.print(escape(diagnosis_headline(diagnosis)))
    for item in unchecked_causes(diagnosis.skipped):
        console.print(f"[dim]not checked[/] {escape(unchecked_line(item))}")
    for check in diagnosis.checks:
        console.print(f"[dim]at risk[/] {escape(check_line(check, names))}")


def _finding(view: FindingView) -> Group:
    from attain.reports.templating import money

    finding = view.finding
    style = SEVERITY_STYLE.get(finding.severity, "")
    head = Text.from_markup(
        f"[{style}]{finding.severity.upper()}[/] [bold]{escape(view.title)}[/] — "
        f"{money(finding.bookings_at_stake)} at stake"
    )
    evidence = Table(show_header=True, box=None, padding=(0, 1), pad_edge=False)
    for header in ("measure", "value", "benchmark", "detail"):
        evidence.add_column(header, style="dim" if header == "detail" else None)
    for row in view.rows:
        bench = f"{row.benchmark} ({row.benchmark_label})" if row.benchmark else ""
        evidence.add_row(row.measure, row.value, bench, row.detail)
    actions = "\n".join(f"  → {action}" for action in finding.actions)
    questions = "\n".join(f"  ? {question}" for question in finding.questions)
    return Group(
        head,
        Text(finding.explanation),
        evidence,
        Text(f"What to do:\n{actions}\nAsk:\n{questions}\n"),
    )
